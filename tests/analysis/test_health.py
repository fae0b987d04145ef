"""Signal health: clipping runs, DC offset, stereo image, silence at the edges."""

from __future__ import annotations

import unittest

import numpy as np

from songs.analysis import Check, Status
from songs.analysis.health import HealthMeter, chunk_extremes
from tests.analysis.signals import join, music, report_for, silence, tone


def health_of(signal: np.ndarray, *, block: int, chunk: int = 64) -> object:
    samples = np.ascontiguousarray(signal.T, dtype=np.float32)
    meter = HealthMeter(
        samples.shape[0],
        clip_level=10 ** (-0.01 / 20),
        clip_run=3,
        silence_level=10 ** (-60 / 20),
        edge_frames=220,
    )
    for start in range(0, samples.shape[1], block):
        part = samples[:, start : start + block]
        highs, lows = chunk_extremes(part, chunk)
        meter.add(part, chunk, np.maximum(highs, -lows))
    return meter.result()


class ClippingTests(unittest.TestCase):
    def clipped_signal(self) -> np.ndarray:
        signal = tone(1, -12, rate=44100)
        signal[1000:1010, 0] = 1.0  # a run of 10
        signal[5000:5002, 0] = -1.0  # 2 in a row: not a clip
        signal[9000:9003, 1] = -1.0  # a run of 3 on the other channel
        signal[20475:20485, 1] = 1.0  # a run of 10 across a 4096-frame block boundary
        return signal

    def test_runs_of_full_scale_samples_count(self) -> None:
        report = report_for(self.clipped_signal(), 44100)
        self.assertEqual(report.clipped_samples, 23)
        self.assertEqual(report.clip_events, 3)

    def test_runs_are_counted_across_blocks(self) -> None:
        for block in (4096, 4095, 1, 65536):
            with self.subTest(block=block):
                health = health_of(self.clipped_signal(), block=block, chunk=16)
                self.assertEqual(health.clipped_samples, 23)
                self.assertEqual(health.clip_events, 3)

    def test_integer_full_scale_counts_as_clipped(self) -> None:
        signal = tone(0.5, -6, rate=44100)
        signal[100:120, :] = 1.0
        report = report_for(signal, 44100, subtype="PCM_16")
        self.assertEqual(report.clipped_samples, 40)

    def test_loud_but_unclipped_master_has_none(self) -> None:
        report = report_for(tone(2, -0.1, rate=44100), 44100)
        self.assertEqual(report.clipped_samples, 0)


class DcAndStereoTests(unittest.TestCase):
    def test_the_dc_offset_is_measured_per_channel(self) -> None:
        signal = tone(2, -20, rate=44100)
        signal[:, 0] += 0.01
        report = report_for(signal, 44100)
        self.assertAlmostEqual(report.dc_offset[0], 0.01, places=4)
        self.assertAlmostEqual(report.dc_offset[1], 0.0, places=4)

    def test_identical_channels_correlate_fully(self) -> None:
        report = report_for(tone(2, -20, rate=44100), 44100)
        self.assertAlmostEqual(report.correlation, 1.0, places=4)
        self.assertAlmostEqual(report.balance_db, 0.0, places=3)

    def test_flipped_polarity_is_minus_one(self) -> None:
        signal = tone(2, -20, rate=44100)
        signal[:, 1] *= -1
        report = report_for(signal, 44100, stage="mixing")
        self.assertAlmostEqual(report.correlation, -1.0, places=4)
        check = next(check for check in report.checks if check.id == "correlation")
        self.assertEqual(check.status, "fail")

    def test_balance_leans_towards_the_louder_side(self) -> None:
        signal = tone(2, -20, rate=44100)
        signal[:, 1] *= 10 ** (-3 / 20)
        report = report_for(signal, 44100)
        self.assertAlmostEqual(report.balance_db, 3.0, places=2)

    def test_one_silent_channel_is_flagged(self) -> None:
        signal = tone(2, -20, rate=44100)
        signal[:, 1] = 0.0
        report = report_for(signal, 44100, stage="mixing")
        self.assertIsNone(report.balance_db)
        self.assertIn("silent_channel", report.flags)
        check = next(check for check in report.checks if check.id == "balance")
        self.assertEqual(check.status, "fail")

    def test_mono_has_no_stereo_measures(self) -> None:
        report = report_for(tone(2, -20, rate=44100, channels=1), 44100, stage="mixing")
        self.assertIsNone(report.correlation)
        self.assertNotIn("correlation", [check.id for check in report.checks])


class SilenceAndEdgesTests(unittest.TestCase):
    def test_leading_and_trailing_silence_are_measured_in_seconds(self) -> None:
        rate = 44100
        signal = join(silence(1.5, rate=rate), tone(3, -20, rate=rate), silence(2.25, rate=rate))
        report = report_for(signal, rate)
        # A sine crosses zero at its start: the first sample above -60 dBFS comes a hair later.
        self.assertAlmostEqual(report.leading_silence_s, 1.5, delta=0.001)
        self.assertAlmostEqual(report.trailing_silence_s, 2.25, delta=0.001)

    def test_the_first_and_last_sound_are_found_across_blocks(self) -> None:
        rate = 44100
        signal = join(silence(2, rate=rate), tone(0.5, -20, rate=rate), silence(2, rate=rate))
        whole = health_of(signal, block=len(signal))
        for block in (1000, 4096, 65536):
            with self.subTest(block=block):
                health = health_of(signal, block=block)
                self.assertEqual(health.first_sound, whole.first_sound)
                self.assertEqual(health.last_sound, whole.last_sound)

    def test_abrupt_edges_warn_when_editing(self) -> None:
        rate = 44100
        report = report_for(tone(2, -6, rate=rate, phase_deg=90), rate, stage="editing")
        check = next(check for check in report.checks if check.id == "abrupt_edges")
        self.assertEqual(check.status, "warn")
        self.assertIn("starts and ends abruptly", check.message)

    def test_faded_edges_pass_the_abrupt_edges_check(self) -> None:
        rate = 44100
        signal = join(silence(0.1, rate=rate), tone(2, -6, rate=rate), silence(0.1, rate=rate))
        report = report_for(signal, rate, stage="editing")
        check = next(check for check in report.checks if check.id == "abrupt_edges")
        self.assertEqual(check.status, "pass")

    def test_a_wholly_silent_file_fails_the_silence_check(self) -> None:
        report = report_for(silence(3, rate=44100), 44100, stage="recording")
        self.assertEqual(report.leading_silence_s, 3.0)
        self.assertEqual(report.checks[0].id, "silence")
        self.assertEqual(report.checks[0].status, "fail")

    def test_the_noise_floor_is_measured_between_phrases(self) -> None:
        rate = 44100
        rng = np.random.default_rng(0)
        phrase = tone(2, -10, rate=rate)
        gap = rng.standard_normal((rate, 2)) * 10 ** (-40 / 20)
        signal = join(phrase, gap, phrase)
        report = report_for(signal, rate, stage="recording")
        # -40 dB of white noise per channel, +3 dB for two channels, about +3.3 dB from
        # K-weighting's high shelf (white noise is mostly treble), -0.691 offset.
        self.assertAlmostEqual(report.noise_floor_lufs, -40.0 + 3.0 + 3.3 - 0.7, delta=1.0)
        check = next(check for check in report.checks if check.id == "noise_floor")
        self.assertEqual(check.status, "warn")


class VerdictOnlyWhereMeasuredTests(unittest.TestCase):
    """A check that cannot know does not warn: it says, as "not judged", why it cannot."""

    def checks(self, signal: np.ndarray, stage: str, rate: int = 44100) -> dict[str, Check]:
        return {check.id: check for check in report_for(signal, rate, stage=stage).checks}

    def test_a_continuous_take_has_no_pause_so_its_noise_floor_is_not_judged(self) -> None:
        report = report_for(music(20.0), 44100, stage="recording")
        self.assertEqual(report.pause_s, 0.0)
        self.assertIsNone(report.noise_floor_lufs)
        check = next(check for check in report.checks if check.id == "noise_floor")
        self.assertEqual(check.status, Status.SKIP)
        self.assertIn("There is no pause in this take", check.message)
        self.assertNotIn("hiss, hum or room noise under", check.message)

    def test_a_quiet_passage_of_music_is_not_a_pause(self) -> None:
        rate = 44100
        loud, quiet = music(8.0), music(4.0, seed=1) * 10 ** (-12 / 20)  # 12 LU down
        check = self.checks(join(loud, quiet, loud), "recording", rate)["noise_floor"]
        self.assertEqual(check.status, Status.SKIP)

    def test_digitally_silent_pauses_pass_as_silence(self) -> None:
        rate = 44100
        take = join(music(5.0), silence(2.0, rate=rate), music(5.0, seed=2))
        report = report_for(take, rate, stage="editing")
        self.assertAlmostEqual(report.pause_s, 2.0, delta=0.2)
        check = next(check for check in report.checks if check.id == "noise_floor")
        self.assertEqual(check.status, Status.PASS)
        self.assertIn("digital silence", check.message)

    def test_an_excerpt_has_its_loudness_range_measured_but_not_judged(self) -> None:
        excerpt = self.checks(music(6.0), "mixing")["loudness_range"]
        self.assertEqual(excerpt.status, Status.SKIP)
        self.assertIn("this is an excerpt", excerpt.message)
        whole = self.checks(music(40.0), "mixing")["loudness_range"]
        self.assertNotEqual(whole.status, Status.SKIP)

    def test_a_bass_note_too_short_to_average_out_is_not_called_dc(self) -> None:
        rate = 44100
        note = tone(1.0, -6, rate=rate, freq=55.0)
        check = self.checks(note, "editing", rate)["dc_offset"]
        self.assertEqual(check.status, Status.SKIP)

    def test_no_integrated_loudness_means_loudness_is_not_judged(self) -> None:
        rate = 44100
        check = self.checks(tone(0.3, -10, rate=rate), "mastering", rate)["integrated_loudness"]
        self.assertEqual(check.status, Status.SKIP)


class LocatedProblemsTests(unittest.TestCase):
    def test_clipped_regions_are_located_in_seconds(self) -> None:
        rate = 44100
        loud = np.clip(tone(0.5, 3, rate=rate), -1, 1)  # half a second cut flat
        report = report_for(join(tone(1, -6, rate=rate), loud, tone(1, -6, rate=rate)), rate)
        self.assertEqual(len(report.clip_regions), 1)
        start, end = report.clip_regions[0]
        self.assertAlmostEqual(start, 1.0, delta=0.01)
        self.assertAlmostEqual(end, 1.5, delta=0.01)

    def test_a_file_that_clips_everywhere_keeps_a_bounded_list(self) -> None:
        rate = 44100
        clicks = np.zeros((rate * 20, 2))
        clicks[:: rate // 40, :] = 1.0  # 40 separate clipped spots a second, 20 s long
        for offset in (1, 2):
            clicks[offset :: rate // 40, :] = 1.0
        report = report_for(clicks, rate)
        self.assertGreater(report.clip_events, 800)
        self.assertLessEqual(len(report.clip_regions), 200)
        self.assertAlmostEqual(report.clip_regions[-1][1], 20.0, delta=0.1)

    def test_the_peaks_come_at_an_overview_and_a_finer_resolution(self) -> None:
        rate = 44100
        report = report_for(music(30.0), rate)
        peaks = report.peaks_dict()
        overview, detail = peaks["levels"]
        self.assertEqual(len(overview["max"]), 1200)
        self.assertGreaterEqual(len(detail["max"]), 100 * 30)  # at least 100 a second
        self.assertAlmostEqual(detail["seconds_per_peak"] * len(detail["max"]), 30.0, delta=0.1)
        self.assertNotIn("levels", report.to_dict())  # the report stays small
