"""Test signals with known answers, and files written from them in memory or temp dirs."""

from __future__ import annotations

import io

import av
import numpy as np
import soundfile

from songs.analysis import Report, Targets, analyse


def tone(
    seconds: float,
    dbfs: float,
    *,
    rate: int = 48000,
    freq: float = 1000.0,
    channels: int = 2,
    phase_deg: float = 0.0,
) -> np.ndarray:
    """A sine whose peak is `dbfs`, in every channel: frames x channels, float64."""
    t = np.arange(round(seconds * rate)) / rate
    wave = 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t + np.radians(phase_deg))
    return np.repeat(wave[:, None], channels, axis=1)


def silence(seconds: float, *, rate: int = 48000, channels: int = 2) -> np.ndarray:
    return np.zeros((round(seconds * rate), channels))


def join(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts, axis=0)


def faded(signal: np.ndarray, *, rate: int, ms: float = 10.0) -> np.ndarray:
    """Raised-cosine fade in and out, so an abrupt start does not ring past the tone's peak."""
    length = round(ms / 1000 * rate)
    ramp = np.sin(np.linspace(0, np.pi / 2, length)) ** 2
    out = signal.copy()
    out[:length] *= ramp[:, None]
    out[-length:] *= ramp[::-1, None]
    return out


def music(seconds: float, *, rate: int = 44100, seed: int = 0) -> np.ndarray:
    """A mastered-sounding stereo loop: kick, bass, chords, hats, and a soft limiter."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    t = np.arange(n) / rate
    beat = (t * 2.0) % 1.0  # 120 bpm
    kick = np.sin(2 * np.pi * 55 * t * (1 + 2 * np.exp(-beat * 30))) * np.exp(-beat * 8)
    bass = 0.5 * np.sin(2 * np.pi * 55 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))
    chord = sum(0.12 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    hats = rng.standard_normal(n) * np.exp(-((t * 4.0) % 1.0) * 40) * 0.05
    swell = 0.7 + 0.3 * np.sin(2 * np.pi * t / 16)
    left = (kick + bass + chord + hats) * swell
    right = (kick + bass + 0.8 * chord + np.roll(hats, 37)) * swell
    mix = np.stack([left, right], axis=1)
    return np.tanh(mix * 1.2) * 0.89  # soft limiter, peaks near -1 dBFS


def encode(
    signal: np.ndarray, rate: int, *, fmt: str = "WAV", subtype: str | None = "FLOAT"
) -> bytes:
    """The signal written by soundfile (WAV, AIFF, FLAC, OGG, MP3) into memory."""
    out = io.BytesIO()
    soundfile.write(out, signal, rate, format=fmt, subtype=subtype)
    return out.getvalue()


def encode_m4a(signal: np.ndarray, rate: int, *, codec: str = "aac") -> bytes:
    """The signal written by PyAV as M4A with AAC (float planar) or ALAC (16-bit)."""
    out = io.BytesIO()
    layout = {1: "mono", 2: "stereo"}[signal.shape[1]]
    container = av.open(out, "w", format="ipod")
    stream = container.add_stream(codec, rate=rate, layout=layout)
    sample_format = "fltp" if codec == "aac" else "s16p"
    stream.codec_context.format = sample_format
    planar = np.ascontiguousarray(signal.T, dtype=np.float32)
    if codec != "aac":
        planar = np.round(planar * 32767).astype(np.int16)
    for start in range(0, planar.shape[1], 4096):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(planar[:, start : start + 4096]),
            format=sample_format,
            layout=layout,
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    return out.getvalue()


def report_for(
    signal: np.ndarray,
    rate: int,
    *,
    stage: str | None = None,
    targets: Targets | None = None,
    subtype: str = "FLOAT",
) -> Report:
    return analyse(io.BytesIO(encode(signal, rate, subtype=subtype)), targets=targets, stage=stage)
