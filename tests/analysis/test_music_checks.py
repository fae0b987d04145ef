"""The stage-aware musical checks: MusicReports built with known values, read against the
song's declared tempo and key, its genre profile, its reference track and the previous
version, each branch with the sentence the student reads."""

from __future__ import annotations

import io
import unittest
from dataclasses import replace

from songs.analysis import (
    BAND_CENTRES_HZ,
    CHECK_IDS,
    MUSIC_CHECK_IDS,
    Check,
    MusicContext,
    MusicReport,
    Status,
    StereoWidth,
    analyse_music,
    detected_fields,
    evaluate_music,
    reference_profile,
)
from songs.analysis.music_checks import (
    KEY_FILL_MIN_CONFIDENCE,
    KEY_MIN_CONFIDENCE,
    REFERENCE_SPREAD_DB,
    REGIONS,
    TEMPO_FILL_MIN_CONFIDENCE,
    TEMPO_MIN_CONFIDENCE,
    field_key,
    key_relation,
    parse_key,
    reference_pitch_hz,
)
from songs.analysis.tonal import BandProfile
from tests.analysis.music_signals import Groove, drums, tonal_piece
from tests.analysis.signals import encode

BANDS = len(BAND_CENTRES_HZ)
SPREAD_DB = 1.5


def shaped(offsets: dict[str, float] | None = None, level_db: float = -60.0) -> tuple[float, ...]:
    """Band levels at `level_db`, each named region moved by its offset and the other bands
    by the same amount the other way, spread evenly, so the mean stays `level_db`: a
    region's relative level is then exactly its offset."""
    offsets = offsets or {}
    moved: dict[int, float] = {}
    for region in REGIONS:
        for index in region.bands:
            if region.name in offsets:
                moved[index] = offsets[region.name]
    rest = [index for index in range(BANDS) if index not in moved]
    balance = -sum(moved.values()) / len(rest)
    return tuple(level_db + moved.get(index, balance) for index in range(BANDS))


def music(**changes: object) -> MusicReport:
    """A stereo bounce at 92 BPM in A minor, in tune, flat band levels, a mono low end."""
    base = MusicReport(
        tempo_bpm=92.0,
        tempo_confidence=0.85,
        key="A minor",
        key_confidence=0.85,
        tuning_cents=0.0,
        spectral_tilt_db_per_octave=0.0,
        band_levels_db=shaped(),
        band_centres_hz=BAND_CENTRES_HZ,
        stereo_width=StereoWidth(low=0.02, mid=0.42, high=0.6),
        low_end_correlation=0.93,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def profile(name: str = "Pop", tracks: int = 20, spread: float = SPREAD_DB) -> BandProfile:
    return BandProfile(
        name=name,
        levels_db=(0.0,) * BANDS,
        spread_db=(spread,) * BANDS,
        measured_tracks=tracks,
        source="Measured from test records",
    )


def check(report: MusicReport, check_id: str, stage: str | None, **context: object) -> Check:
    found = [c for c in evaluate_music(report, stage, MusicContext(**context)) if c.id == check_id]  # type: ignore[arg-type]
    if len(found) != 1:
        raise AssertionError(f"{check_id} not evaluated once at {stage}: {found}")
    return found[0]


def ids(report: MusicReport, stage: str | None, **context: object) -> list[str]:
    return [c.id for c in evaluate_music(report, stage, MusicContext(**context))]  # type: ignore[arg-type]


# --- Which checks each stage gets -------------------------------------------------------------


class StageTests(unittest.TestCase):
    def test_pre_production_reads_the_tempo_and_the_key_only(self) -> None:
        self.assertEqual(ids(music(), "pre-production"), ["tempo_match", "key_match"])

    def test_recording_and_editing_read_the_tuning_and_the_drift_from_the_previous_version(
        self,
    ) -> None:
        for stage in ("recording", "editing"):
            with self.subTest(stage):
                self.assertEqual(ids(music(), stage), ["tuning"])
                self.assertEqual(
                    ids(music(), stage, previous=("v1", music())), ["tuning", "tempo_drift"]
                )

    def test_mixing_reads_tonal_balance_low_end_and_width_and_a_reference_if_there_is_one(
        self,
    ) -> None:
        self.assertEqual(
            ids(music(), "mixing", profile=profile()),
            ["tonal_balance", "low_end_mono", "stereo_width"],
        )
        self.assertEqual(
            ids(music(), "mixing", profile=profile(), reference=("Heat Waves", music())),
            ["tonal_balance", "reference_balance", "low_end_mono", "stereo_width"],
        )

    def test_mastering_reads_the_genre_the_reference_and_the_low_end(self) -> None:
        self.assertEqual(
            ids(music(), "mastering"), ["tonal_balance", "reference_balance", "low_end_mono"]
        )

    def test_stage_none_evaluates_every_check_in_the_order_of_the_ids(self) -> None:
        everything = ids(
            music(), None, profile=profile(), reference=("Ref", music()), previous=("v1", music())
        )
        self.assertEqual(tuple(everything), MUSIC_CHECK_IDS)

    def test_the_first_stages_get_no_musical_checks(self) -> None:
        self.assertEqual(ids(music(), "production"), [])
        self.assertEqual(ids(music(), "songwriting"), [])

    def test_the_ids_are_stable_snake_case_and_apart_from_the_loudness_checks(self) -> None:
        self.assertEqual(
            MUSIC_CHECK_IDS,
            (
                "tempo_match",
                "key_match",
                "tuning",
                "tempo_drift",
                "tonal_balance",
                "reference_balance",
                "low_end_mono",
                "stereo_width",
            ),
        )
        self.assertFalse(set(MUSIC_CHECK_IDS) & set(CHECK_IDS))

    def test_every_check_serialises_and_every_skip_says_why(self) -> None:
        mono = music(stereo_width=None, low_end_correlation=None, tempo_bpm=None, key=None)
        for report in (music(), mono):
            for result in evaluate_music(
                report, None, MusicContext(profile=profile(tracks=0), previous=("v1", mono))
            ):
                with self.subTest(result.id):
                    self.assertEqual(result.to_dict()["id"], result.id)
                    self.assertTrue(result.message.endswith("."), result.message)
                    if result.status is Status.SKIP:
                        self.assertGreater(len(result.message), 40)


# --- Pre-Production: tempo --------------------------------------------------------------------


class TempoMatchTests(unittest.TestCase):
    def tempo(self, detected: float | None, declared: int | None, **changes: object) -> Check:
        return check(
            music(tempo_bpm=detected, **changes),
            "tempo_match",
            "pre-production",
            declared_tempo_bpm=declared,
        )

    def test_a_tempo_that_rounds_to_the_declared_one_passes_as_the_tempo_chosen(self) -> None:
        result = self.tempo(92.2, 92)
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(result.message, "It plays at 92 BPM, the tempo you chose.")

    def test_a_tempo_within_4_percent_passes_with_both_numbers(self) -> None:
        result = self.tempo(95.5, 92)
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(result.message, "It plays at 96 BPM, within 4% of the 92 you chose.")
        self.assertEqual(result.measured, 95.5)

    def test_double_time_is_recognised_and_passes(self) -> None:
        result = self.tempo(184.0, 92)
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(
            result.message,
            "It plays at 184 BPM, double the 92 you chose: the beat heard is in double time, "
            "the same grid counted twice as fast.",
        )

    def test_half_time_is_recognised_and_passes(self) -> None:
        result = self.tempo(46.3, 92)
        self.assertEqual(result.status, Status.PASS)
        self.assertIn("It plays at 46 BPM, half the 92 you chose", result.message)
        self.assertIn("half time", result.message)

    def test_a_tempo_off_by_more_than_4_percent_warns_with_both_numbers(self) -> None:
        result = self.tempo(100.0, 92)
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith("It plays at 100 BPM, but you chose 92 (9% faster)."),
            result.message,
        )
        self.assertIn("slower", self.tempo(85.0, 92).message)

    def test_a_tempo_just_past_4_percent_warns_and_just_inside_passes(self) -> None:
        self.assertEqual(self.tempo(100 * 1.039, 100).status, Status.PASS)
        self.assertEqual(self.tempo(100 * 1.041, 100).status, Status.WARN)
        self.assertEqual(self.tempo(100 * 2 * 1.041, 100).status, Status.WARN)

    def test_no_steady_beat_is_not_judged_and_says_so(self) -> None:
        result = self.tempo(None, 92, tempo_confidence=0.1)
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("No steady beat found", result.message)
        self.assertIn("the 92 BPM you chose is not checked", result.message)

    def test_a_beat_below_the_judging_confidence_is_not_judged(self) -> None:
        result = self.tempo(120.0, 92, tempo_confidence=TEMPO_MIN_CONFIDENCE - 0.01)
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("too unsteady", result.message)
        self.assertIn("confidence 0.29; 0.30 needed", result.message)

    def test_an_empty_tempo_field_is_offered_the_confident_detection(self) -> None:
        result = self.tempo(91.6, None)
        self.assertEqual(result.status, Status.SKIP)
        self.assertEqual(result.measured, 92)
        self.assertEqual(
            result.message,
            "The song has no tempo set yet. This bounce plays at 92 BPM (confidence 0.85): "
            "the song's tempo can be filled in from it.",
        )

    def test_an_empty_tempo_field_is_not_offered_an_unsure_beat(self) -> None:
        result = self.tempo(91.6, None, tempo_confidence=TEMPO_FILL_MIN_CONFIDENCE - 0.05)
        self.assertEqual(result.status, Status.SKIP)
        self.assertIsNone(result.measured)
        self.assertIn("not steady enough to fill it in", result.message)
        result = self.tempo(None, None, tempo_confidence=0.0)
        self.assertIn("no steady beat was found", result.message)


# --- Pre-Production: key ----------------------------------------------------------------------


class KeyMatchTests(unittest.TestCase):
    def key(self, detected: str | None, declared: str | None, **changes: object) -> Check:
        return check(
            music(key=detected, **changes), "key_match", "pre-production", declared_key=declared
        )

    def test_the_same_key_passes(self) -> None:
        result = self.key("A minor", "A minor")
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(result.message, "It reads as A minor, the key you chose.")

    def test_an_enharmonic_declared_form_is_the_same_key(self) -> None:
        result = self.key("C# minor", "C#/Db minor")
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(result.message, "It reads as C# minor, the key you chose (C#/Db minor).")
        self.assertEqual(self.key("A# major", "A#/Bb major").status, Status.PASS)
        self.assertEqual(self.key("D# minor", "Eb minor").status, Status.PASS)

    def test_the_relative_minor_is_named_and_passes(self) -> None:
        result = self.key("A minor", "C major")
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(
            result.message,
            "It reads as A minor, the relative minor of the C major you chose: the same notes "
            "and key signature, with the music settling on A rather than C.",
        )

    def test_the_relative_major_of_an_enharmonic_minor_is_named_and_passes(self) -> None:
        result = self.key("E major", "C#/Db minor")
        self.assertEqual(result.status, Status.PASS)
        self.assertIn("the relative major of the C#/Db minor you chose", result.message)
        self.assertIn("settling on E rather than C#", result.message)

    def test_a_key_a_fifth_away_is_named_as_such(self) -> None:
        above = self.key("G major", "C major")
        self.assertEqual(above.status, Status.WARN)
        self.assertTrue(
            above.message.startswith(
                "It reads as G major, a fifth above the C major you chose (its dominant): "
                "neighbouring keys whose signatures differ by one sharp or flat."
            ),
            above.message,
        )
        below = self.key("F# minor", "C#/Db minor")
        self.assertEqual(below.status, Status.WARN)
        self.assertIn("a fifth below the C#/Db minor you chose (its subdominant)", below.message)

    def test_the_parallel_key_is_named_and_warns(self) -> None:
        result = self.key("A major", "A minor")
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith(
                "It reads as A major, the parallel major of the A minor you chose: the same "
                "home note, but the third, sixth and seventh of the scale differ."
            ),
            result.message,
        )

    def test_an_unrelated_key_warns_with_both_keys(self) -> None:
        result = self.key("E major", "C major")
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith("It reads as E major, not the C major you chose."),
            result.message,
        )
        # Other modes a fifth apart are not "a fifth away": the scales differ by more.
        self.assertEqual(self.key("G minor", "C major").status, Status.WARN)
        self.assertIn("not the C major", self.key("G minor", "C major").message)

    def test_no_clear_key_is_not_judged_and_says_why(self) -> None:
        result = self.key(None, "C major", key_confidence=0.0)
        self.assertEqual(result.status, Status.SKIP)
        self.assertEqual(
            result.message,
            "No clear key found in this bounce (atonal, unpitched or too short), so the "
            "C major you chose is not checked.",
        )

    def test_a_key_below_the_judging_confidence_is_not_judged(self) -> None:
        result = self.key("E major", "C major", key_confidence=KEY_MIN_CONFIDENCE - 0.08)
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("E major, fits too loosely", result.message)
        self.assertIn("confidence 0.42; 0.50 needed", result.message)

    def test_an_empty_key_field_is_offered_the_confident_detection_in_the_field_spelling(
        self,
    ) -> None:
        for declared in (None, ""):
            with self.subTest(repr(declared)):
                result = self.key("C# minor", declared)
                self.assertEqual(result.status, Status.SKIP)
                self.assertEqual(result.measured, "C#/Db minor")
                self.assertEqual(
                    result.message,
                    "The song has no key set yet. This bounce reads as C# minor (confidence "
                    "0.85): the song's key can be filled in from it.",
                )

    def test_an_empty_key_field_is_not_offered_an_unsure_key(self) -> None:
        result = self.key("C# minor", "", key_confidence=KEY_FILL_MIN_CONFIDENCE - 0.01)
        self.assertEqual(result.status, Status.SKIP)
        self.assertIsNone(result.measured)
        self.assertIn("fits too loosely to fill it in", result.message)
        self.assertIn("no clear key was found", self.key(None, "").message)

    def test_an_unreadable_declared_key_is_not_compared(self) -> None:
        result = self.key("A minor", "A dorian")
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn('"A dorian" is not a key name we can read', result.message)

    def test_key_names_parse_in_the_field_the_detected_and_the_flat_spelling(self) -> None:
        self.assertEqual(parse_key("C#/Db minor"), (1, "minor"))
        self.assertEqual(parse_key("C# minor"), (1, "minor"))
        self.assertEqual(parse_key("Db minor"), (1, "minor"))
        self.assertEqual(parse_key("A#/Bb major"), (10, "major"))
        self.assertEqual(parse_key("B major"), (11, "major"))
        self.assertIsNone(parse_key("H major"))
        self.assertIsNone(parse_key("C"))
        self.assertIsNone(parse_key(None))
        self.assertEqual(field_key("F# major"), "F#/Gb major")
        self.assertEqual(field_key("E minor"), "E minor")

    def test_every_relation_between_two_keys_is_named(self) -> None:
        cases = {
            ("C major", "C major"): "same",
            ("C major", "A minor"): "relative",
            ("A minor", "C major"): "relative",
            ("C major", "G major"): "dominant",
            ("C major", "F major"): "subdominant",
            ("A minor", "E minor"): "dominant",
            ("C major", "C minor"): "parallel",
            ("C major", "D major"): "unrelated",
            ("C major", "E minor"): "unrelated",
        }
        for (declared, detected), relation in cases.items():
            with self.subTest(f"{declared} -> {detected}"):
                chosen, heard = parse_key(declared), parse_key(detected)
                assert chosen is not None and heard is not None
                self.assertEqual(key_relation(chosen, heard), relation)


# --- detected_fields --------------------------------------------------------------------------


class DetectedFieldsTests(unittest.TestCase):
    def test_a_confident_tempo_and_key_fill_both_fields(self) -> None:
        self.assertEqual(
            detected_fields(music(tempo_bpm=91.6, key="C# minor")),
            {"tempo_bpm": 92, "key": "C#/Db minor"},
        )

    def test_the_thresholds_are_inclusive_and_anything_below_fills_nothing(self) -> None:
        at = music(
            tempo_confidence=TEMPO_FILL_MIN_CONFIDENCE, key_confidence=KEY_FILL_MIN_CONFIDENCE
        )
        self.assertEqual(detected_fields(at), {"tempo_bpm": 92, "key": "A minor"})
        below = music(
            tempo_confidence=TEMPO_FILL_MIN_CONFIDENCE - 0.001,
            key_confidence=KEY_FILL_MIN_CONFIDENCE - 0.001,
        )
        self.assertEqual(detected_fields(below), {})

    def test_only_the_confident_field_is_filled(self) -> None:
        self.assertEqual(detected_fields(music(key_confidence=0.3)), {"tempo_bpm": 92})
        self.assertEqual(detected_fields(music(tempo_confidence=0.3)), {"key": "A minor"})

    def test_no_tempo_and_no_key_fill_nothing(self) -> None:
        self.assertEqual(detected_fields(music(tempo_bpm=None, key=None)), {})

    def test_a_stored_report_gives_the_same_fields(self) -> None:
        report = music(tempo_bpm=128.04, key="F# major")
        self.assertEqual(
            detected_fields(MusicReport.from_dict(report.to_dict())),
            {"tempo_bpm": 128, "key": "F#/Gb major"},
        )

    def test_every_filled_key_is_one_of_the_songs_key_choices(self) -> None:
        from songs.models.song import KEY_CHOICES  # the field's own choices

        choices = {value for value, _ in KEY_CHOICES}
        for tonic in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"):
            for mode in ("major", "minor"):
                filled = detected_fields(music(key=f"{tonic} {mode}"))["key"]
                self.assertIn(filled, choices)


# --- Recording and Editing: tuning ------------------------------------------------------------


class TuningTests(unittest.TestCase):
    def tuning(self, cents: float | None, stage: str = "recording") -> Check:
        return check(music(tuning_cents=cents), "tuning", stage)

    def test_a_tuning_12_cents_sharp_warns_as_a_443_hz_reference_pitch(self) -> None:
        result = self.tuning(11.8)
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith("Tuned to A = 443 Hz, 12 cents sharp of 440."),
            result.message,
        )
        self.assertIn("set the other instruments and tuners to A = 443 Hz", result.message)
        self.assertEqual(result.measured, 11.8)

    def test_a_flat_tuning_warns_in_editing_too(self) -> None:
        result = self.tuning(-20.0, "editing")
        self.assertEqual(result.status, Status.WARN)
        self.assertIn("Tuned to A = 435 Hz, 20 cents flat of 440.", result.message)

    def test_a_tuning_within_10_cents_passes(self) -> None:
        result = self.tuning(-4.2)
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(result.message, "Tuned to A = 439 Hz, 4 cents flat of 440.")
        self.assertEqual(self.tuning(0.3).message, "Tuned to A = 440 Hz, standard pitch.")

    def test_the_limit_is_judged_on_the_cents_the_sentence_shows(self) -> None:
        self.assertEqual(self.tuning(10.4).status, Status.PASS)
        self.assertEqual(self.tuning(10.6).status, Status.WARN)
        self.assertIn("11 cents sharp", self.tuning(10.6).message)

    def test_unpitched_music_is_not_judged_for_tuning(self) -> None:
        result = self.tuning(None)
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("No sustained notes found", result.message)

    def test_the_reference_pitch_follows_the_cents(self) -> None:
        self.assertAlmostEqual(reference_pitch_hz(0.0), 440.0)
        self.assertAlmostEqual(reference_pitch_hz(1200.0), 880.0)
        self.assertAlmostEqual(reference_pitch_hz(11.8), 443.0, delta=0.1)


# --- Recording and Editing: tempo drift -------------------------------------------------------


class TempoDriftTests(unittest.TestCase):
    def drift(self, now: float | None, then: float | None, **context: object) -> Check:
        return check(
            music(tempo_bpm=now),
            "tempo_drift",
            "recording",
            previous=("v2", music(tempo_bpm=then)),
            **context,
        )

    def test_a_first_version_has_no_drift_check(self) -> None:
        self.assertNotIn("tempo_drift", ids(music(), "recording"))

    def test_a_tempo_that_moved_more_than_2_percent_warns_with_both_versions(self) -> None:
        result = self.drift(94.0, 91.0, label="v3")
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith(
                "v3 plays at 94 BPM, v2 at 91: the tempo moved (3.3% faster)."
            ),
            result.message,
        )
        self.assertIn("Parts recorded against v2 will drift against v3", result.message)

    def test_without_its_label_the_version_is_this_version(self) -> None:
        result = self.drift(88.0, 91.0)
        self.assertTrue(result.message.startswith("This version plays at 88 BPM, v2 at 91"))
        self.assertIn("slower", result.message)
        self.assertIn("drift against this version", result.message)

    def test_a_tempo_within_2_percent_held(self) -> None:
        result = self.drift(92.4, 91.0, label="v3")
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(result.message, "v3 plays at 92 BPM, v2 at 91: within 2%, the tempo held.")
        same = self.drift(91.2, 91.0, label="v3")
        self.assertEqual(same.message, "v3 plays at 91 BPM, as v2 did: the tempo held.")

    def test_the_same_pulse_in_double_time_held(self) -> None:
        result = self.drift(184.0, 92.0, label="v3")
        self.assertEqual(result.status, Status.PASS)
        self.assertIn("the same pulse heard in double time", result.message)

    def test_two_tempi_that_round_alike_are_shown_with_a_decimal(self) -> None:
        result = self.drift(41.4, 40.51, label="v3")
        self.assertEqual(result.status, Status.WARN)
        self.assertIn("v3 plays at 41.4 BPM, v2 at 40.5", result.message)

    def test_a_version_without_a_steady_beat_is_not_compared(self) -> None:
        result = self.drift(94.0, None, label="v3")
        self.assertEqual(result.status, Status.SKIP)
        self.assertEqual(
            result.message,
            "The tempo is not compared with v2's: no steady beat was found in v2.",
        )
        unsure = check(
            music(tempo_confidence=0.25),
            "tempo_drift",
            "editing",
            previous=("v2", music()),
        )
        self.assertEqual(unsure.status, Status.SKIP)
        self.assertIn("the beat of this version is too unsteady (confidence 0.25)", unsure.message)


# --- Mixing and Mastering: tonal balance ------------------------------------------------------


class TonalBalanceTests(unittest.TestCase):
    def balance(self, offsets: dict[str, float], stage: str = "mixing", **context: object) -> Check:
        context.setdefault("profile", profile())
        return check(music(band_levels_db=shaped(offsets)), "tonal_balance", stage, **context)

    def test_the_regions_cover_every_band_once(self) -> None:
        bands = [index for region in REGIONS for index in region.bands]
        self.assertEqual(sorted(bands), list(range(BANDS)))

    def test_a_mix_inside_the_profile_passes(self) -> None:
        result = self.balance({"presence": -1.4})
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(
            result.message,
            "Close to the Pop profile: every region from 100 Hz to 10 kHz sits inside its band.",
        )

    def test_a_presence_dip_reads_darker_with_the_region_db_past_the_band(self) -> None:
        result = self.balance({"presence": -4.6})
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith(
                "Darker than the Pop profile: the 2–4 kHz region sits 3.1 dB under its band."
            ),
            result.message,
        )
        self.assertEqual(result.measured, -4.6)

    def test_more_air_reads_brighter_with_the_region_db_past_the_band(self) -> None:
        result = self.balance({"air": 3.5})
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith(
                "Brighter than the Pop profile: the 5–10 kHz region sits 2.0 dB over its band."
            ),
            result.message,
        )

    def test_regions_on_the_same_side_share_one_sentence_furthest_first(self) -> None:
        result = self.balance({"presence": -4.6, "lows": 3.0})
        self.assertTrue(
            result.message.startswith(
                "Darker than the Pop profile: the 2–4 kHz region sits 3.1 dB under its band "
                "and the 100–160 Hz region sits 1.5 dB over its band."
            ),
            result.message,
        )

    def test_low_mids_and_mids_read_on_clear_and_forward(self) -> None:
        self.assertIn(
            "Less clear than the Pop profile: the 200–500 Hz region sits 1.0 dB over its band.",
            self.balance({"low mids": 2.5}).message,
        )
        self.assertIn(
            "Thinner than the Pop profile: the 200–500 Hz region",
            self.balance({"low mids": -2.5}).message,
        )
        self.assertIn(
            "More forward than the Pop profile: the 630 Hz–1.6 kHz region sits 0.5 dB over",
            self.balance({"mids": 2.0}).message,
        )
        self.assertIn("More hollow than", self.balance({"mids": -2.0}).message)

    def test_a_quieter_bounce_of_the_same_shape_reads_the_same(self) -> None:
        loud = self.balance({"presence": -4.6})
        quiet = check(
            music(band_levels_db=shaped({"presence": -4.6}, level_db=-80.0)),
            "tonal_balance",
            "mixing",
            profile=profile(),
        )
        self.assertEqual(quiet.message, loud.message)

    def test_a_silent_band_is_left_out_of_the_comparison(self) -> None:
        levels = list(shaped({"presence": -4.6}))
        levels[-1] = None  # type: ignore[call-overload]
        result = check(
            music(band_levels_db=tuple(levels)), "tonal_balance", "mixing", profile=profile()
        )
        self.assertEqual(result.status, Status.WARN)
        self.assertIn("2–4 kHz region sits", result.message)

    def test_a_starter_profile_is_not_judged_against(self) -> None:
        result = self.balance({"presence": -6.0}, profile=profile(tracks=0))
        self.assertEqual(result.status, Status.SKIP)
        self.assertEqual(
            result.message,
            "The Pop profile is a starter shape, not measured from records, so the tonal "
            "balance gets no verdict against it.",
        )

    def test_no_genre_asks_for_one(self) -> None:
        result = self.balance({}, profile=None)
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("choose the song's genre to have the tonal balance read", result.message)

    def test_a_bounce_without_band_levels_is_not_read(self) -> None:
        for levels in ((), (None,) * BANDS):
            result = check(
                music(band_levels_db=levels), "tonal_balance", "mixing", profile=profile()
            )
            self.assertEqual(result.status, Status.SKIP)
            self.assertIn("no band levels", result.message)

    def test_the_genre_profile_is_read_at_mastering_too(self) -> None:
        result = self.balance({"presence": -4.6}, stage="mastering")
        self.assertEqual(result.status, Status.WARN)
        self.assertIn("Darker than the Pop profile", result.message)


class ReferenceBalanceTests(unittest.TestCase):
    def reference(self, offsets: dict[str, float], stage: str = "mastering") -> Check:
        return check(
            music(band_levels_db=shaped(offsets)),
            "reference_balance",
            stage,
            reference=("Heat Waves", music()),
        )

    def test_a_master_brighter_than_its_reference_says_so_with_the_region_db(self) -> None:
        result = self.reference({"air": 4.0})
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith(
                "Brighter than Heat Waves: the 5–10 kHz region sits 2.0 dB over its band."
            ),
            result.message,
        )

    def test_a_master_darker_than_its_reference_says_so(self) -> None:
        result = self.reference({"presence": -3.0, "air": -2.5})
        self.assertTrue(
            result.message.startswith(
                "Darker than Heat Waves: the 2–4 kHz region sits 1.0 dB under its band and the "
                "5–10 kHz region sits 0.5 dB under its band."
            ),
            result.message,
        )

    def test_a_master_close_to_its_reference_passes(self) -> None:
        result = self.reference({"air": 1.5})
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(
            result.message,
            "Close to Heat Waves: every region from 100 Hz to 10 kHz sits inside its band.",
        )

    def test_the_reference_is_read_at_mixing_when_there_is_one(self) -> None:
        self.assertEqual(self.reference({"air": 4.0}, stage="mixing").status, Status.WARN)

    def test_mastering_without_a_reference_asks_for_one(self) -> None:
        result = check(music(), "reference_balance", "mastering")
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("attach a reference track", result.message)
        self.assertNotIn("reference_balance", ids(music(), "mixing"))

    def test_a_reference_with_a_silent_band_is_not_compared(self) -> None:
        silent = music(band_levels_db=(None,) + shaped()[1:])
        result = check(music(), "reference_balance", "mastering", reference=("Demo", silent))
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("The band levels of Demo could not be measured", result.message)

    def test_a_reference_profile_is_its_shape_with_a_fixed_band(self) -> None:
        track = music(band_levels_db=shaped({"air": 3.0}, level_db=-50.0))
        made = reference_profile("Heat Waves", track)
        assert made is not None
        self.assertEqual(made.name, "Heat Waves")
        self.assertEqual(made.measured_tracks, 1)
        self.assertEqual(made.spread_db, (REFERENCE_SPREAD_DB,) * BANDS)
        self.assertAlmostEqual(sum(made.levels_db), 0.0, places=9)
        for index in REGIONS[-1].bands:
            self.assertAlmostEqual(made.levels_db[index], 3.0)
        self.assertIsNone(reference_profile("Empty", music(band_levels_db=())))


# --- Mixing: space and density ----------------------------------------------------------------


class LowEndTests(unittest.TestCase):
    def low_end(self, value: float | None, **changes: object) -> Check:
        return check(music(low_end_correlation=value, **changes), "low_end_mono", "mixing")

    def test_a_mono_compatible_low_end_passes(self) -> None:
        result = self.low_end(0.93)
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(
            result.message,
            "Below 150 Hz left and right move together (correlation +0.93): the bass holds "
            "up in mono.",
        )

    def test_a_wide_low_end_warns_that_the_bass_goes_thin_in_mono(self) -> None:
        result = self.low_end(0.3)
        self.assertEqual(result.status, Status.WARN)
        self.assertIn("correlate only +0.30", result.message)
        self.assertIn("summed to mono the bass goes thin", result.message)
        self.assertEqual(self.low_end(0.49).status, Status.WARN)
        self.assertEqual(self.low_end(0.5).status, Status.PASS)

    def test_an_out_of_phase_low_end_warns_that_the_bass_can_vanish(self) -> None:
        result = self.low_end(-0.3)
        self.assertEqual(result.status, Status.WARN)
        self.assertIn("out of phase (correlation -0.30)", result.message)
        self.assertIn("the bass cancels and can vanish", result.message)

    def test_a_mono_file_is_not_judged_for_its_low_end(self) -> None:
        result = self.low_end(None, stereo_width=None)
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("A mono file", result.message)

    def test_a_silent_side_is_not_judged_for_its_low_end(self) -> None:
        result = self.low_end(None)
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("one side or both are silent", result.message)


class StereoWidthTests(unittest.TestCase):
    def width(self, mid: float | None, high: float | None = None) -> Check:
        return check(
            music(stereo_width=StereoWidth(low=0.02, mid=mid, high=high)), "stereo_width", "mixing"
        )

    def test_wide_mids_read_as_spacious_with_the_side_level(self) -> None:
        result = self.width(0.42, 0.6)
        self.assertEqual(result.status, Status.PASS)
        self.assertEqual(
            result.message,
            "Spacious: between 150 Hz and 5 kHz the sides (what differs between left and "
            "right) sit 3.8 dB under the centre (what they share), and above 5 kHz they sit "
            "2.2 dB under the centre.",
        )
        self.assertEqual(result.measured, 0.42)

    def test_moderate_width_reads_as_centred_with_some_space(self) -> None:
        result = self.width(0.2, 0.25)
        self.assertEqual(result.status, Status.PASS)
        self.assertTrue(result.message.startswith("Centred, with some space:"), result.message)
        self.assertIn("sit 7.0 dB under the centre", result.message)

    def test_a_mix_close_to_mono_reads_as_dense_and_narrow(self) -> None:
        result = self.width(0.05, 0.06)
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith("Dense and narrow, close to mono:"), result.message
        )
        self.assertIn("sit 13.0 dB under the centre", result.message)

    def test_narrow_mids_with_wide_highs_are_not_narrow(self) -> None:
        self.assertEqual(self.width(0.05, 0.5).status, Status.PASS)

    def test_the_target_says_one_band_in_range_is_enough(self) -> None:
        # Wide mids and highs far under the centre pass: the target must not read as if
        # both bands had to sit within 10 dB of it.
        result = self.width(0.48, 0.012)
        self.assertEqual(result.status, Status.PASS)
        self.assertIn("above 5 kHz they sit 19.2 dB under the centre", result.message)
        self.assertEqual(
            result.target,
            "sides no louder than the centre, and no more than 10 dB under it in the mids "
            "or the highs",
        )

    def test_sides_louder_than_the_centre_warn_that_mono_loses_more_than_it_keeps(self) -> None:
        result = self.width(1.32, 0.8)
        self.assertEqual(result.status, Status.WARN)
        self.assertTrue(
            result.message.startswith("Wider than it is centred in the mids:"), result.message
        )
        self.assertIn("are 1.2 dB louder than the centre", result.message)
        self.assertIn("in the highs", self.width(0.4, 1.5).message)

    def test_a_mono_file_is_not_read_for_width(self) -> None:
        result = check(music(stereo_width=None), "stereo_width", "mixing")
        self.assertEqual(result.status, Status.SKIP)
        self.assertIn("A mono file", result.message)

    def test_mids_without_energy_are_not_read_for_width(self) -> None:
        self.assertEqual(self.width(None, 0.5).status, Status.SKIP)


# --- From audio to verdict --------------------------------------------------------------------


class SynthesisedBounceTests(unittest.TestCase):
    """Two renders through analyse_music, so the thresholds meet real measurements."""

    def test_a_groove_at_its_declared_tempo_passes_and_could_fill_the_field(self) -> None:
        report = analyse_music(io.BytesIO(encode(drums(Groove(97.0), 15.0), 44100)))
        result = check(report, "tempo_match", "pre-production", declared_tempo_bpm=97)
        self.assertEqual(result.status, Status.PASS, result.message)
        self.assertEqual(detected_fields(report).get("tempo_bpm"), 97)

    def test_a_piece_in_f_sharp_minor_matches_the_field_spelling(self) -> None:
        report = analyse_music(
            io.BytesIO(encode(tonal_piece(6, True, 12.0, timbre="piano", variant=3), 44100))
        )
        result = check(report, "key_match", "pre-production", declared_key="F#/Gb minor")
        self.assertEqual(result.status, Status.PASS, result.message)
        self.assertEqual(detected_fields(report).get("key"), "F#/Gb minor")
