"""Loudness against EBU Tech 3341 and 3342 compliance cases, re-created by synthesis.

The cases are built as the specifications describe them (1 kHz sines at stated levels
and durations); the tolerances are the published ones: +-0.1 LU for momentary,
short-term and integrated loudness, +-1 LU for loudness range.
"""

from __future__ import annotations

import unittest

import numpy as np
import scipy.signal

from songs.analysis.loudness import (
    BlockFilter,
    LoudnessMeter,
    LoudnessResult,
    channel_weights,
    k_weighting_sos,
    lufs,
)
from tests.analysis.signals import join, report_for, silence, tone

RATES = (44100, 48000)


def measure(signal: np.ndarray, rate: int, block: int = 65536) -> LoudnessResult:
    meter = LoudnessMeter(rate, signal.shape[1])
    samples = np.ascontiguousarray(signal.T, dtype=np.float32)
    for start in range(0, samples.shape[1], block):
        meter.add(samples[:, start : start + block])
    return meter.result()


def series(mean_squares: np.ndarray) -> np.ndarray:
    return np.array([lufs(value) for value in mean_squares])


class KWeightingTests(unittest.TestCase):
    def test_48k_filter_is_the_published_one(self) -> None:
        published = [
            [1.53512485958697, -2.69169618940638, 1.19839281085285],
            [1.0, -1.69065929318241, 0.73248077421585],
            [1.0, -2.0, 1.0],
            [1.0, -1.99004745483398, 0.99007225036621],
        ]
        sos = k_weighting_sos(48000)
        np.testing.assert_allclose(sos[0, :3], published[0], atol=1e-12)
        np.testing.assert_allclose(sos[0, 3:], published[1], atol=1e-12)
        np.testing.assert_allclose(sos[1, :3], published[2], atol=1e-12)
        np.testing.assert_allclose(sos[1, 3:], published[3], atol=1e-12)

    def test_other_rates_have_the_same_response_across_the_audio_band(self) -> None:
        frequencies = np.array([20.0, 50.0, 100.0, 500.0, 997.0, 2000.0, 5000.0, 10000.0])
        _, reference = scipy.signal.sosfreqz(k_weighting_sos(48000), frequencies, fs=48000)
        for rate in (32000, 44100, 88200, 96000, 176400, 192000):
            with self.subTest(rate=rate):
                _, response = scipy.signal.sosfreqz(k_weighting_sos(rate), frequencies, fs=rate)
                difference = 20 * np.log10(np.abs(response) / np.abs(reference))
                # Bilinear warping differs most near the lower rate's Nyquist.
                self.assertLess(np.abs(difference[frequencies <= 5000]).max(), 0.02)
                self.assertLess(np.abs(difference).max(), 0.1)

    def test_997_hz_gain_matches_the_standard_offset(self) -> None:
        _, response = scipy.signal.sosfreqz(k_weighting_sos(48000), [997.0], fs=48000)
        self.assertAlmostEqual(20 * np.log10(abs(response[0])), 0.691, delta=0.001)

    def test_block_filter_equals_a_sample_by_sample_filter(self) -> None:
        rng = np.random.default_rng(1)
        signal = (rng.standard_normal((3, 200_000)) * 0.3).astype(np.float32)
        for rate in (44100, 192000):
            sos = k_weighting_sos(rate)
            expected = scipy.signal.sosfilt(sos, signal.astype(np.float64), axis=1)
            block_filter = BlockFilter(sos, 3)
            pieces, start = [], 0
            for size in (65536, 1, 37, 1000, 64, 200_000):
                pieces.append(block_filter(signal[:, start : start + size]))
                start += size
            got = np.concatenate(pieces, axis=1)
            with self.subTest(rate=rate):
                np.testing.assert_allclose(got, expected, atol=1e-5)


class Tech3341IntegratedTests(unittest.TestCase):
    def check(self, signal: np.ndarray, rate: int, expected: float) -> None:
        report = report_for(signal, rate)
        self.assertAlmostEqual(report.integrated_lufs, expected, delta=0.1)

    def test_ebu_3341_case_1_a_stereo_sine_at_minus_23_reads_minus_23(self) -> None:
        for rate in RATES:
            with self.subTest(rate=rate):
                report = report_for(tone(20, -23, rate=rate), rate)
                for value in (
                    report.integrated_lufs,
                    report.momentary_max_lufs,
                    report.short_term_max_lufs,
                ):
                    self.assertAlmostEqual(value, -23.0, delta=0.1)

    def test_ebu_3341_case_2_a_stereo_sine_at_minus_33_reads_minus_33(self) -> None:
        for rate in RATES:
            with self.subTest(rate=rate):
                report = report_for(tone(20, -33, rate=rate), rate)
                self.assertAlmostEqual(report.integrated_lufs, -33.0, delta=0.1)
                self.assertAlmostEqual(report.short_term_max_lufs, -33.0, delta=0.1)
                self.assertAlmostEqual(report.momentary_max_lufs, -33.0, delta=0.1)

    def test_ebu_3341_case_3_the_relative_gate_drops_quiet_edges(self) -> None:
        for rate in RATES:
            with self.subTest(rate=rate):
                signal = join(
                    tone(10, -36, rate=rate), tone(60, -23, rate=rate), tone(10, -36, rate=rate)
                )
                self.check(signal, rate, -23.0)

    def test_ebu_3341_case_4_both_gates_drop_the_quiet_edges(self) -> None:
        for rate in RATES:
            with self.subTest(rate=rate):
                signal = join(
                    tone(10, -72, rate=rate),
                    tone(10, -36, rate=rate),
                    tone(60, -23, rate=rate),
                    tone(10, -36, rate=rate),
                    tone(10, -72, rate=rate),
                )
                self.check(signal, rate, -23.0)

    def test_ebu_3341_case_5_levels_average_as_power(self) -> None:
        for rate in RATES:
            with self.subTest(rate=rate):
                signal = join(
                    tone(20, -26, rate=rate), tone(20.1, -20, rate=rate), tone(20, -26, rate=rate)
                )
                self.check(signal, rate, -23.0)

    def test_ebu_3341_case_6_five_channels_weight_the_surrounds(self) -> None:
        for rate in RATES:
            levels = (-28, -28, -24, -30, -30)  # L R C Ls Rs
            signal = np.hstack([tone(20, level, rate=rate, channels=1) for level in levels])
            with self.subTest(rate=rate, layout="5.0"):
                self.check(signal, rate, -23.0)
            # 5.1 in WAV order (L R C LFE Ls Rs): the LFE is left out, even when loud.
            lfe = tone(20, -6, rate=rate, freq=50.0, channels=1)
            surround = np.hstack([signal[:, :3], lfe, signal[:, 3:]])
            with self.subTest(rate=rate, layout="5.1"):
                self.check(surround, rate, -23.0)

    def test_mono_counts_one_channel(self) -> None:
        for rate in RATES:
            with self.subTest(rate=rate):
                report = report_for(tone(20, -20, rate=rate, channels=1), rate)
                self.assertAlmostEqual(report.integrated_lufs, -23.0, delta=0.1)
                self.assertIn("mono", report.flags)

    def test_channel_weights_leave_out_the_lfe_and_boost_the_surrounds(self) -> None:
        np.testing.assert_array_equal(channel_weights(1), [1.0])
        np.testing.assert_array_equal(channel_weights(2), [1.0, 1.0])
        np.testing.assert_array_equal(channel_weights(6), [1.0, 1.0, 1.0, 0.0, 1.41, 1.41])

    def test_higher_sample_rates_read_the_same_loudness(self) -> None:
        for rate in (88200, 96000, 192000):
            with self.subTest(rate=rate):
                self.check(tone(12, -23, rate=rate), rate, -23.0)


class Tech3341MomentaryAndShortTermTests(unittest.TestCase):
    def test_ebu_3341_case_9_short_term_is_constant_after_3_s(self) -> None:
        for rate in RATES:
            period = join(tone(1.34, -20, rate=rate), tone(1.66, -30, rate=rate))
            result = measure(np.tile(period, (5, 1)), rate)
            values = series(result.short_term_blocks)
            with self.subTest(rate=rate):
                self.assertLess(np.abs(values + 23.0).max(), 0.1)

    def test_ebu_3341_case_10_short_term_max_of_a_burst_anywhere(self) -> None:
        for rate in RATES:
            for offset in (0.0, 0.0123, 0.05, 0.0871, 0.1999, 0.37):
                signal = join(
                    silence(1 + offset, rate=rate), tone(3, -23, rate=rate), silence(1, rate=rate)
                )
                with self.subTest(rate=rate, offset=offset):
                    result = measure(signal, rate)
                    self.assertAlmostEqual(result.short_term_max_lufs, -23.0, delta=0.1)

    def test_ebu_3341_case_11_short_term_max_follows_each_level(self) -> None:
        rate = 48000
        for level in range(-38, -18, 3):
            signal = join(
                silence(0.5, rate=rate), tone(3, level, rate=rate), silence(0.5, rate=rate)
            )
            with self.subTest(level=level):
                result = measure(signal, rate)
                self.assertAlmostEqual(result.short_term_max_lufs, level, delta=0.1)

    def test_ebu_3341_case_12_momentary_is_constant_after_the_first_window(self) -> None:
        for rate in RATES:
            period = join(tone(0.18, -20, rate=rate), tone(0.22, -30, rate=rate))
            result = measure(np.tile(period, (25, 1)), rate)
            values = series(result.momentary_blocks)
            with self.subTest(rate=rate):
                self.assertLess(np.abs(values + 23.0).max(), 0.1)

    def test_ebu_3341_case_13_momentary_max_of_a_burst_anywhere(self) -> None:
        # Bursts as long as the window: a 10 Hz meter misses them by up to 1.2 dB.
        for rate in RATES:
            for offset in (0.0, 0.0037, 0.0051, 0.0299, 0.0614, 0.0999):
                signal = join(
                    silence(0.5 + offset, rate=rate),
                    tone(0.4, -23, rate=rate),
                    silence(0.5, rate=rate),
                )
                with self.subTest(rate=rate, offset=offset):
                    result = measure(signal, rate)
                    self.assertAlmostEqual(result.momentary_max_lufs, -23.0, delta=0.1)

    def test_ebu_3341_case_14_momentary_max_follows_each_level(self) -> None:
        rate = 44100
        for level in range(-38, -18, 3):
            signal = join(
                silence(0.3333, rate=rate), tone(0.4, level, rate=rate), silence(0.5, rate=rate)
            )
            with self.subTest(level=level):
                self.assertAlmostEqual(measure(signal, rate).momentary_max_lufs, level, delta=0.1)


class Tech3342LoudnessRangeTests(unittest.TestCase):
    CASES = (
        ((-20, -30), 10.0),
        ((-20, -15), 5.0),
        ((-40, -20), 20.0),
        ((-50, -35, -20, -35, -50), 15.0),
    )

    def test_ebu_3342_cases_1_to_4_read_their_published_range(self) -> None:
        for rate in RATES:
            for levels, expected in self.CASES:
                signal = join(*(tone(20, level, rate=rate) for level in levels))
                with self.subTest(rate=rate, levels=levels):
                    report = report_for(signal, rate)
                    self.assertAlmostEqual(report.loudness_range_lu, expected, delta=1.0)

    def test_steady_tone_has_no_range(self) -> None:
        report = report_for(tone(20, -18, rate=44100), 44100)
        self.assertAlmostEqual(report.loudness_range_lu, 0.0, delta=0.05)


class ShortAndSilentTests(unittest.TestCase):
    def test_silence_has_no_loudness_and_says_why(self) -> None:
        report = report_for(silence(5, rate=44100), 44100)
        self.assertIsNone(report.integrated_lufs)
        self.assertIsNone(report.momentary_max_lufs)
        self.assertIsNone(report.true_peak_dbtp)
        self.assertIsNone(report.plr_db)
        self.assertIn("silent", report.flags)

    def test_near_silence_below_the_absolute_gate_has_no_integrated_loudness(self) -> None:
        report = report_for(tone(5, -85, rate=44100), 44100)
        self.assertIsNone(report.integrated_lufs)
        self.assertIn("no_integrated_loudness", report.flags)
        self.assertAlmostEqual(report.sample_peak_dbfs, -85.0, delta=0.01)

    def test_a_file_shorter_than_a_gating_block_has_no_momentary_loudness(self) -> None:
        report = report_for(tone(0.25, -20, rate=48000), 48000)
        self.assertIsNone(report.integrated_lufs)
        self.assertIsNone(report.momentary_max_lufs)
        self.assertIn("too_short_for_momentary", report.flags)
        self.assertAlmostEqual(report.sample_peak_dbfs, -20.0, delta=0.01)

    def test_a_file_under_a_short_term_window_has_no_short_term_loudness(self) -> None:
        report = report_for(tone(2, -20, rate=48000), 48000)
        self.assertAlmostEqual(report.integrated_lufs, -20.0, delta=0.1)
        self.assertIsNone(report.short_term_max_lufs)
        self.assertIsNone(report.loudness_range_lu)
        self.assertIn("too_short_for_short_term", report.flags)

    def test_a_file_of_a_few_samples_has_a_duration_but_no_loudness(self) -> None:
        report = report_for(tone(0.0002, -6, rate=48000), 48000)
        self.assertEqual(report.duration_s, 10 / 48000)
        self.assertIsNone(report.integrated_lufs)
