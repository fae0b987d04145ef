"""Music synthesised with known answers: grooves at known tempi, tonal pieces in known keys
and tunings, and noise with known spectral slopes.

Everything is deterministic (seeded) and built from first principles, so the ground truth
is true by construction: a groove at 97 BPM has its beats 60/97 s apart, a piece in F#
minor is built from that scale's notes, a render detuned by +17 cents has every partial
at 440 * 2^(17/1200) Hz times the equal-tempered ratio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
HARMONIC_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 11)
TIMBRES = ("piano", "organ", "strings", "pluck", "square")


def key_name(tonic: int, minor: bool) -> str:
    return f"{PITCH_CLASSES[tonic % 12]} {'minor' if minor else 'major'}"


# --- Drums ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Groove:
    """A drum pattern: where the beat falls is known, so is its tempo."""

    bpm: float
    beats_per_bar: int = 4
    swing: bool = False
    half_time: bool = False
    """Snare on beat 3 only: a listener may tap half the tempo (an ambiguous groove)."""

    @property
    def label(self) -> str:
        feel = "swung" if self.swing else "straight"
        extra = ", half-time" if self.half_time else ""
        return f"{self.bpm:g} BPM {self.beats_per_bar}/4 {feel}{extra}"


def _kick(rate: int) -> np.ndarray:
    t = np.arange(round(0.35 * rate)) / rate
    frequency = 48.0 + 90.0 * np.exp(-t / 0.025)
    phase = 2 * np.pi * np.cumsum(frequency) / rate
    click = np.exp(-t / 0.002) * 0.3
    return (np.sin(phase) + click) * np.exp(-t / 0.09)


def _snare(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(round(0.25 * rate)) / rate
    noise = np.diff(rng.standard_normal(len(t) + 1)) * 0.5
    body = np.sin(2 * np.pi * 185.0 * t) + 0.5 * np.sin(2 * np.pi * 330.0 * t)
    return 0.6 * noise * np.exp(-t / 0.06) + 0.5 * body * np.exp(-t / 0.035)


def _hat(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(round(0.08 * rate)) / rate
    noise = np.diff(rng.standard_normal(len(t) + 2), n=2) * 0.25
    return noise * np.exp(-t / 0.015)


def _place(out: np.ndarray, sound: np.ndarray, at_s: float, gain: float, rate: int) -> None:
    start = max(0, round(at_s * rate))
    if start >= len(out):
        return
    end = min(len(out), start + len(sound))
    out[start:end] += gain * sound[: end - start]


def drums(
    groove: Groove, seconds: float, *, rate: int = 44100, seed: int = 0, stereo: bool = True
) -> np.ndarray:
    """Kick, snare and hi-hats. Every beat carries a kick or a snare; the hats play the
    subdivisions (eighths, swung to a 2:1 triplet feel when `swing`) more softly. Timing
    is humanised by at most 4 ms and levels by 1.5 dB, deterministically."""
    rng = np.random.default_rng(seed)
    beat_s = 60.0 / groove.bpm
    out = np.zeros(round(seconds * rate))
    kick, snare, hat = _kick(rate), _snare(rate, rng), _hat(rate, rng)
    beats = int(seconds / beat_s) + 1
    offbeat = 2 / 3 if groove.swing else 1 / 2

    def jitter() -> float:
        return float(rng.uniform(-0.004, 0.004))

    def level() -> float:
        return float(10 ** (rng.uniform(-1.5, 1.5) / 20))

    for beat in range(beats):
        at = beat * beat_s
        position = beat % groove.beats_per_bar
        if groove.half_time:
            hits = [kick] if position == 0 else [snare] if position == 2 else []
        elif groove.beats_per_bar == 3:
            hits = [kick] if position == 0 else [snare]
        else:
            hits = [kick] if position in (0, 2) else [snare]
        for sound in hits:
            _place(out, sound, at + jitter(), level(), rate)
        _place(out, hat, at + jitter(), 0.35 * level(), rate)
        _place(out, hat, at + offbeat * beat_s + jitter(), 0.25 * level(), rate)
    out *= 0.5 / np.max(np.abs(out))
    if not stereo:
        return out[:, None]
    # A touch of width: the right side mixes in a copy 11 samples late.
    right = 0.9 * out + 0.1 * np.roll(out, 11)
    return np.stack([out, right], axis=1)


# --- Pitched notes ------------------------------------------------------------------------


def frequency(midi: float, tuning_cents: float = 0.0) -> float:
    """Equal temperament with A4 (MIDI 69) at 440 Hz moved by `tuning_cents`."""
    return float(440.0 * 2 ** ((midi - 69) / 12 + tuning_cents / 1200))


def note(
    midi: float,
    seconds: float,
    *,
    timbre: str,
    rate: int,
    tuning_cents: float = 0.0,
) -> np.ndarray:
    """One note by additive synthesis: exactly harmonic partials, a timbre's spectrum and
    envelope, nothing above 0.45 of the sample rate."""
    f0 = frequency(midi, tuning_cents)
    t = np.arange(round(seconds * rate)) / rate
    wave = np.zeros(len(t))
    partials = {"organ": 6, "square": 15, "strings": 12, "piano": 10, "pluck": 12}[timbre]
    for n in range(1, partials + 1):
        if n * f0 > 0.45 * rate:
            break
        if timbre == "organ":
            amplitude = (1.0, 0.7, 0.5, 0.35, 0.25, 0.2)[n - 1]
        elif timbre == "square":
            amplitude = 1.0 / n if n % 2 else 0.0
        elif timbre == "pluck":
            amplitude = 1.0 / n**1.5
        else:
            amplitude = 1.0 / n
        if amplitude:
            decay = 1.0 + 0.15 * n if timbre in ("piano", "pluck") else 0.0
            wave += amplitude * np.sin(2 * np.pi * n * f0 * t) * np.exp(-decay * t)
    attack = {"strings": 0.08, "organ": 0.01}.get(timbre, 0.004)
    release = min(0.05, seconds / 4)
    envelope = np.minimum(1.0, t / attack) * np.minimum(1.0, (seconds - t) / release)
    if timbre == "pluck":
        envelope *= np.exp(-2.5 * t)
    return wave * envelope


def _voice(
    notes: Sequence[tuple[float, float, float]],
    seconds: float,
    *,
    timbre: str,
    rate: int,
    tuning_cents: float,
    gain: float,
) -> np.ndarray:
    """(midi, start_s, length_s) notes mixed into one track of `seconds`."""
    out = np.zeros(round(seconds * rate))
    for midi, start, length in notes:
        sound = note(midi, length, timbre=timbre, rate=rate, tuning_cents=tuning_cents)
        _place(out, sound, start, gain, rate)
    return out


# Progressions as scale degrees (0-based) of their chords' roots.
MAJOR_PROGRESSIONS = ((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 5, 3))
MINOR_PROGRESSIONS = ((0, 3, 4, 0), (0, 5, 3, 4), (0, 3, 6, 4))


def _triad(scale: Sequence[int], degree: int, minor: bool) -> list[int]:
    """The triad on a scale degree, in semitones above the tonic (may pass 12)."""
    if minor and degree == 6:
        # The subtonic chord (VII) of natural minor, on the flat seventh: the leading
        # tone's own triad would be diminished.
        return [10, 14, 17]
    notes = []
    for step in (0, 2, 4):
        index = degree + step
        notes.append(scale[index % 7] + 12 * (index // 7))
    return notes


def tonal_piece(
    tonic: int,
    minor: bool,
    seconds: float,
    *,
    timbre: str,
    rate: int = 44100,
    tuning_cents: float = 0.0,
    variant: int = 0,
    bpm: float = 96.0,
    with_melody: bool = True,
    with_drums: bool = False,
) -> np.ndarray:
    """A chord progression (with its bass) and a melody in one key, stereo.

    Minor keys use harmonic minor for the dominant chord and the melody (its raised
    seventh is what tells A minor from C major by ear too). `variant` picks the
    progression and the melody's shape, so the set is not one piece transposed.
    """
    scale = HARMONIC_MINOR_SCALE if minor else MAJOR_SCALE
    progressions = MINOR_PROGRESSIONS if minor else MAJOR_PROGRESSIONS
    progression = progressions[variant % len(progressions)]
    base = 48 + tonic  # the chords around C3..B3
    if base > 54:
        base -= 12
    chord_s = 4 * 60.0 / bpm  # a chord a bar
    chords: list[tuple[float, float, float]] = []
    bass: list[tuple[float, float, float]] = []
    count = int(np.ceil(seconds / chord_s))
    for index in range(count):
        degree = progression[index % len(progression)]
        start = index * chord_s
        # Legato: each chord rings into the next, as players and pads do.
        length = min(chord_s + 0.15, seconds - start)
        for semitone in _triad(scale, degree, minor):
            chords.append((base + semitone, start, length))
        bass.append((base - 12 + scale[degree], start, length))
    tracks = [
        _voice(chords, seconds, timbre=timbre, rate=rate, tuning_cents=tuning_cents, gain=0.25),
        _voice(bass, seconds, timbre="organ", rate=rate, tuning_cents=tuning_cents, gain=0.3),
    ]
    if with_melody:
        tracks.append(
            melody(
                tonic,
                minor,
                seconds,
                timbre=timbre,
                rate=rate,
                tuning_cents=tuning_cents,
                variant=variant,
                bpm=bpm,
            )[:, 0]
        )
    mix = np.sum(tracks, axis=0)
    mix /= np.max(np.abs(mix))
    stereo = np.stack([mix, 0.95 * mix], axis=1)
    if with_drums:
        stereo = stereo + 1.6 * drums(Groove(bpm), seconds, rate=rate, seed=tonic)
    return 0.7 * stereo / np.max(np.abs(stereo))


MELODIES = (
    # Scale degrees (0 = tonic, 7 = the octave above) in quarter notes; None is a rest.
    (0, 2, 4, 2, 0, 4, 7, 4, 5, 4, 2, 1, 0, None, 4, 2, 3, 1, 6, 0),
    (4, 3, 2, 1, 0, 2, 4, 7, 6, 4, 5, 3, 1, 6, 0, None, 2, 4, 6, 7),
    (0, 4, 2, 0, 3, 5, 4, 2, 1, 6, 0, 2, 4, 5, 4, 2, 0, 1, 6, 0),
)


def melody(
    tonic: int,
    minor: bool,
    seconds: float,
    *,
    timbre: str,
    rate: int = 44100,
    tuning_cents: float = 0.0,
    variant: int = 0,
    bpm: float = 96.0,
) -> np.ndarray:
    """A tonal melody alone (stereo, centred): quarter notes around the tonic triad,
    cadencing through the leading tone, above C4..B4."""
    scale = HARMONIC_MINOR_SCALE if minor else MAJOR_SCALE
    shape = MELODIES[variant % len(MELODIES)]
    beat = 60.0 / bpm
    root = 60 + tonic if tonic < 7 else 48 + tonic
    notes = []
    for index in range(int(seconds / beat)):
        degree = shape[index % len(shape)]
        if degree is None:
            continue
        # Degree 6 is the leading tone, sung below the tonic.
        semitone = scale[6] - 12 if degree == 6 else scale[degree % 7] + 12 * (degree // 7)
        notes.append((root + semitone, index * beat, beat * 0.95))
    track = _voice(notes, seconds, timbre=timbre, rate=rate, tuning_cents=tuning_cents, gain=0.3)
    return np.stack([track, track], axis=1)


def twelve_tone(seconds: float, *, timbre: str, rate: int = 44100, seed: int = 0) -> np.ndarray:
    """Atonal: shuffled twelve-tone rows (every pitch class once a row) in eighth notes at
    120 BPM, across two octaves. Pitched, in no key."""
    rng = np.random.default_rng(seed)
    notes: list[tuple[float, float, float]] = []
    beat = 0.25
    while len(notes) * beat < seconds:
        for pitch_class in rng.permutation(12).tolist():
            octave = int(rng.integers(0, 2))
            notes.append((48 + 12 * octave + pitch_class, len(notes) * beat, 2 * beat))
    notes = [n for n in notes if n[1] < seconds]
    track = _voice(notes, seconds, timbre=timbre, rate=rate, tuning_cents=0.0, gain=0.3)
    return np.stack([track, track], axis=1)


def sustained_chord(seconds: float, *, rate: int = 44100) -> np.ndarray:
    """One C major chord held throughout (organ): pitched, but with no beat at all."""
    notes = [(midi, 0.0, seconds) for midi in (48, 52, 55, 60)]
    track = _voice(notes, seconds, timbre="organ", rate=rate, tuning_cents=0.0, gain=0.2)
    return np.stack([track, track], axis=1)


# --- Noise and spectral slopes ----------------------------------------------------------


def sloped_noise(
    seconds: float,
    slope_db_per_octave: float,
    *,
    rate: int = 44100,
    channels: int = 2,
    seed: int = 0,
    correlated: bool = False,
) -> np.ndarray:
    """Gaussian noise whose power spectral density falls `slope` dB per octave exactly
    (shaped in the frequency domain; 0 is white, -3.0103 is pink). Channels are
    independent unless `correlated`. Scaled to a -12 dBFS RMS."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    columns = 1 if correlated else channels
    spectrum = np.fft.rfft(rng.standard_normal((columns, n)), axis=1)
    f = np.fft.rfftfreq(n, 1 / rate)
    f[0] = f[1]
    spectrum *= (f / 1000.0) ** (slope_db_per_octave / (20 * np.log10(2)))
    noise = np.fft.irfft(spectrum, n=n, axis=1).T
    if correlated:
        noise = np.repeat(noise, channels, axis=1)
    return noise * (10 ** (-12 / 20) / np.sqrt(np.mean(noise**2)))


def tilted(signal: np.ndarray, slope_db_per_octave: float, *, rate: int) -> np.ndarray:
    """`signal` with its spectrum tilted about 1 kHz by exactly `slope` dB per octave."""
    n = len(signal)
    f = np.fft.rfftfreq(n, 1 / rate)
    f[0] = f[1]
    gain = (f / 1000.0) ** (slope_db_per_octave / (20 * np.log10(2)))
    spectrum = np.fft.rfft(signal, axis=0) * gain[:, None]
    out = np.fft.irfft(spectrum, n=n, axis=0)
    return out * (0.5 / np.max(np.abs(out)))
