"""Tempo: an onset-strength envelope, its autocorrelation, and the beat among its pulses.

The envelope is spectral flux (as in librosa's onset_strength): the decimated mono stream
(see spectrum.py) in Hann frames of about 46 ms every quarter frame (86 frames a second at
44.1 kHz), its power summed into 16 log-spaced bands from 40 Hz to 4.4 kHz, compressed
(log10(1 + 1000 m) of each band's magnitude m re full scale), and the mean over bands of
each band's rise since the last frame. Falls are ignored: an onset is energy arriving.
`Periodicity` accumulates the envelope's autocorrelation as it arrives (up to lags of
four slow bars), so nothing grows with the file.

`estimate_tempo` reads that autocorrelation with slow changes of level removed:

1. the fundamental period is the shortest lag (25 to 240 BPM) whose periodicity is
   nearly that of the strongest, since a periodic envelope correlates at every multiple
   of its period;
2. the beat is the fastest pulse on which every pulse is strong: from there it moves to
   a pulse two or three times as fast while that one keeps 60% of the periodicity (a
   groove with a kick or snare on every beat and softer hats between is tapped on the
   beats, not on the bars or the hats);
3. a pulse slower than 40 BPM is a bar or a half-time feel, and gives the stronger of its
   halves or thirds;
4. the confidence is the periodicity at the fundamental (0..1), brought to zero when the
   autocorrelation dips between pulses as deeply as it peaks, the mark of a smooth
   modulation (tremolo, two close partials of a held chord beating) rather than onsets;
   under 0.2 there is no steady beat and the tempo is None.

Limits: a groove that marks only every other beat (half-time) may read at half speed;
tempo changes give the dominant tempo; a steady beat needs at least 4 seconds; drums
buried under sustained, slowly swelling parts (pads, strings) can leave no tempo rather
than a wrong one.
"""

from __future__ import annotations

import math

import numpy as np

from songs.analysis import fft
from songs.analysis.spectrum import frames as spectrum_frames
from songs.analysis.spectrum import periodic_hann

FRAME_SECONDS = 0.046
BANDS = 16
LOWEST_HZ = 40.0
HIGHEST_HZ = 4400.0
COMPRESSION = 1000.0
"""Band magnitudes (1.0 for a full-scale sine) are compressed as log10(1 + 1000 m):
logarithmic above -60 dB, linear below, so a rise out of near-silence (a synthesiser's
gap between notes) counts no more than a drum hit over a decaying one."""

SLOWEST_BPM = 40.0
"""The slowest tempo reported; slower pulses (bars, half-time feels) are searched down
to SLOWEST_PULSE_BPM and give the beat inside them."""
SLOWEST_PULSE_BPM = 25.0
FASTEST_BPM = 240.0
MIN_SECONDS = 4.0
DETREND_SECONDS = 1.5
MULTIPLE_RATIO = 0.85
"""The shortest lag whose periodicity is at least this fraction of the strongest is the
fundamental period: its multiples are not slower beats."""
FASTER_PULSE_RATIO = 0.6
"""A pulse k times as fast is the beat when its periodicity is at least this fraction of
the slower one's."""
FULL_DIP = 0.25
MAX_DIP = 0.5
"""The autocorrelation's deepest dip before the fundamental period, as a fraction of its
peak there: up to FULL_DIP the periodicity is onsets, from MAX_DIP on it is modulation,
and the confidence falls linearly between (the test set's held chord dips 0.6, its
grooves at most 0.15)."""
MIN_CONFIDENCE = 0.2
"""Below this confidence there is no steady beat (steady noise and a held chord read 0,
the test set's drum grooves 0.74 to 0.93)."""


class OnsetMeter:
    """Spectral flux of the decimated mono stream, fed in chunks of samples, and the
    running autocorrelation of that envelope."""

    def __init__(self, rate: float) -> None:
        self.length = int(2 ** round(math.log2(FRAME_SECONDS * rate)))
        self.hop = self.length // 4
        self.frame_rate = rate / self.hop
        self.window = periodic_hann(self.length)
        self._window = self.window.astype(fft.working_dtype())
        f = np.arange(self.length // 2 + 1) * (rate / self.length)
        edges = np.geomspace(LOWEST_HZ, min(HIGHEST_HZ, 0.4 * rate), BANDS + 1)
        index = np.searchsorted(edges, f, side="right") - 1
        inside = (index >= 0) & (index < BANDS)
        bands = sorted(set(index[inside].tolist()))
        self._bands = np.zeros((len(f), len(bands)))
        for column, band in enumerate(bands):
            self._bands[index == band, column] = 1.0
        self._full_scale = (np.sum(self.window) / 2.0) ** 2
        self._pending = np.zeros(0, self._window.dtype)
        self._previous: np.ndarray | None = None
        self.periodicity = Periodicity(self.frame_rate)

    def add(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        if len(data) < self.length:
            self._pending = data
            return
        count = (len(data) - self.length) // self.hop + 1
        frames = spectrum_frames(data, self.length, self.hop, count)
        self._pending = data[count * self.hop :].copy()
        spectra = fft.rfft(frames * self._window, axis=1)
        # In the transform's own precision: a product of mixed types skips BLAS.
        power = (spectra.real**2 + spectra.imag**2) @ self._bands.astype(spectra.real.dtype)
        levels = np.log10(1.0 + COMPRESSION * np.sqrt(power / self._full_scale))
        previous = levels[:1] if self._previous is None else self._previous[None, :]
        rises = np.maximum(0.0, np.diff(levels, axis=0, prepend=previous))
        self._previous = levels[-1]
        self.periodicity.add(rises.mean(axis=1))


class Periodicity:
    """The autocorrelation of an onset envelope, accumulated as it arrives.

    Slow changes of level are removed first: each value minus the mean of the 1.5 s
    centred on it (so a crescendo is no periodicity), which delays the detrended envelope
    by 0.75 s, nothing to an autocorrelation. Only lags up to four times the slowest pulse
    are kept, with the last that many values: memory is fixed whatever the length.
    """

    def __init__(self, frame_rate: float) -> None:
        self.frame_rate = frame_rate
        slowest = math.ceil(60.0 * frame_rate / (SLOWEST_PULSE_BPM / 1.1))
        self.max_lag = math.ceil(4 * slowest * 1.03) + 2
        self.frames = 0
        self._width = 2 * round(DETREND_SECONDS * frame_rate / 2) + 1  # odd: a centre
        self._half = self._width // 2
        self._raw_tail = np.zeros(0)
        # Zeros before the first value: every lag of every chunk is then one correlation.
        self._tail = np.zeros(self.max_lag)
        self._sums = np.zeros(self.max_lag + 1)

    def add(self, values: np.ndarray) -> None:
        raw = np.concatenate([self._raw_tail, values])
        sums = np.cumsum(np.concatenate([[0.0], raw]))
        ends = np.arange(len(self._raw_tail), len(raw)) + 1  # exclusive ends of windows
        starts = np.maximum(0, ends - self._width)
        centres = ends - 1 - self._half
        # The file's first half-window has no centred mean: it is left out.
        kept = centres >= 0
        means = (sums[ends[kept]] - sums[starts[kept]]) / (ends[kept] - starts[kept])
        detrended = raw[centres[kept]] - means
        self._raw_tail = raw[-(self._width - 1) :]
        joined = np.concatenate([self._tail, detrended])
        # correlated[k] = sum_n joined[n + k] * detrended[n]: lag len(tail) - k.
        correlated = np.correlate(joined, detrended, mode="valid")
        self._sums += correlated[::-1]
        self._tail = joined[-self.max_lag :]
        self.frames += len(detrended)

    def normalised(self) -> np.ndarray:
        """The unbiased autocorrelation divided by its value at lag 0 (zeros if silent)."""
        size = min(self.max_lag + 1, self.frames)
        raw = self._sums[:size]
        if size == 0 or raw[0] <= 0.0:
            return np.zeros(size)
        unbiased: np.ndarray = raw / (self.frames - np.arange(size)) * self.frames / raw[0]
        return unbiased


def estimate_tempo(periodicity: Periodicity) -> tuple[float | None, float]:
    """(tempo in BPM or None, confidence 0..1) from an onset envelope's autocorrelation."""
    frame_rate = periodicity.frame_rate
    if periodicity.frames < MIN_SECONDS * frame_rate:
        return None, 0.0
    rho = periodicity.normalised()
    shortest = max(2, math.floor(60.0 * frame_rate / (FASTEST_BPM * 1.1)))
    longest = min(
        periodicity.frames // 2,
        len(rho) - 2,
        math.ceil(60.0 * frame_rate / (SLOWEST_PULSE_BPM / 1.1)),
    )
    if longest <= shortest + 2:
        return None, 0.0
    lags = np.arange(shortest, longest)
    bpm = 60.0 * frame_rate / lags
    allowed = (bpm >= SLOWEST_PULSE_BPM) & (bpm <= FASTEST_BPM)
    peaks = (rho[lags] > rho[lags - 1]) & (rho[lags] >= rho[lags + 1]) & allowed
    if not peaks.any():
        return None, 0.0
    candidates = lags[peaks]
    heights = rho[candidates]
    # A periodic envelope correlates at every multiple of its period, as strongly give or
    # take chance: the period is the shortest lag nearly as strong as the strongest.
    fundamental = int(candidates[np.argmax(heights >= MULTIPLE_RATIO * heights.max())])
    best = fundamental
    while (faster := _faster_pulse(rho, best, shortest)) is not None:
        best = faster
    # A pulse this slow is a bar or a half-time feel: the beat is the faster of its
    # halves and thirds that the music marks more strongly.
    while 60.0 * frame_rate / best < SLOWEST_BPM:
        best = _faster_pulse(rho, best, shortest, ratio=0.0) or best // 2
    period = _refined_period(rho, best)
    # Onsets are brief: between two pulses the autocorrelation of a pulse train stays near
    # zero, while a smooth modulation (tremolo, two close partials beating) swings as far
    # below zero as above.
    dip = max(0.0, -float(rho[1:fundamental].min())) / max(float(rho[fundamental]), 1e-9)
    smooth = float(np.clip((MAX_DIP - dip) / (MAX_DIP - FULL_DIP), 0.0, 1.0))
    confidence = float(np.clip(rho[fundamental], 0.0, 1.0)) * smooth
    if confidence < MIN_CONFIDENCE:
        return None, confidence
    return 60.0 * frame_rate / period, confidence


def _faster_pulse(
    rho: np.ndarray, lag: int, shortest: int, ratio: float = FASTER_PULSE_RATIO
) -> int | None:
    """The stronger of the peaks near lag/2 and lag/3, if it is at least `ratio` as
    strong as lag's own and within range."""
    found: int | None = None
    for divisor in (2, 3):
        target = lag / divisor
        low, high = max(shortest, math.floor(target * 0.94)), math.ceil(target * 1.06)
        if high <= low:
            continue
        window = np.arange(low, high + 1)
        candidate = int(window[np.argmax(rho[window])])
        is_peak = rho[candidate] > rho[candidate - 1] and rho[candidate] >= rho[candidate + 1]
        strong = rho[candidate] >= ratio * rho[lag]
        if is_peak and strong and (found is None or rho[candidate] > rho[found]):
            found = candidate
    return found


def _refined_period(rho: np.ndarray, lag: int) -> float:
    """The beat period to a fraction of a frame: parabolic peaks at the lag's first few
    multiples, each divided by its multiple, weighted by their strength."""
    estimates, weights = [], []
    for multiple in range(1, 5):
        centre = lag * multiple
        low, high = max(1, round(centre * 0.97)), round(centre * 1.03) + 1
        if high + 1 >= len(rho):
            break
        window = np.arange(low, high + 1)
        peak = int(window[np.argmax(rho[window])])
        a, b, c = rho[peak - 1], rho[peak], rho[peak + 1]
        denominator = a - 2 * b + c
        offset = 0.5 * (a - c) / denominator if denominator < 0 else 0.0
        if b <= 0:
            break
        estimates.append((peak + offset) / multiple)
        weights.append(b)
    if not estimates:
        return float(lag)
    return float(np.average(estimates, weights=weights))
