"""True peak against EBU Tech 3341 cases 15-23 (+0.2 / -0.4 dB) and a brute-force oversampler."""

from __future__ import annotations

import unittest

import numpy as np

from songs.analysis.health import chunk_extremes
from songs.analysis.truepeak import TruePeakMeter, _interpolation_phases
from tests.analysis.signals import faded, report_for, tone

HIGH, LOW = 0.2, 0.4


def brute_force_peak(signal: np.ndarray) -> float:
    """Every interpolated value of every channel, with the same filter, no pruning."""
    phases = _interpolation_phases().astype(np.float64)
    taps = len(phases)
    best = float(np.abs(signal).max())
    for channel in signal.T:
        padded = np.concatenate((np.zeros(taps - 1), channel, np.zeros(taps - 1)))
        for phase in phases.T:
            best = max(best, float(np.abs(np.correlate(padded, phase, "valid")).max()))
    return best


def streamed_peak(signal: np.ndarray, *, block: int, chunk: int) -> float:
    samples = np.ascontiguousarray(signal.T, dtype=np.float32)
    meter = TruePeakMeter(samples.shape[0], chunk)
    for start in range(0, samples.shape[1], block):
        part = samples[:, start : start + block]
        highs, lows = chunk_extremes(part, chunk)
        meter.add(part, np.maximum(highs, -lows))
    meter.finish()
    return meter.peak


def pulse(rate: int, offset: float) -> np.ndarray:
    """A band-limited click whose continuous peak is exactly 1.0 (0 dBTP), placed
    `offset` samples after a sample instant: the further from a sample, the lower the
    samples themselves read (Tech 3341 cases 20-23 use the same idea)."""
    n = np.arange(-64, 65) - offset
    click = 0.6 * np.sinc(0.6 * n) / 0.6 * np.hanning(len(n) + 2)[1:-1]
    signal = np.zeros((rate // 2, 2))
    signal[1000 : 1000 + len(n), :] = click[:, None]
    return signal


class Tech3341TruePeakTests(unittest.TestCase):
    def check(
        self, rate: int, freq: float, amplitude_db: float, phase: float, expected: float
    ) -> None:
        signal = faded(tone(1.0, amplitude_db, rate=rate, freq=freq, phase_deg=phase), rate=rate)
        report = report_for(signal, rate)
        self.assertLessEqual(report.true_peak_dbtp, expected + HIGH)
        self.assertGreaterEqual(report.true_peak_dbtp, expected - LOW)

    def test_ebu_3341_cases_15_to_19_sines_read_their_true_peak(self) -> None:
        half = 20 * np.log10(0.5)
        cases = (
            ("15", 4, half, 0.0, -6.0),
            ("16", 4, half, 45.0, -6.0),
            ("17", 6, half, 60.0, -6.0),
            ("18", 8, half, 67.5, -6.0),
            ("19", 4, 20 * np.log10(1.41), 45.0, 3.0),
        )
        for rate in (44100, 48000, 96000):
            for case, divisor, level, phase, expected in cases:
                with self.subTest(case=case, rate=rate):
                    self.check(rate, rate / divisor, level, phase, expected)

    def test_ebu_3341_cases_20_to_23_inter_sample_peaks_read_0_dbtp(self) -> None:
        for rate in (44100, 48000):
            for case, offset in (("20", 0.0), ("21", 0.25), ("22", 0.5), ("23", 0.75)):
                with self.subTest(case=case, rate=rate):
                    report = report_for(pulse(rate, offset), rate)
                    self.assertLessEqual(report.true_peak_dbtp, HIGH)
                    self.assertGreaterEqual(report.true_peak_dbtp, -LOW)

    def test_half_sample_peak_reads_above_the_samples(self) -> None:
        report = report_for(pulse(48000, 0.5), 48000)
        self.assertLess(report.sample_peak_dbfs, -1.0)
        self.assertGreater(report.true_peak_dbtp, report.sample_peak_dbfs + 1.0)


class PruningTests(unittest.TestCase):
    def test_pruned_streaming_equals_brute_force(self) -> None:
        rng = np.random.default_rng(7)
        for trial in range(8):
            frames = int(rng.integers(20, 120_000))
            channels = int(rng.integers(1, 3))
            signal = rng.standard_normal((frames, channels)) * rng.uniform(0.01, 0.3)
            signal += np.sin(np.arange(frames) / 7.0)[:, None] * 0.5
            if trial % 2:
                signal[int(rng.integers(0, frames)), 0] = 0.97
            signal = signal.astype(np.float32)
            block = int(rng.choice([100, 4096, 65536]))
            chunk = int(rng.choice([32, 64, 256]))
            with self.subTest(trial=trial, block=block, chunk=chunk):
                self.assertAlmostEqual(
                    streamed_peak(signal, block=block, chunk=chunk),
                    brute_force_peak(signal.astype(np.float64)),
                    delta=1e-6,
                )

    def test_peak_in_the_last_samples_is_found(self) -> None:
        signal = np.zeros((5000, 1), dtype=np.float32)
        signal[-1, 0] = 0.5
        signal[-2, 0] = -0.5
        self.assertAlmostEqual(
            streamed_peak(signal, block=4096, chunk=256), brute_force_peak(signal), delta=1e-6
        )

    def test_music_is_mostly_pruned(self) -> None:
        from tests.analysis.signals import music

        samples = np.ascontiguousarray(music(20).T, dtype=np.float32)
        meter = TruePeakMeter(2, 256)
        for start in range(0, samples.shape[1], 65536):
            part = samples[:, start : start + 65536]
            highs, lows = chunk_extremes(part, 256)
            meter.add(part, np.maximum(highs, -lows))
        meter.finish()
        total = meter.oversampled_chunks + meter.skipped_chunks
        self.assertLess(meter.oversampled_chunks / total, 0.25)

    def test_true_peak_is_never_below_sample_peak(self) -> None:
        rng = np.random.default_rng(3)
        signal = rng.uniform(-0.9, 0.9, size=(30_000, 2))
        report = report_for(signal, 44100)
        self.assertGreaterEqual(report.true_peak_dbtp, report.sample_peak_dbfs)
