"""The musical measurements against a test set synthesised with known answers.

Every render is made in code (tests/analysis/music_signals.py), so the truth is true by
construction: grooves at known tempi, pieces and melodies in all 24 keys, renders
detuned by known cents, noise and music with known spectral slopes. The accuracy tests
print their measured rates (run pytest with -s to see them; they are also in the
assertion messages), so the figures can be quoted.
"""

from __future__ import annotations

import io
import json
import math
import unittest
from functools import cache

import numpy as np

from songs.analysis import MUSIC_KEYS, AnalysisError, MusicReport, Targets, analyse_music
from songs.analysis.spectrum import BAND_CENTRES_HZ
from tests.analysis.music_signals import (
    PITCH_CLASSES,
    TIMBRES,
    Groove,
    drums,
    key_name,
    melody,
    sloped_noise,
    sustained_chord,
    tilted,
    tonal_piece,
    twelve_tone,
)
from tests.analysis.signals import encode

GROOVE_SECONDS = 15.0
TONAL_SECONDS = 12.0
TEMPO_TOLERANCE = 0.04
RELATED_FACTORS = (1.0, 0.5, 2.0, 1 / 3, 3.0)
DETUNINGS_CENTS = (-45.0, -33.0, -21.0, -12.0, -6.0, 0.0, 4.0, 9.0, 17.0, 28.0, 37.0, 45.0)


def measure(signal: np.ndarray, rate: int = 44100) -> MusicReport:
    return analyse_music(io.BytesIO(encode(signal, rate)))


def close_tempo(measured: float | None, truth: float, factor: float = 1.0) -> bool:
    return measured is not None and abs(measured / (truth * factor) - 1) <= TEMPO_TOLERANCE


def mirex_score(estimated: str | None, reference: str) -> float:
    """MIREX's weighted key score, as mir_eval.key.weighted_score computes it: 1 for the
    key, 0.5 for a fifth above in the same mode, 0.3 for the relative key, 0.2 for the
    parallel key, 0 otherwise (and for no answer)."""
    if estimated is None:
        return 0.0
    (estimated_tonic, estimated_mode), (tonic, mode) = estimated.split(), reference.split()
    step = (PITCH_CLASSES.index(estimated_tonic) - PITCH_CLASSES.index(tonic)) % 12
    if (step, estimated_mode) == (0, mode):
        return 1.0
    if estimated_mode == mode:
        return 0.5 if step == 7 else 0.0
    if (mode, step) in (("major", 9), ("minor", 3)):
        return 0.3
    return 0.2 if step == 0 else 0.0


# --- The test sets, each rendered and measured once -------------------------------------


def unambiguous_grooves() -> list[tuple[Groove, int]]:
    """20 grooves, 60 to 180 BPM in equal ratios: straight and swung alternately, every
    third in 3/4, every fourth at 48 kHz. Every beat has a kick or a snare."""
    tempi = np.round(np.geomspace(60, 180, 20), 1).tolist()
    return [
        (
            Groove(bpm, beats_per_bar=3 if i % 3 == 2 else 4, swing=i % 2 == 1),
            48000 if i % 4 == 3 else 44100,
        )
        for i, bpm in enumerate(tempi)
    ]


AMBIGUOUS_GROOVES = (Groove(76, half_time=True), Groove(100, half_time=True, swing=True))
"""Half-time feels: the snare on beat 3 only, which listeners tap at either speed."""


@cache
def groove_results() -> tuple[tuple[Groove, MusicReport], ...]:
    results = []
    for index, (groove, rate) in enumerate(unambiguous_grooves()):
        results.append(
            (groove, measure(drums(groove, GROOVE_SECONDS, rate=rate, seed=index), rate))
        )
    for groove in AMBIGUOUS_GROOVES:
        results.append((groove, measure(drums(groove, GROOVE_SECONDS, seed=99))))
    return tuple(results)


@cache
def tonal_results() -> tuple[tuple[str, str, float, MusicReport], ...]:
    """All 24 keys, each as a piece (chords, bass and melody; every third with drums) and
    as a melody alone, in the five timbres by turns; the pieces detuned by known cents.
    Returns (description, key, tuning in cents, report)."""
    results = []
    for minor in (False, True):
        for tonic in range(12):
            index = tonic + 12 * minor
            truth = key_name(tonic, minor)
            cents = DETUNINGS_CENTS[index % len(DETUNINGS_CENTS)]
            timbre = TIMBRES[index % len(TIMBRES)]
            rate = 48000 if index % 5 == 4 else 44100
            piece = tonal_piece(
                tonic,
                minor,
                TONAL_SECONDS,
                timbre=timbre,
                rate=rate,
                tuning_cents=cents,
                variant=index,
                bpm=80.0 + 3 * index,
                with_drums=index % 3 == 0,
            )
            results.append(
                (f"{truth}, {timbre} piece, {cents:+g} cents", truth, cents, measure(piece, rate))
            )
            line_timbre = TIMBRES[(index + 2) % len(TIMBRES)]
            line = melody(tonic, minor, TONAL_SECONDS, timbre=line_timbre, variant=index)
            results.append((f"{truth}, {line_timbre} melody", truth, 0.0, measure(line)))
    return tuple(results)


# --- Tempo --------------------------------------------------------------------------------


class TempoTests(unittest.TestCase):
    def test_grooves_from_60_to_180_bpm_read_their_tempo_within_4_percent(self) -> None:
        results = groove_results()[: len(unambiguous_grooves())]
        misses = [
            f"{groove.label} read {report.tempo_bpm}"
            for groove, report in results
            if not close_tempo(report.tempo_bpm, groove.bpm)
        ]
        rate = 1 - len(misses) / len(results)
        errors = [
            abs(report.tempo_bpm / groove.bpm - 1) * 100
            for groove, report in results
            if close_tempo(report.tempo_bpm, groove.bpm) and report.tempo_bpm is not None
        ]
        figures = (
            f"tempo within 4% on {rate:.0%} of {len(results)} unambiguous grooves "
            f"(straight, swung, 4/4, 3/4, 60-180 BPM); largest error among them "
            f"{max(errors, default=0):.2f}%; misses: {misses or 'none'}"
        )
        print(f"\n{figures}")
        self.assertGreaterEqual(rate, 0.95, figures)

    def test_every_groove_reads_its_tempo_or_a_half_double_third_or_triple(self) -> None:
        results = groove_results()
        related = [
            (groove, report)
            for groove, report in results
            if any(close_tempo(report.tempo_bpm, groove.bpm, f) for f in RELATED_FACTORS)
        ]
        ambiguous = {
            groove.label: report.tempo_bpm for groove, report in results[-len(AMBIGUOUS_GROOVES) :]
        }
        figures = (
            f"tempo within 4% of 1x, 1/2x, 2x, 1/3x or 3x on {len(related)}/{len(results)} "
            f"grooves; the half-time ones read {ambiguous}"
        )
        print(f"\n{figures}")
        self.assertEqual(len(related), len(results), figures)

    def test_grooves_report_a_confident_tempo(self) -> None:
        confidences = [report.tempo_confidence for _, report in groove_results()]
        self.assertGreater(min(confidences), 0.5, confidences)
        self.assertLessEqual(max(confidences), 1.0)

    def test_steady_noise_and_a_sustained_chord_have_no_tempo(self) -> None:
        for name, signal in (
            ("white noise", sloped_noise(GROOVE_SECONDS, 0.0)),
            ("pink noise", sloped_noise(GROOVE_SECONDS, -3.0103, seed=1)),
            ("sustained chord", sustained_chord(GROOVE_SECONDS)),
        ):
            with self.subTest(name):
                report = measure(signal)
                self.assertIsNone(report.tempo_bpm, f"{name}: {report.tempo_confidence}")
                self.assertLess(report.tempo_confidence, 0.2)

    def test_a_bounce_shorter_than_four_seconds_has_no_tempo(self) -> None:
        report = measure(drums(Groove(120), 3.0))
        self.assertIsNone(report.tempo_bpm)


# --- Key and tuning -------------------------------------------------------------------------


class KeyTests(unittest.TestCase):
    def test_pieces_and_melodies_in_all_24_keys_score_at_least_0_9_mirex(self) -> None:
        results = tonal_results()
        scores = [mirex_score(report.key, truth) for _, truth, _, report in results]
        wrong = [
            f"{name} read {report.key}"
            for (name, truth, _, report), score in zip(results, scores, strict=True)
            if score < 1
        ]
        exact = scores.count(1.0) / len(scores)
        figures = (
            f"mean MIREX weighted key score {np.mean(scores):.3f} over {len(scores)} renders "
            f"(24 keys x piece and melody, 5 timbres); exact key on {exact:.0%}; "
            f"not exact: {wrong or 'none'}"
        )
        print(f"\n{figures}")
        self.assertGreaterEqual(float(np.mean(scores)), 0.9, figures)

    def test_key_names_are_spelt_with_sharps(self) -> None:
        names = {report.key for *_, report in tonal_results()}
        allowed = {f"{tonic} {mode}" for tonic in PITCH_CLASSES for mode in ("major", "minor")}
        self.assertLessEqual(names, allowed | {None})
        self.assertIn("A# minor", names)
        self.assertIn("F# major", names)

    def test_noise_and_drum_only_grooves_have_no_key_and_no_tuning(self) -> None:
        for name, signal in (
            ("white noise", sloped_noise(TONAL_SECONDS, 0.0)),
            ("pink noise", sloped_noise(TONAL_SECONDS, -3.0103, seed=1)),
            ("4/4 groove", drums(Groove(96), TONAL_SECONDS)),
            ("swung 3/4 groove", drums(Groove(150, beats_per_bar=3, swing=True), TONAL_SECONDS)),
        ):
            with self.subTest(name):
                report = measure(signal)
                self.assertIsNone(report.key, name)
                self.assertIsNone(report.tuning_cents, name)

    def test_atonal_twelve_tone_rows_are_pitched_but_have_no_key(self) -> None:
        for seed, timbre in enumerate(("piano", "organ", "strings")):
            with self.subTest(timbre):
                report = measure(twelve_tone(TONAL_SECONDS, timbre=timbre, seed=seed))
                self.assertIsNone(report.key, report.key_confidence)
                self.assertIsNotNone(report.tuning_cents)

    def test_a_sustained_major_chord_reads_as_its_key(self) -> None:
        self.assertEqual(measure(sustained_chord(TONAL_SECONDS)).key, "C major")


class TuningTests(unittest.TestCase):
    def test_renders_detuned_by_known_cents_read_their_tuning_within_5_cents(self) -> None:
        results = tonal_results()
        errors = []
        for name, _, cents, report in results:
            self.assertIsNotNone(report.tuning_cents, name)
            assert report.tuning_cents is not None
            errors.append((abs(report.tuning_cents - cents), name))
        worst = max(errors)
        detuned = sorted({cents for _, _, cents, _ in results})
        figures = (
            f"tuning error over {len(errors)} renders (detuned by {detuned} cents): "
            f"mean {np.mean([e for e, _ in errors]):.2f} cents, largest {worst[0]:.2f} "
            f"({worst[1]})"
        )
        print(f"\n{figures}")
        self.assertLessEqual(worst[0], 5.0, figures)

    def test_tuning_is_reported_between_minus_and_plus_50_cents(self) -> None:
        for *_, report in tonal_results():
            assert report.tuning_cents is not None
            self.assertTrue(-50 <= report.tuning_cents <= 50, report.tuning_cents)


# --- Tonal balance ----------------------------------------------------------------------


class SpectralTiltTests(unittest.TestCase):
    def test_white_noise_has_flat_band_levels_and_no_tilt(self) -> None:
        report = measure(sloped_noise(30, 0.0))
        levels = np.array(report.band_levels_db, dtype=float)
        assert report.spectral_tilt_db_per_octave is not None
        spread = float(np.max(np.abs(levels - levels.mean())))
        print(
            f"\nwhite noise: tilt {report.spectral_tilt_db_per_octave:+.3f} dB/oct, band levels "
            f"within {spread:.2f} dB of their mean"
        )
        self.assertAlmostEqual(report.spectral_tilt_db_per_octave, 0.0, delta=0.1)
        # 30 s of noise: the 100 Hz band averages four bins, so it scatters by ~0.2 dB.
        self.assertLess(spread, 0.5, levels)

    def test_pink_noise_tilts_by_minus_3_01_db_per_octave(self) -> None:
        for seed, rate in ((0, 44100), (1, 48000)):
            with self.subTest(rate=rate):
                report = measure(sloped_noise(30, -3.0103, rate=rate, seed=seed), rate)
                assert report.spectral_tilt_db_per_octave is not None
                print(f"\npink noise at {rate} Hz: {report.spectral_tilt_db_per_octave} dB/oct")
                self.assertAlmostEqual(report.spectral_tilt_db_per_octave, -3.01, delta=0.1)

    def test_noise_with_known_slopes_reads_its_slope_within_0_3_db_per_octave(self) -> None:
        errors = []
        for seed, slope in enumerate((-6.0, -4.5, -1.5, 1.5, 3.0)):
            report = measure(sloped_noise(20, slope, seed=seed))
            assert report.spectral_tilt_db_per_octave is not None
            errors.append(abs(report.spectral_tilt_db_per_octave - slope))
        print(f"\nsloped noise: largest tilt error {max(errors):.3f} dB/oct")
        self.assertLessEqual(max(errors), 0.3, errors)

    def test_music_tilted_by_known_slopes_changes_its_tilt_by_that_slope(self) -> None:
        rate = 44100
        piece = tonal_piece(7, False, TONAL_SECONDS, timbre="piano", with_drums=True, bpm=110)
        base = measure(piece, rate).spectral_tilt_db_per_octave
        assert base is not None
        errors = []
        for slope in (-3.0, -1.5, 1.5, 3.0):
            report = measure(tilted(piece, slope, rate=rate), rate)
            assert report.spectral_tilt_db_per_octave is not None
            errors.append(abs(report.spectral_tilt_db_per_octave - base - slope))
        print(f"\ntilted music: largest tilt error {max(errors):.3f} dB/oct")
        self.assertLessEqual(max(errors), 0.3, errors)

    def test_band_levels_are_psd_in_db_re_full_scale_squared_per_hertz(self) -> None:
        # White noise of variance s^2 has a one-sided PSD of 2 s^2 / rate in every bin.
        noise = sloped_noise(30, 0.0)
        expected = 10 * math.log10(2 * float(np.mean(noise**2)) / 44100)
        levels = [level for level in measure(noise).band_levels_db if level is not None]
        self.assertEqual(len(levels), 21)
        self.assertAlmostEqual(float(np.mean(levels)), expected, delta=0.2)

    def test_the_bands_are_the_21_third_octaves_from_100_hz_to_10_khz(self) -> None:
        report = measure(sloped_noise(2, 0.0))
        self.assertEqual(len(report.band_centres_hz), 21)
        self.assertEqual(len(report.band_levels_db), 21)
        np.testing.assert_allclose(report.band_centres_hz, BAND_CENTRES_HZ)
        self.assertAlmostEqual(report.band_centres_hz[0], 100.0)
        self.assertAlmostEqual(report.band_centres_hz[10], 1000.0)
        self.assertAlmostEqual(report.band_centres_hz[-1], 10000.0)


# --- Stereo -----------------------------------------------------------------------------------


class StereoTests(unittest.TestCase):
    def test_a_mono_file_has_no_stereo_measures(self) -> None:
        report = measure(drums(Groove(120), 6.0, stereo=False))
        self.assertIsNone(report.stereo_width)
        self.assertIsNone(report.low_end_correlation)
        self.assertIsNone(report.to_dict()["stereo_width"])
        self.assertIsNotNone(report.tempo_bpm)

    def test_identical_channels_have_no_width_and_a_mono_low_end(self) -> None:
        report = measure(sloped_noise(10, -3.0, correlated=True))
        assert report.stereo_width is not None
        for value in (report.stereo_width.low, report.stereo_width.mid, report.stereo_width.high):
            self.assertAlmostEqual(value or 0.0, 0.0, places=6)
        self.assertAlmostEqual(report.low_end_correlation or 0.0, 1.0, places=6)

    def test_unrelated_channels_have_as_much_side_as_mid(self) -> None:
        report = measure(sloped_noise(20, -3.0))
        assert report.stereo_width is not None
        for name in ("low", "mid", "high"):
            self.assertAlmostEqual(getattr(report.stereo_width, name), 1.0, delta=0.15)
        self.assertAlmostEqual(report.low_end_correlation or 0.0, 0.0, delta=0.15)

    def test_a_wide_top_over_a_mono_bass_reads_by_band(self) -> None:
        rate = 44100
        t = np.arange(10 * rate) / rate
        bass = 0.4 * np.sin(2 * np.pi * 55 * t)
        air = tilted(sloped_noise(10, 0.0), 6.0, rate=rate) * 0.2  # mostly above 5 kHz
        report = measure(bass[:, None] + air, rate)
        assert report.stereo_width is not None
        self.assertLess(report.stereo_width.low or 0.0, 0.01)
        self.assertGreater(report.stereo_width.high or 0.0, 0.8)
        self.assertGreater(report.low_end_correlation or 0.0, 0.99)

    def test_a_bass_with_one_side_inverted_reads_out_of_phase(self) -> None:
        rate = 44100
        t = np.arange(10 * rate) / rate
        bass = 0.4 * np.sin(2 * np.pi * 60 * t)
        report = measure(np.stack([bass, -0.5 * bass], axis=1), rate)
        assert report.stereo_width is not None
        self.assertAlmostEqual(report.low_end_correlation or 0.0, -1.0, places=3)
        # mid = 0.25, side = 0.75 of the left: nine times the energy.
        self.assertAlmostEqual(report.stereo_width.low or 0.0, 9.0, delta=0.05)


# --- The report -------------------------------------------------------------------------------


class MusicReportTests(unittest.TestCase):
    def test_the_json_has_exactly_the_named_keys_and_round_trips(self) -> None:
        report = measure(tonal_piece(9, True, 8.0, timbre="piano", with_drums=True, bpm=120))
        data = report.to_dict()
        self.assertEqual(tuple(data), MUSIC_KEYS)
        text = json.dumps(data, allow_nan=False)
        self.assertEqual(MusicReport.from_dict(json.loads(text)).to_dict(), data)
        self.assertEqual(set(data["stereo_width"]), {"low", "mid", "high"})
        self.assertEqual(data["key"], "A minor")

    def test_digital_silence_gives_nulls_and_no_nan(self) -> None:
        report = measure(np.zeros((5 * 44100, 2)))
        data = report.to_dict()
        json.dumps(data, allow_nan=False)
        self.assertIsNone(data["tempo_bpm"])
        self.assertIsNone(data["key"])
        self.assertIsNone(data["tuning_cents"])
        self.assertIsNone(data["spectral_tilt_db_per_octave"])
        self.assertEqual(data["band_levels_db"], [None] * 21)
        self.assertEqual(data["stereo_width"], {"low": None, "mid": None, "high": None})
        self.assertIsNone(data["low_end_correlation"])
        self.assertEqual((data["tempo_confidence"], data["key_confidence"]), (0.0, 0.0))

    def test_a_file_shorter_than_one_welch_segment_has_no_spectrum(self) -> None:
        report = measure(sloped_noise(0.1, 0.0))
        self.assertIsNone(report.spectral_tilt_db_per_octave)
        self.assertEqual(report.band_levels_db, (None,) * 21)

    def test_a_file_that_is_not_audio_is_refused_with_a_reason(self) -> None:
        with self.assertRaises(AnalysisError) as raised:
            analyse_music(io.BytesIO(b"this is not a bounce, only some text" * 10))
        self.assertEqual(raised.exception.code, "not_audio")

    def test_a_bounce_longer_than_the_limit_is_refused(self) -> None:
        data = encode(sloped_noise(3, 0.0), 44100)
        with self.assertRaises(AnalysisError) as raised:
            analyse_music(io.BytesIO(data), targets=Targets(max_duration_s=1.0))
        self.assertEqual(raised.exception.code, "too_long")

    def test_samples_that_are_not_numbers_are_refused(self) -> None:
        signal = sloped_noise(2, 0.0)
        signal[1000, 0] = np.nan
        with self.assertRaises(AnalysisError) as raised:
            measure(signal)
        self.assertEqual(raised.exception.code, "invalid_samples")
