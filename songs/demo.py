"""Synthesised demo music: real audio with known levels, for demo data and tests.

Not a test double: the files are ordinary WAV/FLAC exports of a short chord loop with
bass, kick and hats, so the analysis engine has real signal to measure.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile

# A minor, F major, C major, G major: root, third, fifth in Hz (around A3-C4).
_CHORDS = (
    (220.00, 261.63, 329.63),
    (174.61, 220.00, 261.63),
    (261.63, 329.63, 392.00),
    (196.00, 246.94, 293.66),
)


def synthesise(
    *,
    seconds: float = 12.0,
    sample_rate: int = 44_100,
    peak_dbfs: float = -6.0,
    tempo_bpm: float = 96.0,
    seed: int = 0,
    overdrive: float = 1.0,
) -> np.ndarray:
    """A stereo loop as float32 frames in [-1, 1], scaled so its peak sits at `peak_dbfs`.

    `overdrive` > 1 pushes the mix into the ceiling and clips it, like a student's
    over-loud master.
    """
    rng = np.random.default_rng(seed)
    frames = max(int(seconds * sample_rate), 1)
    t = np.arange(frames) / sample_rate
    beat = 60.0 / tempo_bpm
    left = np.zeros(frames)
    right = np.zeros(frames)

    chord_len = max(frames // len(_CHORDS), 1)
    for index, chord in enumerate(_CHORDS * 4):
        start = index * chord_len
        if start >= frames:
            break
        span = slice(start, min(start + chord_len, frames))
        local = t[span] - t[start]
        envelope = np.minimum(local / 0.08, 1.0) * np.exp(-local * 0.35)
        for voice, freq in enumerate(chord):
            detune = 1.0 + 0.0015 * (voice - 1)
            left[span] += 0.18 * envelope * np.sin(2 * np.pi * freq * local)
            right[span] += 0.18 * envelope * np.sin(2 * np.pi * freq * detune * local + 0.3)
        bass = 0.35 * np.exp(-(local % beat) * 4.0) * np.sin(2 * np.pi * chord[0] / 2 * local)
        left[span] += bass
        right[span] += bass

    beat_samples = int(beat * sample_rate)
    kick_len = min(int(0.25 * sample_rate), frames)
    kick_t = np.arange(kick_len) / sample_rate
    kick = (
        0.9 * np.exp(-kick_t * 18.0) * np.sin(2 * np.pi * (50 + 80 * np.exp(-kick_t * 30)) * kick_t)
    )
    hat_len = min(int(0.04 * sample_rate), frames)
    for start in range(0, frames, beat_samples):
        end = min(start + kick_len, frames)
        left[start:end] += kick[: end - start]
        right[start:end] += kick[: end - start]
        hat_start = start + beat_samples // 2
        if hat_start + hat_len < frames:
            hat = rng.standard_normal(hat_len) * np.exp(-np.arange(hat_len) / (0.006 * sample_rate))
            hat = np.diff(hat, prepend=0.0) * 0.12
            left[hat_start : hat_start + hat_len] += hat * 0.8
            right[hat_start : hat_start + hat_len] += hat

    fade = min(int(0.5 * sample_rate), frames // 4)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        for channel in (left, right):
            channel[:fade] *= ramp
            channel[-fade:] *= ramp[::-1]

    mix = np.stack([left, right], axis=1)
    mix *= 10 ** (peak_dbfs / 20) / max(np.abs(mix).max(), 1e-12)
    if overdrive != 1.0:
        mix = np.clip(mix * overdrive, -1.0, 1.0)
    return mix.astype(np.float32)


def encode(
    frames: np.ndarray, *, sample_rate: int = 44_100, fmt: str = "WAV", subtype: str = "PCM_16"
) -> bytes:
    """The frames as a complete audio file (any container soundfile writes)."""
    buffer = io.BytesIO()
    soundfile.write(buffer, frames, sample_rate, format=fmt, subtype=subtype)
    return buffer.getvalue()
