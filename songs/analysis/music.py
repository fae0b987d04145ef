"""analyse_music(): the musical measurements, a second pass after the loudness report.

One streamed pass over the decoded blocks (memory flat in the file's length):

- `spectrum.SpectrumMeter` accumulates Welch segments of every channel: the long-term
  spectrum (band levels, spectral tilt), stereo width by band and the low-end
  correlation, and rebuilds from the same FFTs a mono stream at 1/4 of the rate;
- `tempo.OnsetMeter` turns that stream into an onset envelope and accumulates its
  autocorrelation for `tempo.estimate_tempo`;
- `tonality.PitchMeter` collects the stream's sustained partials into a pitch-class
  histogram for the tuning and the key.

Every accumulator has a fixed size, so memory does not grow with the file (57 MB of
peak resident memory for 4 minutes and for 60). Each module's docstring says how its
measurement is made and where it stops working.

Why not librosa (ISC): its onset strength, tempo, chroma and tuning estimate do these
jobs, but importing them costs 1.1 to 4.6 s of one core in every process, with numba's
cache warm (numba builds the typed ufuncs of librosa.util, .core and .beat at import),
more than this whole pass's budget of 1.5 times ffmpeg's ebur128 on the same file (1.3
to 2 s for four minutes here); and its functions take the whole signal in memory. The
methods here are the textbook ones librosa implements (spectral flux, autocorrelation
tempo, pitch-class profiles correlated with key profiles), written for streamed blocks
in numpy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from songs.analysis.decode import StreamInfo, check_samples, open_stream
from songs.analysis.errors import AnalysisError
from songs.analysis.formats import ACCEPTED_LABELS, BinaryFile, sniff
from songs.analysis.heap import reused_heap
from songs.analysis.spectrum import BAND_CENTRES_HZ, SpectrumMeter
from songs.analysis.targets import Targets
from songs.analysis.tempo import OnsetMeter, estimate_tempo
from songs.analysis.threads import one_thread
from songs.analysis.tonality import PitchMeter

MUSIC_KEYS: tuple[str, ...] = (
    "tempo_bpm",
    "tempo_confidence",
    "key",
    "key_confidence",
    "tuning_cents",
    "spectral_tilt_db_per_octave",
    "band_levels_db",
    "band_centres_hz",
    "stereo_width",
    "low_end_correlation",
)
"""The top-level keys of `MusicReport.to_dict()`, in order."""
FEATURE_CHUNK = 1 << 16
"""Decimated samples handed to the onset and pitch meters at once (6 s at 11 kHz)."""


@dataclass(frozen=True)
class StereoWidth:
    """Side-to-mid energy ratio (side = (L - R) / 2, mid = (L + R) / 2) per band: 0 for
    mono content, 1 for unrelated channels of equal level, above 1 when the channels are
    more out of phase than in. None where the band has no mid energy."""

    low: float | None
    """Below 150 Hz."""
    mid: float | None
    """150 Hz to 5 kHz."""
    high: float | None
    """Above 5 kHz."""


@dataclass(frozen=True)
class MusicReport:
    tempo_bpm: float | None
    """Beats per minute; None when there is no steady beat (see tempo.py)."""
    tempo_confidence: float
    """0..1: the normalised periodicity of the onset envelope at the beat; below 0.2 the
    tempo is None."""
    key: str | None
    """E.g. "A minor", "F# major", always spelt with sharps; None when atonal or
    unpitched (see tonality.py)."""
    key_confidence: float
    """0..1: the correlation of the music's pitch classes with the key's profile."""
    tuning_cents: float | None
    """Where the music's semitones sit re A4 = 440 Hz, -50..+50; None when unpitched."""
    spectral_tilt_db_per_octave: float | None
    """Slope of the least-squares line through the band levels against log2 of their
    centres: 0 for white noise, -3.01 for pink."""
    band_levels_db: tuple[float | None, ...]
    """The 21 one-third-octave band levels, 100 Hz to 10 kHz, in dB re 1 FS^2/Hz (the mean
    one-sided power spectral density in the band; FS is digital full scale)."""
    band_centres_hz: tuple[float, ...]
    stereo_width: StereoWidth | None
    """None for a mono file. With more than two channels, channels 1 and 2 (front left and
    right) are the stereo pair."""
    low_end_correlation: float | None
    """Left/right correlation below 150 Hz, -1..1 (1 is mono-compatible); None for mono
    or when either side is silent there."""

    def to_dict(self) -> dict[str, Any]:
        width = self.stereo_width
        return {
            "tempo_bpm": _num(self.tempo_bpm, 2),
            "tempo_confidence": _num(self.tempo_confidence, 3) or 0.0,
            "key": self.key,
            "key_confidence": _num(self.key_confidence, 3) or 0.0,
            "tuning_cents": _num(self.tuning_cents, 1),
            "spectral_tilt_db_per_octave": _num(self.spectral_tilt_db_per_octave, 3),
            "band_levels_db": [_num(level, 2) for level in self.band_levels_db],
            "band_centres_hz": [_num(centre, 2) for centre in self.band_centres_hz],
            "stereo_width": None
            if width is None
            else {"low": _num(width.low), "mid": _num(width.mid), "high": _num(width.high)},
            "low_end_correlation": _num(self.low_end_correlation),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MusicReport:
        """Rebuild a report from `to_dict()` output (or from a JSON that merged it in)."""
        width = data.get("stereo_width")
        return cls(
            tempo_bpm=data.get("tempo_bpm"),
            tempo_confidence=data.get("tempo_confidence") or 0.0,
            key=data.get("key"),
            key_confidence=data.get("key_confidence") or 0.0,
            tuning_cents=data.get("tuning_cents"),
            spectral_tilt_db_per_octave=data.get("spectral_tilt_db_per_octave"),
            band_levels_db=tuple(data.get("band_levels_db") or ()),
            band_centres_hz=tuple(data.get("band_centres_hz") or ()),
            stereo_width=None
            if width is None
            else StereoWidth(low=width.get("low"), mid=width.get("mid"), high=width.get("high")),
            low_end_correlation=data.get("low_end_correlation"),
        )


def analyse_music(fileobj: BinaryFile, *, targets: Targets | None = None) -> MusicReport:
    """Measure tempo, key, tuning, tonal balance and stereo width of one bounce.

    `fileobj` is any seekable binary file object, read from the start and left open.
    `targets` supplies the limits (longest file, channels, sample rates) the loudness
    pass also applies. Raises AnalysisError for a file that cannot be analysed.
    """
    targets = targets or Targets()
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise AnalysisError("empty", "The file is empty: the upload or the export went wrong.")
    fmt = sniff(fileobj)
    if fmt is None:
        raise AnalysisError(
            "not_audio",
            "This file is not audio we can read. Export the bounce in one of these formats: "
            f"{ACCEPTED_LABELS}.",
        )
    # One BLAS thread (threads.py): workers run analyses side by side.
    with (
        open_stream(fileobj, fmt, targets) as stream,
        one_thread(),
        reused_heap(),
    ):
        return _measure(stream.blocks(), stream.info, targets)


def _measure(blocks: Iterator[np.ndarray], info: StreamInfo, targets: Targets) -> MusicReport:
    spectrum = SpectrumMeter(info.sample_rate, info.channels)
    onsets = OnsetMeter(spectrum.feature_rate)
    pitch = PitchMeter(spectrum.feature_rate)
    limit = targets.max_duration_s * info.sample_rate
    frames = 0
    pending: list[np.ndarray] = []
    pending_samples = 0
    for frames_by_channels in blocks:
        check_samples(max(float(frames_by_channels.max()), -float(frames_by_channels.min())))
        frames += len(frames_by_channels)
        if frames > limit:
            raise AnalysisError(
                "too_long",
                f"The bounce is longer than {targets.max_duration_s / 60:g} minutes, the "
                "longest we analyse.",
            )
        # Channel-major rows make every per-channel operation contiguous (five times faster).
        mono = spectrum.add(np.ascontiguousarray(frames_by_channels.T))
        pending.append(mono)
        pending_samples += mono.size
        # The feature meters' cost is mostly per call: feed them about 6 s at a time.
        if pending_samples >= FEATURE_CHUNK:
            _feed(onsets, pitch, pending)
            pending, pending_samples = [], 0
    if frames == 0:
        raise AnalysisError(
            "no_audio",
            "No audio could be read from this file: it holds no sound data or was cut "
            "short. Check the export range and export it again.",
        )
    _feed(onsets, pitch, pending)
    measured = spectrum.result()
    tempo_bpm, tempo_confidence = estimate_tempo(onsets.periodicity)
    tonality = pitch.result()
    width = measured.stereo_width
    return MusicReport(
        tempo_bpm=tempo_bpm,
        tempo_confidence=tempo_confidence,
        key=tonality.key,
        key_confidence=tonality.key_confidence,
        tuning_cents=tonality.tuning_cents,
        spectral_tilt_db_per_octave=measured.tilt_db_per_octave,
        band_levels_db=measured.band_levels_db,
        band_centres_hz=BAND_CENTRES_HZ,
        stereo_width=None
        if width is None
        else StereoWidth(low=width["low"], mid=width["mid"], high=width["high"]),
        low_end_correlation=measured.low_end_correlation,
    )


def _feed(onsets: OnsetMeter, pitch: PitchMeter, chunks: list[np.ndarray]) -> None:
    if chunks:
        mono = np.concatenate(chunks)
        if mono.size:
            onsets.add(mono)
            pitch.add(mono)


def _num(value: float | None, digits: int = 3) -> float | None:
    """A JSON-safe number: rounded for a readable report, None for anything not finite."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)
