"""Tuning and key from the sustained partials of the decimated mono stream.

`PitchMeter` reads Hann frames of about 372 ms (4096 samples at 11 kHz, 2.7 Hz bins)
every 93 ms. A partial is a spectral peak between 80 Hz and 4.4 kHz standing at least
10 dB above the spectrum's local mean level (in dB, over +-40 Hz) that was already there,
within a bin and at most 12 dB louder, three frames (279 ms) before: notes and chords are
sustained, while a drum's ring decays by far more than that, and a noise's chance peaks do
not stay put. Each partial's frequency is refined by a parabola through the dB levels of
its three bins, and its amplitude is added to a histogram of pitch class at one-cent
resolution (1200 bins re A = 440 Hz). Memory is that histogram, whatever the length.

`tuning` folds the histogram to 100 cents: its (circularly smoothed) mode, refined by the
weighted mean around it, is where the music's semitones sit relative to A4 = 440 Hz.
Partials that are not octaves of their fundamental (the 3rd harmonic sits 2 cents above an
equal-tempered fifth, the 5th 14 cents below a third) pull the mean only a little since
the mode decides. Limits: music that bends pitch throughout (glides, heavy vibrato) or
mixes instruments tuned apart reads the dominant tuning; +-50 cents is the same as the
neighbouring semitone, so the answer is always within -50..+50.

`key` folds the histogram to 12 semitones, centred on the tuning, and correlates it
with Temperley's (1999) key profiles rotated to the 24 keys, each profile spread to its
notes' harmonics (Pearson correlation, the Krumhansl-Schmuckler method); the best is the
key. Music that spreads itself nearly evenly over all twelve pitch classes (twelve-tone
rows, clusters) or correlates weakly with every key has none. Key names use sharps
throughout ("A# minor", "F# major"), never flats. Limits: one key for the whole file (a
modulation gives the one that dominates); relative keys (C major, A minor) share their
notes and are told apart by what the music dwells on, so a piece that lingers on its
relative's chords can read as that key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from songs.analysis import fft
from songs.analysis.spectrum import frames as spectrum_frames
from songs.analysis.spectrum import periodic_hann

FRAME_SECONDS = 0.372
LOWEST_HZ = 80.0
HIGHEST_HZ = 4400.0
PROMINENCE_DB = 10.0
FLOOR_HALF_WIDTH_HZ = 40.0
PERSISTENCE_HOPS = 3
MAX_DROP_DB = 12.0
SILENCE_DB = -100.0
"""Peaks quieter than this (re a full-scale sine) are dither, not partials."""

MIN_TONAL_FRACTION = 0.05
"""Less of the 80 Hz-4.4 kHz energy than this in sustained partials: unpitched (noise
has almost none, a drum groove a few percent, music well over a tenth)."""
MIN_KEY_CORRELATION = 0.5
"""A pitch-class profile that correlates this little with every key has no key."""
MIN_CONTRAST = 0.35
FULL_CONTRAST = 0.7
"""The pitch classes' spread (standard deviation over mean of the 12 weights): tonal
music reads 0.5 to 1.5, music using all twelve evenly (twelve-tone rows, clusters) 0.1
to 0.2. Below MIN_CONTRAST there is no key; below FULL_CONTRAST the confidence is scaled
down in proportion. Pearson correlation alone cannot tell: it finds a best key in any
small unevenness."""

NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
"""Pitch classes from C, with sharps: the spelling every key name uses."""

# Temperley (1999), "What's key for key?", Music Perception 17(1): the revised
# Krumhansl-Schmuckler profiles, from C.
MAJOR_PROFILE = (5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0)
MINOR_PROFILE = (5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0)
HARMONICS = 6
HARMONIC_DECAY = 0.6
"""The profiles are of notes; audio carries their harmonics too (the 3rd a fifth above,
the 5th a major third above, which would pull A minor towards A major). Each profile
weight is spread to its notes' partials 1-6 at 0.6^(h-1), the harmonic-profile idea of
Gomez's HPCP key finding."""


def _with_harmonics(profile: tuple[float, ...]) -> np.ndarray:
    notes = np.asarray(profile)
    spread = np.zeros(12)
    for harmonic in range(1, HARMONICS + 1):
        interval = round(12 * math.log2(harmonic)) % 12
        spread += HARMONIC_DECAY ** (harmonic - 1) * np.roll(notes, interval)
    return spread


_TEMPLATES = (_with_harmonics(MAJOR_PROFILE), _with_harmonics(MINOR_PROFILE))


@dataclass(frozen=True)
class TonalityResult:
    tuning_cents: float | None
    key: str | None
    key_confidence: float
    tonal_fraction: float
    """Share of the 80 Hz-4.4 kHz energy carried by sustained partials, 0..1."""


class PitchMeter:
    """Sustained partials of the decimated mono stream, fed in chunks of samples."""

    def __init__(self, rate: float) -> None:
        self.length = int(2 ** round(math.log2(FRAME_SECONDS * rate)))
        self.hop = self.length // 4
        self.window = periodic_hann(self.length)
        self._window = self.window.astype(fft.working_dtype())
        self.bin_hz = rate / self.length
        self._low = max(2, math.ceil(LOWEST_HZ / self.bin_hz))
        self._high = min(
            self.length // 2 - 1, math.floor(min(HIGHEST_HZ, 0.4 * rate) / self.bin_hz)
        )
        self._half = max(1, round(FLOOR_HALF_WIDTH_HZ / self.bin_hz))
        self._full_scale_db = 20.0 * math.log10(float(np.sum(self.window)) / 2.0)
        self._pending = np.zeros(0, self._window.dtype)
        self._history: np.ndarray | None = None  # the last frames' levels, for persistence
        self._history_peaks: np.ndarray | None = None
        self.histogram = np.zeros(1200)  # one-cent bins of pitch class, from A
        self.tonal_power = 0.0
        self.total_power = 0.0

    def add(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        if len(data) < self.length:
            self._pending = data
            return
        count = (len(data) - self.length) // self.hop + 1
        frames = spectrum_frames(data, self.length, self.hop, count)
        self._pending = data[count * self.hop :].copy()
        spectra = fft.rfft(frames * self._window, axis=1)
        # Two bins of margin either side for the neighbours peaks and parabolas need.
        low, high = self._low - 2, self._high + 2
        # In the transform's precision (single with scipy.fft: its levels are within 1e-5
        # dB); only the sums across the spectrum are taken in double.
        power = spectra.real[:, low:high] ** 2 + spectra.imag[:, low:high] ** 2
        levels = 10.0 * np.log10(np.maximum(power, 1e-30)) - 2 * self._full_scale_db
        self.total_power += float(power[:, 2:-2].sum(dtype=np.float64))
        peaks = self._peaks(levels)
        if self._history is None or self._history_peaks is None:
            past_levels = np.full((PERSISTENCE_HOPS, levels.shape[1]), -np.inf, levels.dtype)
            past_peaks = np.zeros((PERSISTENCE_HOPS, levels.shape[1]), dtype=bool)
        else:
            past_levels, past_peaks = self._history, self._history_peaks
        all_levels = np.concatenate([past_levels, levels])
        all_peaks = np.concatenate([past_peaks, peaks])
        self._history = all_levels[-PERSISTENCE_HOPS:]
        self._history_peaks = all_peaks[-PERSISTENCE_HOPS:]
        earlier_levels = all_levels[: len(levels)]
        earlier = all_peaks[: len(levels)]
        # A partial may drift by a bin between the two frames (vibrato, interpolation).
        near = earlier.copy()
        near[:, 1:] |= earlier[:, :-1]
        near[:, :-1] |= earlier[:, 1:]
        # The loudest of the bin and its neighbours (the edge bins are margin, never peaks).
        best_earlier = earlier_levels.copy()
        np.maximum(best_earlier[:, 1:], earlier_levels[:, :-1], out=best_earlier[:, 1:])
        np.maximum(best_earlier[:, :-1], earlier_levels[:, 1:], out=best_earlier[:, :-1])
        sustained = peaks & near & (levels >= best_earlier - MAX_DROP_DB)
        self._collect(levels, power, sustained, low)

    def _peaks(self, levels: np.ndarray) -> np.ndarray:
        """Local maxima standing PROMINENCE_DB above the local mean level, in range."""
        half = self._half
        width = 2 * half + 1
        frames, bins = levels.shape
        # Running sums in double over the levels padded with their edge values: a zero,
        # then the cumulative sums. Converted here first, since cumsum converting as it
        # goes is four times slower.
        sums = np.empty((frames, bins + 2 * half + 1))
        sums[:, 0] = 0.0
        sums[:, 1 : half + 1] = levels[:, :1]
        sums[:, half + 1 : half + 1 + bins] = levels
        sums[:, half + 1 + bins :] = levels[:, -1:]
        np.cumsum(sums[:, 1:], axis=1, out=sums[:, 1:])
        # The local maxima first (a few percent of the bins), then the local mean level
        # only where it is needed: floor[r, j] = (sums[r, j + width] - sums[r, j]) / width.
        centre = levels[:, 1:-1]
        maxima = (centre > levels[:, :-2]) & (centre >= levels[:, 2:]) & (centre >= SILENCE_DB)
        # Only the analysed range; the two bins of margin either side are not candidates.
        maxima[:, 0] = False
        maxima[:, -1] = False
        rows, columns = np.divmod(np.flatnonzero(maxima), bins - 2)
        columns += 1
        floor = (sums[rows, columns + width] - sums[rows, columns]) / width
        prominent = levels[rows, columns] - floor >= PROMINENCE_DB
        peaks = np.zeros(levels.shape, dtype=bool)
        peaks[rows[prominent], columns[prominent]] = True
        return peaks

    def _collect(
        self, levels: np.ndarray, power: np.ndarray, sustained: np.ndarray, low: int
    ) -> None:
        # flatnonzero and a division: np.nonzero of a 2-d array is ten times slower.
        rows, columns = np.divmod(np.flatnonzero(sustained), sustained.shape[1])
        if not len(rows):
            return
        a = levels[rows, columns - 1]
        b = levels[rows, columns]
        c = levels[rows, columns + 1]
        curvature = a - 2.0 * b + c
        # A local maximum has curvature <= 0; a flat top (zero) stays on its bin.
        bent = curvature < 0
        offset = np.where(bent, 0.5 * (a - c) / np.where(bent, curvature, -1.0), 0.0)
        frequency = (columns + low + np.clip(offset, -0.5, 0.5)) * self.bin_hz
        cents = 1200.0 * np.log2(frequency / 440.0)
        index = np.floor(np.mod(cents, 1200.0)).astype(np.int64) % 1200
        amplitude = 10.0 ** (b / 20.0)
        self.histogram += np.bincount(index, weights=amplitude, minlength=len(self.histogram))
        lobe = power[rows, columns - 1] + power[rows, columns] + power[rows, columns + 1]
        self.tonal_power += float(lobe.sum())

    def result(self) -> TonalityResult:
        fraction = self.tonal_power / self.total_power if self.total_power > 0 else 0.0
        fraction = min(1.0, fraction)
        if fraction < MIN_TONAL_FRACTION or self.histogram.sum() <= 0:
            return TonalityResult(None, None, 0.0, fraction)
        tuning_cents = tuning(self.histogram)
        classes = chroma(self.histogram, tuning_cents)
        key_name, correlation = key(classes)
        contrast = float(classes.std() / classes.mean())
        confidence = max(0.0, correlation) * min(1.0, contrast / FULL_CONTRAST)
        if correlation < MIN_KEY_CORRELATION or contrast < MIN_CONTRAST:
            key_name = None
        return TonalityResult(tuning_cents, key_name, confidence, fraction)


def tuning(histogram: np.ndarray) -> float:
    """Where the semitones sit re A4 = 440 Hz, -50..+50 cents, from a 1200-bin histogram."""
    folded = histogram.reshape(12, -1).sum(axis=0)  # 100 one-cent bins
    size = len(folded)
    kernel = np.array([1.0, 2.0, 3.0, 2.0, 1.0])
    wrapped = np.concatenate([folded[-2:], folded, folded[:2]])
    smooth = np.convolve(wrapped, kernel, mode="valid")
    mode = int(np.argmax(smooth))
    offsets = np.arange(-15, 16)
    weights = folded[(mode + offsets) % size]
    centre = mode + 0.5 + float(np.average(offsets, weights=weights)) if weights.sum() else mode
    value = (centre + 50.0) % 100.0 - 50.0
    return float(value)


def chroma(histogram: np.ndarray, tuning_cents: float) -> np.ndarray:
    """12 pitch-class weights from C, each semitone centred on the tuning."""
    cents = np.arange(len(histogram)) + 0.5
    semitone = np.round((cents - tuning_cents) / 100.0).astype(np.int64) % 12  # 0 is A
    from_a = np.bincount(semitone, weights=histogram, minlength=12)
    return np.roll(from_a, 9)  # C is nine semitones above A


def key(profile: np.ndarray) -> tuple[str | None, float]:
    """The best of the 24 keys for a pitch-class profile from C, and its correlation."""
    if not np.any(profile > 0) or np.ptp(profile) == 0:
        return None, 0.0
    best, best_r = None, -2.0
    for minor, template in zip((False, True), _TEMPLATES, strict=True):
        for tonic in range(12):
            rotated = np.roll(template, tonic)
            r = float(np.corrcoef(profile, rotated)[0, 1])
            if r > best_r:
                best, best_r = f"{NAMES[tonic]} {'minor' if minor else 'major'}", r
    return best, best_r
