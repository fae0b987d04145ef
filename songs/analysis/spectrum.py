"""The long-term spectrum of a bounce, stereo width by band, and a decimated mono stream.

One set of FFTs serves three measurements. `SpectrumMeter` cuts every channel into
Welch segments (periodic Hann window of N = 2^round(log2(0.186 x rate)) samples, 8192
at 44.1 and 48 kHz, hop N/2; the last partial segment is left out, as Welch's method
does) and accumulates, per frequency bin:

- the power of every channel: the long-term average power spectral density (the mean
  of the periodograms, averaged over channels as power, no downmix), scaled as a density
  so that white noise reads the same in every bin (see `SpectrumMeter.psd`);
- for the first two channels (left and right), their powers and the real part of their
  cross-spectrum, from which mid and side energies ((L + R) / 2, (L - R) / 2) and the
  low-end correlation follow without another transform;
- the mono mix's spectrum cut to its lowest N/(2d) + 1 bins (d = N / 2048: 4 at 44.1 and
  48 kHz), faded out over the top fifth, and transformed back at 1/d of the length. A
  periodic Hann window at 50% overlap sums to exactly one, so overlap-adding those short
  inverse transforms rebuilds the mix low-passed and decimated (to 8-16 kHz) for the
  tempo and pitch measurements (a steady 440 Hz sine comes back within 1e-7).

Band levels: for the 21 one-third-octave bands (centres 1000 x 10^(k/10) Hz, k = -10..10;
edges a factor 10^(1/20) either side), 10 log10 of the mean PSD of the bins inside the
band, in dB re 1 FS^2/Hz. The spectral tilt is the slope of the least-squares line
through them against log2 of the centres, in dB per octave: 0 for white noise, -3.01 for
pink. Limits: a file shorter than one segment (0.19 s) has no spectrum; bands above the
Nyquist frequency have no level and the tilt uses the others; the 100 Hz band averages
only four bins at 44.1 kHz, so short noisy files scatter there by a few tenths of a dB.

Memory is a few segments whatever the file's length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from songs.analysis import fft

WELCH_SECONDS = 0.186
BAND_CENTRES_HZ: tuple[float, ...] = tuple(1000.0 * 10.0 ** (k / 10) for k in range(-10, 11))
"""The 21 one-third-octave bands (IEC 61260 base-ten centres) from 100 Hz to 10 kHz."""
BAND_HALF_WIDTH = 10.0 ** (1 / 20)
"""A band runs from fc / 10^(1/20) to fc x 10^(1/20)."""

LOW_SPLIT_HZ = 150.0
"""Below this is the low end: stereo width "low" and the low-end correlation."""
HIGH_SPLIT_HZ = 5000.0
"""Above this is stereo width "high"; between the two splits is "mid"."""

FEATURE_SEGMENT = 2048
"""Samples per Welch segment after decimation: the decimation factor is N / 2048."""
FEATURE_TAPER = 0.8
"""The decimated stream's spectrum is faded out from this fraction of its Nyquist
frequency up to it, so the cut rings less."""


def welch_length(rate: int) -> int:
    """N = 2^round(log2(0.186 x rate)): 8192 at 44.1 and 48 kHz, 16384 at 96 kHz."""
    return int(2 ** round(math.log2(WELCH_SECONDS * rate)))


def frames(samples: np.ndarray, length: int, hop: int, count: int) -> np.ndarray:
    """`count` frames of `length` samples every `hop` along the last axis: a read-only
    view, made without sliding_window_view's checks (a tenth of a millisecond a call)."""
    *outer, available = samples.shape
    assert count == 0 or (count - 1) * hop + length <= available
    *outer_strides, step = samples.strides
    view: np.ndarray = np.lib.stride_tricks.as_strided(
        samples, (*outer, count, length), (*outer_strides, hop * step, step), writeable=False
    )
    return view


def periodic_hann(length: int) -> np.ndarray:
    """The Hann window for spectral analysis (scipy.signal.get_window("hann") as Welch's
    method uses it): copies shifted by half its length sum to exactly one."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(length) / length)


@dataclass(frozen=True)
class SpectrumResult:
    band_levels_db: tuple[float | None, ...]
    """Per BAND_CENTRES_HZ: 10 log10 of the mean PSD of the bins inside the band, in dB
    re 1 FS^2/Hz (one-sided; FS is digital full scale, a sample value of 1.0). None for a
    band with no energy or above the Nyquist frequency."""
    tilt_db_per_octave: float | None
    stereo_width: dict[str, float | None] | None
    """Side-to-mid energy ratio per band, None for a mono file."""
    low_end_correlation: float | None


class SpectrumMeter:
    """Welch segments of every channel, fed block by block (channels x frames)."""

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self.length = welch_length(rate)
        self.hop = self.length // 2
        self.window = periodic_hann(self.length)
        self._dtype = fft.working_dtype()
        self._window = self.window.astype(self._dtype)
        self.segments = 0
        self._pending = np.zeros((channels, 0), dtype=np.float32)
        bins = self.length // 2 + 1
        self._rest = np.zeros(bins)  # the channels beyond the stereo pair (or the only one)
        self._stereo = channels >= 2
        self._left = np.zeros(bins)
        self._right = np.zeros(bins)
        self._cross = np.zeros(bins)
        self.decimation = max(1, self.length // FEATURE_SEGMENT)
        self.feature_rate = rate / self.decimation
        self._short = self.length // self.decimation
        short_bins = self._short // 2 + 1
        taper_from = int(FEATURE_TAPER * (short_bins - 1))
        self._taper = np.ones(short_bins)
        ramp = np.linspace(0.0, np.pi / 2, short_bins - taper_from)
        self._taper[taper_from:] = np.cos(ramp) ** 2
        # The mean of the channels, and irfft at 1/d of the length keeps 1/d of the scale.
        self._mono_gain = (self._taper / (channels * self.decimation)).astype(self._dtype)
        self._short_bins = short_bins
        self._tail = np.zeros(self._short // 2, self._dtype)
        self._windowed: np.ndarray | None = None

    def add(self, block: np.ndarray) -> np.ndarray:
        """Take channels x frames; return the decimated mono samples now complete."""
        carried = self._pending.shape[1]
        available = carried + block.shape[1]
        count = (available - self.length) // self.hop + 1 if available >= self.length else 0
        if count <= 0:
            self._pending = np.concatenate([self._pending, block], axis=1).astype(np.float32)
            return np.zeros(0)
        windowed = self._buffer(count)
        # The segments that start in the carried samples are windowed from those joined to
        # the block's first ones; the others straight from the block, which is not copied.
        head = min(count, -(-carried // self.hop))
        if head:
            needed = (head - 1) * self.hop + self.length - carried
            joined = np.concatenate([self._pending, block[:, :needed]], axis=1)
            segments = frames(joined, self.length, self.hop, head)
            np.multiply(segments, self._window, out=windowed[:, :head])
        if count > head:
            after = block[:, head * self.hop - carried :]
            segments = frames(after, self.length, self.hop, count - head)  # channels x N
            np.multiply(segments, self._window, out=windowed[:, head:])
        spectra = fft.rfft(windowed, axis=2)
        kept = count * self.hop
        if kept >= carried:
            self._pending = np.array(block[:, kept - carried :], dtype=np.float32)
        else:
            self._pending = np.concatenate(
                [self._pending[:, kept:], block], axis=1, dtype=np.float32
            )
        self.segments += count
        # Sums of products over the segments on the (real, imaginary) pairs: einsum makes
        # no temporaries, three times faster than forming each periodogram first.
        pairs = spectra.view(windowed.dtype)
        if self._stereo:
            left = np.einsum("sk,sk->k", pairs[0], pairs[0])
            right = np.einsum("sk,sk->k", pairs[1], pairs[1])
            cross = np.einsum("sk,sk->k", pairs[0], pairs[1])
            self._left += left[0::2] + left[1::2]
            self._right += right[0::2] + right[1::2]
            self._cross += cross[0::2] + cross[1::2]
        if not self._stereo or self.channels > 2:
            rest = pairs[2:] if self._stereo else pairs
            power = np.einsum("csk,csk->k", rest, rest)
            self._rest += power[0::2] + power[1::2]
        return self._decimated(spectra)

    def _buffer(self, count: int) -> np.ndarray:
        """A working array reused from block to block: fresh megabytes for every block
        cost more in page faults than the transforms themselves."""
        if self._windowed is None or self._windowed.shape[1] < count:
            self._windowed = np.empty((self.channels, count, self.length), self._dtype)
        return self._windowed[:, :count]

    def _decimated(self, spectra: np.ndarray) -> np.ndarray:
        low = spectra[:, :, : self._short_bins]
        # A stereo pair's sum in one operation: the same as sum(axis=0), a third faster.
        mono = (np.add(low[0], low[1]) if len(low) == 2 else low.sum(axis=0)) * self._mono_gain
        short = fft.irfft(mono, n=self._short, axis=1)
        half = self._short // 2
        tails = np.concatenate([self._tail[None, :], short[:-1, half:]], axis=0)
        self._tail = short[-1, half:].copy()
        out: np.ndarray = (short[:, :half] + tails).reshape(-1)
        return out

    def psd(self) -> np.ndarray:
        """The channel-averaged one-sided PSD in FS^2/Hz (zeros before the first segment).

        Density scaling: |X|^2 / (rate x sum(w^2)), doubled except at 0 Hz and Nyquist, so
        white noise of variance s^2 reads 2 s^2 / rate in every bin.
        """
        if self.segments == 0:
            return np.zeros_like(self._rest)
        scale = 1.0 / (self.rate * float(np.sum(self.window**2)) * self.segments)
        psd = (self._left + self._right + self._rest) * scale / self.channels
        psd[1:-1] *= 2.0
        return psd

    def frequencies(self) -> np.ndarray:
        return np.arange(self.length // 2 + 1) * (self.rate / self.length)

    def result(self) -> SpectrumResult:
        levels = self._band_levels()
        return SpectrumResult(
            band_levels_db=levels,
            tilt_db_per_octave=tilt(levels),
            stereo_width=self._width() if self._stereo else None,
            low_end_correlation=self._low_correlation() if self._stereo else None,
        )

    def _band_levels(self) -> tuple[float | None, ...]:
        psd, f = self.psd(), self.frequencies()
        levels: list[float | None] = []
        for centre in BAND_CENTRES_HZ:
            inside = (f >= centre / BAND_HALF_WIDTH) & (f < centre * BAND_HALF_WIDTH)
            mean = float(psd[inside].mean()) if inside.any() else 0.0
            levels.append(10.0 * math.log10(mean) if mean > 0.0 and math.isfinite(mean) else None)
        return tuple(levels)

    def _width(self) -> dict[str, float | None]:
        f = self.frequencies()
        bands = {
            "low": (f > 0.0) & (f < LOW_SPLIT_HZ),
            "mid": (f >= LOW_SPLIT_HZ) & (f <= HIGH_SPLIT_HZ),
            "high": f > HIGH_SPLIT_HZ,
        }
        both = self._left + self._right
        width: dict[str, float | None] = {}
        for name, inside in bands.items():
            mid = float((both[inside] + 2.0 * self._cross[inside]).sum()) / 4.0
            side = max(0.0, float((both[inside] - 2.0 * self._cross[inside]).sum()) / 4.0)
            width[name] = side / mid if mid > 0.0 and self.segments else None
        return width

    def _low_correlation(self) -> float | None:
        f = self.frequencies()
        inside = (f > 0.0) & (f < LOW_SPLIT_HZ)
        left, right = float(self._left[inside].sum()), float(self._right[inside].sum())
        if left <= 0.0 or right <= 0.0:
            return None
        value = float(self._cross[inside].sum()) / math.sqrt(left * right)
        return max(-1.0, min(1.0, value))


def tilt(levels: tuple[float | None, ...]) -> float | None:
    """The slope b of the least-squares line L = a + b log2(fc) through the band levels,
    in dB per octave; bands without a level are left out, and fewer than three give None."""
    points = [
        (math.log2(centre), level)
        for centre, level in zip(BAND_CENTRES_HZ, levels, strict=True)
        if level is not None
    ]
    if len(points) < 3:
        return None
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    slope = float(np.polyfit(x, y, 1)[0])
    return slope if math.isfinite(slope) else None
