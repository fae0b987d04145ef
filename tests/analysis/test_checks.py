"""Targets as data, stage-aware checks in the student's words, and the streaming preview."""

from __future__ import annotations

import inspect
import io
import unittest
from dataclasses import asdict, fields, replace

from songs.analysis import (
    DEFAULT_PLATFORMS,
    STAGE_SLUGS,
    Delivery,
    PlatformProfile,
    Targets,
    TargetsError,
    analyse,
)
from songs.analysis.checks import evaluate
from songs.analysis.streaming import preview
from tests.analysis.signals import encode, faded, report_for, tone


class TargetsTests(unittest.TestCase):
    def test_the_defaults_are_the_documented_targets(self) -> None:
        targets = Targets()
        self.assertEqual(targets.master_integrated_lufs, -14.0)
        self.assertEqual(targets.true_peak_max_dbtp, -1.0)
        self.assertEqual(
            {p.name: p.target_lufs for p in targets.platforms},
            {
                "Spotify": -14.0,
                "Apple Music": -16.0,
                "YouTube": -14.0,
                "Tidal": -14.0,
                "Amazon Music": -14.0,
                "Deezer": -15.0,
            },
        )
        for profile in DEFAULT_PLATFORMS:
            self.assertTrue(profile.source.startswith("https://"))
            self.assertTrue(profile.checked)

    def test_every_target_is_documented(self) -> None:
        source = inspect.getsource(Targets)
        for field in fields(Targets):
            declaration = source.index(f"    {field.name}:")
            following = source[declaration:].splitlines()[1].strip()
            self.assertTrue(following.startswith('"""'), f"{field.name} has no docstring")

    def test_a_mapping_overrides_the_targets_in_their_own_types(self) -> None:
        targets = Targets.from_mapping(
            {"master_integrated_lufs": -16, "clip_run_samples": 5, "lenient_stages": ["mixing"]}
        )
        self.assertEqual(targets.master_integrated_lufs, -16.0)
        self.assertIsInstance(targets.master_integrated_lufs, float)
        self.assertEqual(targets.clip_run_samples, 5)
        self.assertEqual(targets.lenient_stages, ("mixing",))

    def test_delivery_is_the_profiles_business_not_a_target(self) -> None:
        for name in ("delivery_min_bit_depth", "required_tags"):
            with self.subTest(name=name), self.assertRaisesRegex(TargetsError, "delivery profile"):
                Targets.from_mapping({name: 24})

    def test_unknown_names_are_refused(self) -> None:
        with self.assertRaisesRegex(TargetsError, "Unknown audio target.*master_lufs"):
            Targets.from_mapping({"master_lufs": -14})

    def test_wrong_kinds_are_refused(self) -> None:
        for overrides in (
            {"master_integrated_lufs": "loud"},
            {"clip_run_samples": 2.5},
            {"max_channels": True},
            {"lenient_stages": ["mixing", 3]},
            {"master_integrated_warn_lu": 0.5},  # below the tolerance
            {"lenient_stages": ["demo"]},
        ):
            with self.subTest(overrides=overrides), self.assertRaises(TargetsError):
                Targets.from_mapping(overrides)

    def test_platforms_replace_the_defaults(self) -> None:
        targets = Targets.from_mapping(
            {"platforms": [{"name": "Radio", "target_lufs": -23, "turns_up_quiet": True}]}
        )
        self.assertEqual(targets.platforms, (PlatformProfile("Radio", -23, True),))
        with self.assertRaisesRegex(TargetsError, "platform profile field.*loudness"):
            Targets.from_mapping({"platforms": [{"name": "X", "loudness": -14}]})


class StreamingPreviewTests(unittest.TestCase):
    def by_name(self, integrated: float, true_peak: float) -> dict:
        return {p.platform: p for p in preview(DEFAULT_PLATFORMS, integrated, true_peak)}

    def test_spotify_lifts_its_own_example_only_as_far_as_the_peak_allows(self) -> None:
        # Spotify: a -20 LUFS track peaking at -5 dBTP is lifted only to -16 LUFS.
        spotify = self.by_name(-20.0, -5.0)["Spotify"]
        self.assertAlmostEqual(spotify.gain_db, 4.0)
        self.assertAlmostEqual(spotify.playback_lufs, -16.0)
        self.assertTrue(spotify.limited_by_peak)

    def test_turn_down_only_platforms_leave_quiet_tracks_alone(self) -> None:
        previews = self.by_name(-20.0, -5.0)
        for name in ("YouTube", "Tidal", "Amazon Music", "Deezer"):
            self.assertEqual(previews[name].gain_db, 0.0)
            self.assertEqual(previews[name].playback_lufs, -20.0)

    def test_loud_masters_are_turned_down_everywhere(self) -> None:
        previews = self.by_name(-8.0, -0.1)
        self.assertAlmostEqual(previews["Spotify"].gain_db, -6.0)
        self.assertAlmostEqual(previews["Apple Music"].gain_db, -8.0)
        self.assertAlmostEqual(previews["Deezer"].playback_lufs, -15.0)
        self.assertAlmostEqual(previews["YouTube"].playback_true_peak_dbtp, -6.1)

    def test_without_loudness_no_platform_gets_a_gain(self) -> None:
        self.assertTrue(all(p.gain_db is None for p in preview(DEFAULT_PLATFORMS, None, None)))


class ChecksTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        # 997 Hz at -10 dBFS: -10 LUFS integrated, true peak -10 dBTP.
        cls.base = report_for(faded(tone(6, -10, rate=44100, freq=997.0), rate=44100), 44100)

    def judged(self, stage: str | None, **changes: object) -> dict:
        report = replace(self.base, **changes)
        return {check.id: check for check in evaluate(report, Targets(), stage)}

    def test_each_stage_gets_its_own_checks(self) -> None:
        recording = self.judged("recording")
        self.assertIn("recording_headroom", recording)
        self.assertIn("clipping", recording)
        self.assertNotIn("integrated_loudness", recording)
        mastering = self.judged("mastering")
        for check in ("integrated_loudness", "true_peak", "loudness_range", "peak_to_loudness"):
            self.assertIn(check, mastering)
        for check in ("delivery_format", "tags", "isrc", "artwork"):
            self.assertIn(check, mastering)
        self.assertNotIn("recording_headroom", mastering)
        self.assertIn("mix_headroom", self.judged("mixing"))
        self.assertIn("abrupt_edges", self.judged("editing"))
        everything = self.judged(None)
        self.assertTrue(set(mastering) <= set(everything))
        for check in evaluate(self.base, Targets(), None):
            self.assertTrue(set(check.stages) <= set(STAGE_SLUGS))

    def test_the_true_peak_check_grades_the_peak_and_explains_it(self) -> None:
        check = self.judged("mastering", true_peak_dbtp=-0.2)["true_peak"]
        self.assertEqual(check.status, "warn")
        self.assertTrue(
            check.message.startswith(
                "Your loudest peak is -0.2 dBTP; leave at least 1 dB below full scale so "
                "encoders do not clip it."
            )
        )
        self.assertEqual(self.judged("mastering", true_peak_dbtp=0.4)["true_peak"].status, "fail")
        self.assertEqual(self.judged("mastering", true_peak_dbtp=-1.0)["true_peak"].status, "pass")

    def test_integrated_loudness_passes_warns_or_fails_by_its_band(self) -> None:
        for value, status in ((-14.0, "pass"), (-14.9, "pass"), (-16.5, "warn"), (-20.0, "fail")):
            with self.subTest(value=value):
                check = self.judged("mastering", integrated_lufs=value)["integrated_loudness"]
                self.assertEqual(check.status, status)
                self.assertEqual(check.measured, value)
                self.assertIn("-14.0 LUFS", check.target)
        loud = self.judged("mastering", integrated_lufs=-8.0)["integrated_loudness"]
        self.assertEqual(loud.status, "fail")
        self.assertIn("turn it down", loud.message)

    def test_a_quiet_master_is_said_to_sound_small_only_where_nothing_turns_it_up(self) -> None:
        quiet = self.judged("mastering", integrated_lufs=-15.5)["integrated_loudness"]
        self.assertEqual(
            quiet.message,
            "Your master measures -15.5 LUFS, 1.5 LU quieter than the -14.0 target. Where "
            "nothing evens out loudness (a download, a DJ set) and on YouTube, Tidal, Amazon "
            "Music and Deezer, which never turn a song up, it will sound small next to other "
            "songs. Raise it with gentle limiting while watching the true peak.",
        )
        spotify = next(p for p in Targets().platforms if p.name == "Spotify")
        report = replace(self.base, integrated_lufs=-15.5)
        only_spotify = Targets.from_mapping({"platforms": [asdict(spotify)]})
        check = next(
            c for c in evaluate(report, only_spotify, "mastering") if c.id == "integrated_loudness"
        )
        self.assertIn("(a download, a DJ set) it will sound small", check.message)

    def test_demo_stages_are_judged_lightly(self) -> None:
        check = self.judged("songwriting", clipped_samples=12, clip_events=2)["clipping"]
        self.assertEqual(check.status, "warn")
        self.assertIn("demo", check.message)
        strict = self.judged("recording", clipped_samples=12, clip_events=2)["clipping"]
        self.assertEqual(strict.status, "fail")

    def test_targets_change_the_verdict(self) -> None:
        report = replace(self.base, integrated_lufs=-16.0)
        lenient = Targets.from_mapping({"master_integrated_lufs": -16})
        check = next(
            c for c in evaluate(report, lenient, "mastering") if c.id == "integrated_loudness"
        )
        self.assertEqual(check.status, "pass")

    def test_the_delivery_format_check_refuses_lossy_and_odd_rates(self) -> None:
        self.assertEqual(self.judged("mastering")["delivery_format"].status, "pass")
        lossy = self.judged("mastering", lossless=False, codec="mp3", format="mp3", bit_depth=None)
        self.assertEqual(lossy["delivery_format"].status, "fail")
        self.assertIn("lossy", lossy["delivery_format"].message)
        odd_rate = self.judged("mastering", sample_rate=50000)
        self.assertIn("50000 Hz", odd_rate["delivery_format"].message)
        low_rate = self.judged("mastering", sample_rate=22050)
        self.assertIn("22.05 kHz; export at 44.1 kHz", low_rate["delivery_format"].message)

    def test_the_delivery_decides_format_tags_and_isrc(self) -> None:
        delivery = Delivery(
            profile="Hi-res",
            formats=("flac",),
            min_sample_rate_hz=96_000,
            min_bit_depth=24,
            title="Glass Orchard",
            artist="Ada",
            isrc="GBABC2400001",
        )
        report = replace(self.base, tags={"title": "glass  orchard", "artist": "Ada"})
        judged = {c.id: c for c in evaluate(report, Targets(), "mastering", delivery)}
        self.assertEqual(judged["delivery_format"].status, "fail")
        self.assertIn("deliver FLAC", judged["delivery_format"].message)
        self.assertIn("export at 96 kHz or more", judged["delivery_format"].message)
        self.assertEqual(judged["tags"].status, "pass")  # case and spacing aside
        self.assertEqual(judged["isrc"].status, "fail")
        self.assertIn("embed GB-ABC-24-00001", judged["isrc"].message)
        on_its_own = {c.id: c for c in evaluate(report, Targets(), "mastering")}
        self.assertEqual(on_its_own["isrc"].status, "warn")  # nothing to compare with

    def test_unknown_stage_is_a_programming_error(self) -> None:
        data = encode(tone(1, -20, rate=44100), 44100)
        with self.assertRaises(ValueError):
            analyse(io.BytesIO(data), stage="busking")
