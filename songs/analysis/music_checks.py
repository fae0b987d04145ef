"""Stage-aware musical checks: the musical pass (MusicReport) read against what the song
declares and what it is compared with, in the student's words.

- Pre-Production: the detected tempo and key against the song's own fields (and, where a
  field is empty, what the detection could fill into it: `detected_fields`).
- Recording, Editing: the tuning against A = 440 Hz, and the tempo against the previous
  version of the same stage.
- Mixing: the tonal balance against the genre's profile, regions of the spectrum read on
  the stage's balance point (loud vs clear, bright vs dark, space vs density); the low
  end's mono compatibility and the stereo width.
- Mastering: the tonal balance against the student's reference track and the genre's
  profile; the low end in mono.

A check says only what the measurement supports. Where it cannot judge (no steady beat,
no clear key, a mono file, a profile nobody measured) it is Status.SKIP with the reason,
never a guess. A comparison with nothing to compare (no previous version) is left out.
Plain Python, no Django.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from songs.analysis.music import MusicReport
from songs.analysis.report import Check, Status
from songs.analysis.spectrum import BAND_CENTRES_HZ
from songs.analysis.tonal import BandProfile, relative_levels

PRE_PRODUCTION = ("pre-production",)
TRACKING = ("recording", "editing")
MIXING = ("mixing",)
MASTERING = ("mastering",)
MIX_AND_MASTER = ("mixing", "mastering")

# --- Thresholds -----------------------------------------------------------------------------

TEMPO_TOLERANCE = 0.04
"""A detected tempo within 4% of the declared one is the same tempo: the accuracy
convention of tempo estimation (Gouyon et al. 2006, "Accuracy 1"), which test_music holds
the estimator to; a demo played 2 BPM off a round 92 is still the song at 92."""
TEMPO_MIN_CONFIDENCE = 0.3
"""Below this tempo confidence the beat is not judged. The estimator gives no tempo under
0.2 (tempo.MIN_CONFIDENCE); on the test set every reading, from 0.33 up, was the beat or
its half (pieces with sustained parts read 0.33 to 0.97, drum grooves 0.74 to 0.93), so
between 0.2 and 0.3 the autocorrelation barely peaks and a verdict would be a guess."""
TEMPO_FILL_MIN_CONFIDENCE = 0.5
"""Confidence needed to offer the detected tempo for the song's empty field: stricter than
judging, since a filled field becomes what later bounces are checked against (every drum
groove of the test set reads above 0.74)."""
KEY_MIN_CONFIDENCE = 0.5
"""Below this key confidence (the pitch classes' correlation with the key's profile,
scaled down for music spread evenly over the twelve) the key is not judged. A key is
reported from 0.25 up (tonality.MIN_KEY_CORRELATION x half of FULL_CONTRAST); every
render of the test set read 0.69 or more, right or wrong, so under 0.5 the best key
barely stands out from its neighbours."""
KEY_FILL_MIN_CONFIDENCE = 0.65
"""Confidence needed to offer the detected key for the song's empty field: every render of
the test set read at least 0.69 (all 24 keys, five timbres). Confidence does not guard
against every confusion (the one wrong reading there, a C# minor piece read as A major,
scored 0.74), so the detection is only offered: the student confirms it with a button."""
TUNING_MAX_CENTS = 10
"""Further than this from A = 440 Hz is worth a warning: two notes 10 cents apart at A4
beat 2.5 times a second, a wobble heard in held unisons against anything tuned to 440
later (a keyboard, a sample, a retake). Tuners aim at 3 cents, and the measurement is
within 5 cents (test_music), so what is flagged is really off. Judged on the rounded
cents the sentence shows."""
TEMPO_DRIFT_MAX = 0.02
"""Two versions more than 2% apart in tempo have moved: at 92 BPM that is 2 BPM, a beat
lost every 50 beats (about 30 s), so parts recorded against one version drift against
the other. The estimator reads steady grooves within 0.1% (test_music), far inside it."""
TONAL_TOLERANCE_SPREADS = 1.0
"""A region is outside the profile when its level is more than one spread (one standard
deviation of the profile's records) from the profile's typical level: the band the chart
draws (songs/charts.py), so "under its band" is what the student sees. Most regions of
the genre's own records sit inside it; outside is a position to discuss (WARN), not a
fault."""
REFERENCE_SPREAD_DB = 2.0
"""A reference track is one record, with no spread of its own: its band is its shape +-2
dB. Broad differences smaller than that are what a gentle mastering EQ shelf or a
different arrangement changes from song to song on one album; beyond it, switching
between the two, one sounds brighter or darker. Twice the profiles' narrowest spread
(MIN_SPREAD_DB, 1 dB, of measure_genre_profile)."""
LOW_END_CORRELATION_MIN = 0.5
"""Below 150 Hz mixes that translate keep bass and kick nearly mono (correlation 0.8 to
1). For two equal sides the mono sum keeps (1 + r) / 2 of the energy: 0.5 already loses
1.2 dB of the low end, 0 loses 3 dB and negative values cancel. 0.5 leaves room for a
stereo synth or room microphones and warns before the bass thins out in mono."""
WIDTH_NARROW_BELOW = 0.1
"""Side-to-mid energy ratio under 0.1 (the sides 10 dB under the centre; a correlation of
about 0.82 for equal channels) in both the mids and the highs: close to mono, nothing
panned or spread by stereo reverb."""
WIDTH_SPACIOUS_FROM = 0.3
"""From 0.3 (the sides 5.2 dB under the centre, a correlation of about 0.54) the mids are
spacious: parts panned apart, stereo reverb and delay heard."""
WIDTH_TOO_WIDE_ABOVE = 1.0
"""Above 1 the sides are louder than the centre: the channels are more out of phase than
in, so a mono sum (which keeps only the centre) loses more than it keeps."""
FIELD_TEMPO_MIN_BPM = 20
FIELD_TEMPO_MAX_BPM = 400
"""The song's tempo field accepts 20 to 400 BPM (songs/models/song.py, which the engine
cannot import)."""

# --- Keys -------------------------------------------------------------------------------------

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
"""As tonality.NAMES spells the detected keys: sharps throughout."""
FIELD_NOTES = ("C", "C#/Db", "D", "D#/Eb", "E", "F", "F#/Gb", "G", "G#/Ab", "A", "A#/Bb", "B")
"""The song's key field spells black keys both ways (songs/models/song.py KEY_CHOICES:
"C#/Db minor")."""
_FLATS = {"DB": 1, "EB": 3, "GB": 6, "AB": 8, "BB": 10, "CB": 11, "FB": 4, "E#": 5, "B#": 0}


@dataclass(frozen=True)
class MusicContext:
    """What the musical checks read beside the bounce's own MusicReport."""

    declared_tempo_bpm: int | None = None
    """The song's tempo field."""
    declared_key: str | None = None
    """The song's key field ("C#/Db minor", "A minor"); "" or None when not decided."""
    profile: BandProfile | None = None
    """The song's genre profile (Mixing, Mastering)."""
    reference: tuple[str, MusicReport] | None = None
    """(title, music) of the student's reference track (Mastering; Mixing too if present)."""
    previous: tuple[str, MusicReport] | None = None
    """(label, music) of the previous version of the same stage, e.g. ("v2", ...)."""
    label: str | None = None
    """This version's label ("v3"); the tempo-drift sentence says "This version" without."""


def evaluate_music(
    music: MusicReport, stage: str | None, context: MusicContext
) -> tuple[Check, ...]:
    """The musical checks that apply to `stage` (all of them when None), in a stable order."""
    results = []
    for rule in _RULES:
        check = rule(music, context)
        if check is None or (stage is not None and stage not in check.stages):
            continue
        results.append(check)
    return tuple(results)


def detected_fields(music: MusicReport) -> dict[str, Any]:
    """What the detection could fill into the song's empty fields: {"tempo_bpm": 92} when the
    beat's confidence is at least TEMPO_FILL_MIN_CONFIDENCE, {"key": "C#/Db minor"} (the
    field's spelling) when the key's is at least KEY_FILL_MIN_CONFIDENCE; {} otherwise."""
    fields: dict[str, Any] = {}
    tempo = _fillable_tempo(music)
    if tempo is not None:
        fields["tempo_bpm"] = tempo
    key = _fillable_key(music)
    if key is not None:
        fields["key"] = key
    return fields


def reference_profile(title: str, music: MusicReport) -> BandProfile | None:
    """A reference track's shape as a profile with a band of +-REFERENCE_SPREAD_DB; None when
    its band levels are missing or any band had no level (nothing to compare there)."""
    levels = music.band_levels_db
    if len(levels) != len(BAND_CENTRES_HZ) or any(level is None for level in levels):
        return None
    shape = [level for level in relative_levels(levels) if level is not None]
    return BandProfile(
        name=title,
        levels_db=tuple(shape),
        spread_db=(REFERENCE_SPREAD_DB,) * len(BAND_CENTRES_HZ),
        measured_tracks=1,
        source=f"The reference track {title}, measured by the same engine.",
    )


# --- Formatting -----------------------------------------------------------------------------


def _bpm(value: float) -> str:
    return f"{value:.0f}"


def _confidence(value: float) -> str:
    return f"{value:.2f}"


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("+0.00", "0.00").replace("-0.00", "0.00")


def _skip(
    id: str, stages: tuple[str, ...], target: str, unit: str, message: str, measured: Any = None
) -> Check:
    return Check(
        id=id,
        stages=stages,
        status=Status.SKIP,
        measured=measured,
        target=target,
        unit=unit,
        message=message,
    )


# --- Pre-Production: tempo and key against the song's fields ---------------------------------


def _fillable_tempo(music: MusicReport) -> int | None:
    if music.tempo_bpm is None or music.tempo_confidence < TEMPO_FILL_MIN_CONFIDENCE:
        return None
    tempo = round(music.tempo_bpm)
    return tempo if FIELD_TEMPO_MIN_BPM <= tempo <= FIELD_TEMPO_MAX_BPM else None


def _near(ratio: float, factor: float, tolerance: float) -> bool:
    return abs(ratio / factor - 1.0) <= tolerance


def tempo_match(music: MusicReport, context: MusicContext) -> Check:
    declared = context.declared_tempo_bpm
    detected = music.tempo_bpm
    confidence = music.tempo_confidence
    if not declared:
        target = "a tempo set for the song"
        fillable = _fillable_tempo(music)
        if detected is None:
            message = (
                "The song has no tempo set yet, and no steady beat was found in this bounce "
                "to suggest one."
            )
        elif fillable is None:
            message = (
                f"The song has no tempo set yet. The beat heard here (about {_bpm(detected)} "
                f"BPM) is not steady enough to fill it in from (confidence "
                f"{_confidence(confidence)}; {_confidence(TEMPO_FILL_MIN_CONFIDENCE)} needed)."
            )
        else:
            message = (
                f"The song has no tempo set yet. This bounce plays at {fillable} BPM "
                f"(confidence {_confidence(confidence)}): the song's tempo can be filled in "
                "from it."
            )
        return _skip("tempo_match", PRE_PRODUCTION, target, "BPM", message, fillable)
    target = f"within {TEMPO_TOLERANCE:.0%} of {declared} BPM"
    if detected is None:
        return _skip(
            "tempo_match",
            PRE_PRODUCTION,
            target,
            "BPM",
            "No steady beat found in this bounce (free time, sustained parts or under 4 "
            f"seconds of it), so the {declared} BPM you chose is not checked.",
        )
    if confidence < TEMPO_MIN_CONFIDENCE:
        return _skip(
            "tempo_match",
            PRE_PRODUCTION,
            target,
            "BPM",
            f"The beat heard here (about {_bpm(detected)} BPM) is too unsteady to check the "
            f"{declared} BPM you chose against (confidence {_confidence(confidence)}; "
            f"{_confidence(TEMPO_MIN_CONFIDENCE)} needed).",
        )
    ratio = detected / declared
    # Double and half time pass: the same grid counted in halves or doubles, and the
    # estimator can hear a half-time groove at half speed (tempo.py), so a warning would ask
    # the student to change a number that is right. The sentence says which count it heard.
    if _near(ratio, 1.0, TEMPO_TOLERANCE):
        status = Status.PASS
        message = (
            f"It plays at {declared} BPM, the tempo you chose."
            if _bpm(detected) == str(declared)
            else f"It plays at {_bpm(detected)} BPM, within {TEMPO_TOLERANCE:.0%} of the "
            f"{declared} you chose."
        )
    elif _near(ratio, 2.0, TEMPO_TOLERANCE):
        status = Status.PASS
        message = (
            f"It plays at {_bpm(detected)} BPM, double the {declared} you chose: the beat "
            "heard is in double time, the same grid counted twice as fast."
        )
    elif _near(ratio, 0.5, TEMPO_TOLERANCE):
        status = Status.PASS
        message = (
            f"It plays at {_bpm(detected)} BPM, half the {declared} you chose: the beat "
            "heard is in half time, the same grid counted at half speed."
        )
    else:
        status = Status.WARN
        faster = "faster" if ratio > 1 else "slower"
        message = (
            f"It plays at {_bpm(detected)} BPM, but you chose {declared} "
            f"({abs(ratio - 1):.0%} {faster}). Set the song's tempo to what the demo plays, "
            "or play the demo at the tempo you planned."
        )
    return Check(
        id="tempo_match",
        stages=PRE_PRODUCTION,
        status=status,
        measured=round(detected, 1),
        target=target,
        unit="BPM",
        message=message,
    )


def parse_key(name: str | None) -> tuple[int, str] | None:
    """(pitch class from C, "major" or "minor") of a key as the song's field spells it
    ("C#/Db minor"), as the detection does ("C# minor"), or with a flat ("Db minor");
    None for anything else."""
    if not name:
        return None
    parts = name.strip().rsplit(" ", 1)
    if len(parts) != 2 or parts[1].lower() not in ("major", "minor"):
        return None
    note = parts[0].split("/")[0].strip()
    spelt = note[:1].upper() + note[1:]
    if spelt in PITCH_CLASSES:
        return PITCH_CLASSES.index(spelt), parts[1].lower()
    flat = _FLATS.get(note.upper())
    return None if flat is None else (flat, parts[1].lower())


def field_key(name: str) -> str | None:
    """A key in the song's field spelling ("C# minor" -> "C#/Db minor")."""
    parsed = parse_key(name)
    return None if parsed is None else f"{FIELD_NOTES[parsed[0]]} {parsed[1]}"


def _fillable_key(music: MusicReport) -> str | None:
    if music.key is None or music.key_confidence < KEY_FILL_MIN_CONFIDENCE:
        return None
    return field_key(music.key)


def key_relation(declared: tuple[int, str], detected: tuple[int, str]) -> str:
    """How the detected key stands to the declared one: "same", "relative", "dominant",
    "subdominant", "parallel" or "unrelated"."""
    (tonic, mode), (heard_tonic, heard_mode) = declared, detected
    step = (heard_tonic - tonic) % 12
    if mode == heard_mode:
        return {0: "same", 7: "dominant", 5: "subdominant"}.get(step, "unrelated")
    if step == 0:
        return "parallel"
    if (mode, step) in (("major", 9), ("minor", 3)):
        return "relative"
    return "unrelated"


def key_match(music: MusicReport, context: MusicContext) -> Check:
    declared = (context.declared_key or "").strip()
    detected = music.key
    confidence = music.key_confidence
    if not declared:
        target = "a key set for the song"
        fillable = _fillable_key(music)
        if detected is None:
            message = (
                "The song has no key set yet, and no clear key was found in this bounce "
                "(atonal, unpitched or too short) to suggest one."
            )
        elif fillable is None:
            message = (
                f"The song has no key set yet. The closest key heard here, {detected}, fits "
                f"too loosely to fill it in from (confidence {_confidence(confidence)}; "
                f"{_confidence(KEY_FILL_MIN_CONFIDENCE)} needed)."
            )
        else:
            message = (
                f"The song has no key set yet. This bounce reads as {detected} (confidence "
                f"{_confidence(confidence)}): the song's key can be filled in from it."
            )
        return _skip("key_match", PRE_PRODUCTION, target, "", message, fillable)
    target = f"in {declared}"
    chosen = parse_key(declared)
    if chosen is None:
        return _skip(
            "key_match",
            PRE_PRODUCTION,
            target,
            "",
            f'The song\'s key "{declared}" is not a key name we can read, so the key heard '
            "is not compared with it.",
        )
    heard = parse_key(detected)
    if detected is None or heard is None:
        return _skip(
            "key_match",
            PRE_PRODUCTION,
            target,
            "",
            "No clear key found in this bounce (atonal, unpitched or too short), so the "
            f"{declared} you chose is not checked.",
        )
    if confidence < KEY_MIN_CONFIDENCE:
        return _skip(
            "key_match",
            PRE_PRODUCTION,
            target,
            "",
            f"The closest key heard here, {detected}, fits too loosely to check the "
            f"{declared} you chose against it (confidence {_confidence(confidence)}; "
            f"{_confidence(KEY_MIN_CONFIDENCE)} needed).",
        )
    relation = key_relation(chosen, heard)
    home, heard_home = PITCH_CLASSES[chosen[0]], PITCH_CLASSES[heard[0]]
    # A relative key passes: the same notes and key signature, and the detection tells the
    # two apart only by what the music dwells on (tonality.py), so the key is consistent.
    # A fifth away or the parallel mode warns: a different scale, which the student should
    # settle (which chord is home; major or minor), naming the relation so it is quick.
    if relation == "same":
        status = Status.PASS
        message = (
            f"It reads as {detected}, the key you chose."
            if detected == declared
            else f"It reads as {detected}, the key you chose ({declared})."
        )
    elif relation == "relative":
        status = Status.PASS
        message = (
            f"It reads as {detected}, the relative {heard[1]} of the {declared} you chose: "
            f"the same notes and key signature, with the music settling on {heard_home} "
            f"rather than {home}."
        )
    elif relation in ("dominant", "subdominant"):
        status = Status.WARN
        where = "above" if relation == "dominant" else "below"
        message = (
            f"It reads as {detected}, a fifth {where} the {declared} you chose (its "
            f"{relation}): neighbouring keys whose signatures differ by one sharp or flat. "
            "Check which chord sounds like home, and set the song's key to it."
        )
    elif relation == "parallel":
        status = Status.WARN
        message = (
            f"It reads as {detected}, the parallel {heard[1]} of the {declared} you chose: "
            "the same home note, but the third, sixth and seventh of the scale differ. "
            "Check whether the song is major or minor, and set its key to match."
        )
    else:
        status = Status.WARN
        message = (
            f"It reads as {detected}, not the {declared} you chose. Set the song's key to "
            "what the demo plays, or check the demo's notes against the key you planned."
        )
    return Check(
        id="key_match",
        stages=PRE_PRODUCTION,
        status=status,
        measured=detected,
        target=target,
        unit="",
        message=message,
    )


# --- Recording and Editing: tuning, and the tempo between versions ---------------------------


def reference_pitch_hz(cents: float) -> float:
    """Where A4 sits when the semitones sit `cents` from A = 440 Hz."""
    return 440.0 * math.pow(2.0, cents / 1200.0)


def tuning(music: MusicReport, context: MusicContext) -> Check:
    cents = music.tuning_cents
    target = f"within {TUNING_MAX_CENTS} cents of A = 440 Hz"
    if cents is None:
        return _skip(
            "tuning",
            TRACKING,
            target,
            "cents",
            "No sustained notes found to hear the tuning by (drums, noise or speech only), "
            "so the tuning is not judged.",
        )
    shown = round(abs(cents))
    pitch = f"A = {reference_pitch_hz(cents):.0f} Hz"
    if shown == 0:
        where = f"Tuned to {pitch}, standard pitch."
    else:
        side = "sharp" if cents > 0 else "flat"
        where = f"Tuned to {pitch}, {shown} cents {side} of 440."
    ok = shown <= TUNING_MAX_CENTS
    return Check(
        id="tuning",
        stages=TRACKING,
        status=Status.PASS if ok else Status.WARN,
        measured=round(cents, 1),
        target=target,
        unit="cents",
        message=(
            where
            if ok
            else f"{where} Anything recorded or programmed at standard pitch (a keyboard, a "
            "sample, a retake) will sound out of tune against it: tune everything to 440, "
            f"or set the other instruments and tuners to {pitch}."
        ),
    )


def tempo_drift(music: MusicReport, context: MusicContext) -> Check | None:
    # Nothing to compare on a first version: the check is left out, not skipped on every one.
    if context.previous is None:
        return None
    label, before = context.previous
    # "v3" where the caller knows this version's label; "this version" otherwise.
    this = context.label or "this version"
    opening = context.label or "This version"
    now, then = music.tempo_bpm, before.tempo_bpm
    target = f"within {TEMPO_DRIFT_MAX:.0%} of {label}"
    if then is not None:
        target = f"within {TEMPO_DRIFT_MAX:.0%} of {label}'s {_bpm(then)} BPM"
    unsure = []
    for name, tempo, confidence in (
        (this, now, music.tempo_confidence),
        (label, then, before.tempo_confidence),
    ):
        if tempo is None:
            unsure.append(f"no steady beat was found in {name}")
        elif confidence < TEMPO_MIN_CONFIDENCE:
            unsure.append(
                f"the beat of {name} is too unsteady (confidence {_confidence(confidence)})"
            )
    if unsure or now is None or then is None:
        return _skip(
            "tempo_drift",
            TRACKING,
            target,
            "BPM",
            f"The tempo is not compared with {label}'s: " + " and ".join(unsure) + ".",
        )
    ratio = now / then
    # Shown as whole BPM, with a decimal where two different tempi would round alike.
    shown_now, shown_then = _bpm(now), _bpm(then)
    if shown_now == shown_then and not _near(ratio, 1.0, TEMPO_DRIFT_MAX):
        shown_now, shown_then = f"{now:.1f}", f"{then:.1f}"
    if _near(ratio, 1.0, TEMPO_DRIFT_MAX):
        status = Status.PASS
        message = (
            f"{opening} plays at {shown_now} BPM, as {label} did: the tempo held."
            if shown_now == shown_then
            else f"{opening} plays at {shown_now} BPM, {label} at {shown_then}: within "
            f"{TEMPO_DRIFT_MAX:.0%}, the tempo held."
        )
    elif _near(ratio, 2.0, TEMPO_DRIFT_MAX) or _near(ratio, 0.5, TEMPO_DRIFT_MAX):
        status = Status.PASS
        feel = "double" if ratio > 1 else "half"
        message = (
            f"{opening} reads at {shown_now} BPM and {label} at {shown_then}: the same pulse "
            f"heard in {feel} time, so the tempo held."
        )
    else:
        status = Status.WARN
        faster = "faster" if ratio > 1 else "slower"
        message = (
            f"{opening} plays at {shown_now} BPM, {label} at {shown_then}: the tempo moved "
            f"({abs(ratio - 1):.1%} {faster}). Parts recorded against {label} will drift "
            f"against {this}, unless the change was meant."
        )
    return Check(
        id="tempo_drift",
        stages=TRACKING,
        status=status,
        measured=round(now, 1),
        target=target,
        unit="BPM",
        message=message,
    )


# --- Mixing and Mastering: tonal balance by region -------------------------------------------


@dataclass(frozen=True)
class Region:
    """A few neighbouring one-third-octave bands read as one part of the spectrum, and the
    word on the Mixing balance point (loud vs clear, bright vs dark) for a mix that has
    more or less there than its profile."""

    name: str
    label: str
    low_hz: float
    high_hz: float
    more: str
    less: str

    @property
    def bands(self) -> tuple[int, ...]:
        return tuple(
            index
            for index, centre in enumerate(BAND_CENTRES_HZ)
            if self.low_hz <= centre < self.high_hz
        )


# Bass weight tilts a mix dark; a build-up at 200-500 Hz masks (less clear), too little
# thins it; the mids bring parts forward or leave a hollow; presence and air make it
# bright or dark. Limits between nominal band centres (100, 125, 160, 200 ... 10k Hz).
REGIONS: tuple[Region, ...] = (
    Region("lows", "100–160 Hz", 90.0, 180.0, "Darker", "Brighter"),
    Region("low mids", "200–500 Hz", 180.0, 560.0, "Less clear", "Thinner"),
    Region("mids", "630 Hz–1.6 kHz", 560.0, 1800.0, "More forward", "More hollow"),
    Region("presence", "2–4 kHz", 1800.0, 4500.0, "Brighter", "Darker"),
    Region("air", "5–10 kHz", 4500.0, 11000.0, "Brighter", "Darker"),
)


@dataclass(frozen=True)
class RegionReading:
    region: Region
    deviation_db: float
    """The mix's mean relative level over the region's bands minus the profile's (dB)."""
    tolerance_db: float
    """TONAL_TOLERANCE_SPREADS x the profile's mean spread over the region's bands: bands
    within a region move together, so their mean deviation spreads about as one does."""

    @property
    def excess_db(self) -> float:
        """How far outside the band (dB, positive), or inside it (zero or negative)."""
        return abs(self.deviation_db) - self.tolerance_db


def region_readings(music: MusicReport, profile: BandProfile) -> tuple[RegionReading, ...]:
    """Each region's deviation from the profile; empty when the bounce has no band levels.

    Both shapes are relative to their mean over the same bands (the ones measured in the
    bounce), so a quieter bounce or a silent band does not shift the comparison.
    """
    levels = music.band_levels_db
    if len(levels) != len(BAND_CENTRES_HZ):
        return ()
    measured = [index for index, level in enumerate(levels) if level is not None]
    if not measured:
        return ()
    shape = relative_levels(levels)
    profile_mean = sum(profile.levels_db[index] for index in measured) / len(measured)
    readings = []
    for region in REGIONS:
        bands = [index for index in region.bands if shape[index] is not None]
        if not bands:
            continue
        deviation = sum(
            (shape[index] or 0.0) - (profile.levels_db[index] - profile_mean) for index in bands
        ) / len(bands)
        spread = sum(profile.spread_db[index] for index in bands) / len(bands)
        readings.append(RegionReading(region, deviation, TONAL_TOLERANCE_SPREADS * spread))
    return tuple(readings)


def _balance(
    id: str, stages: tuple[str, ...], music: MusicReport, profile: BandProfile, against: str
) -> Check:
    """The tonal-balance verdict against `profile`, named in sentences as `against`."""
    target = f"each region within the band of {against}"
    readings = region_readings(music, profile)
    if not readings:
        return _skip(
            id,
            stages,
            target,
            "dB",
            "This bounce has no band levels between 100 Hz and 10 kHz (silent, or analysed "
            "before they were measured), so its tonal balance is not read.",
        )
    worst = max(readings, key=lambda reading: reading.excess_db)
    outside = sorted(
        (reading for reading in readings if reading.excess_db > 0),
        key=lambda reading: -reading.excess_db,
    )
    if not outside:
        return Check(
            id=id,
            stages=stages,
            status=Status.PASS,
            measured=round(worst.deviation_db, 1),
            target=target,
            unit="dB",
            message=(
                f"Close to {against}: every region from 100 Hz to 10 kHz sits inside its band."
            ),
        )
    # One sentence per word on the balance point, the furthest region first.
    groups: dict[str, list[str]] = {}
    for reading in outside:
        more = reading.deviation_db > 0
        word = reading.region.more if more else reading.region.less
        groups.setdefault(word, []).append(
            f"the {reading.region.label} region sits {reading.excess_db:.1f} dB "
            f"{'over' if more else 'under'} its band"
        )
    sentences = [f"{word} than {against}: " + " and ".join(c) + "." for word, c in groups.items()]
    return Check(
        id=id,
        stages=stages,
        status=Status.WARN,
        measured=round(worst.deviation_db, 1),
        target=target,
        unit="dB",
        message=" ".join(sentences)
        + " Fine if that is the sound you want; if not, a broad EQ move there brings it "
        "inside the band.",
    )


def tonal_balance(music: MusicReport, context: MusicContext) -> Check:
    profile = context.profile
    if profile is None:
        return _skip(
            "tonal_balance",
            MIX_AND_MASTER,
            "each region within the band of the genre's profile",
            "dB",
            "The song has no genre: choose the song's genre to have the tonal balance read "
            "against its profile.",
        )
    if profile.measured_tracks == 0:
        return _skip(
            "tonal_balance",
            MIX_AND_MASTER,
            f"each region within the band of the {profile.name} profile",
            "dB",
            f"The {profile.name} profile is a starter shape, not measured from records, so "
            "the tonal balance gets no verdict against it.",
        )
    return _balance("tonal_balance", MIX_AND_MASTER, music, profile, f"the {profile.name} profile")


def reference_balance(music: MusicReport, context: MusicContext) -> Check:
    if context.reference is None:
        # Only Mastering asks for a reference; at Mixing the check appears when there is one.
        return _skip(
            "reference_balance",
            MASTERING,
            "each region within the band of a reference track",
            "dB",
            "No reference track to compare with: attach a reference track (a released "
            "record with the sound you aim for) to the song to have the master's tonal "
            "balance read against it.",
        )
    title, track = context.reference
    profile = reference_profile(title, track)
    if profile is None:
        return _skip(
            "reference_balance",
            MIX_AND_MASTER,
            f"each region within the band of {title}",
            "dB",
            f"The band levels of {title} could not be measured across 100 Hz to 10 kHz, so "
            "the tonal balance is not compared with it.",
        )
    return _balance("reference_balance", MIX_AND_MASTER, music, profile, title)


# --- Mixing: space and density ---------------------------------------------------------------


def low_end_mono(music: MusicReport, context: MusicContext) -> Check:
    value = music.low_end_correlation
    target = f"correlation at least {_signed(LOW_END_CORRELATION_MIN)} below 150 Hz"
    if music.stereo_width is None:
        return _skip(
            "low_end_mono",
            MIX_AND_MASTER,
            target,
            "",
            "A mono file: there is no left and right to compare, so the low end's mono "
            "compatibility is not judged.",
        )
    if value is None:
        return _skip(
            "low_end_mono",
            MIX_AND_MASTER,
            target,
            "",
            "Below 150 Hz one side or both are silent, so the low end's mono compatibility "
            "is not judged.",
        )
    if value < 0:
        status = Status.WARN
        message = (
            f"Below 150 Hz left and right are out of phase (correlation {_signed(value)}): "
            "summed to mono (a phone, a club system, a Bluetooth speaker) the bass cancels "
            "and can vanish. Look for a flipped polarity or a stereo widener on the bass or "
            "kick, and keep them in the centre."
        )
    elif value < LOW_END_CORRELATION_MIN:
        status = Status.WARN
        message = (
            f"Below 150 Hz left and right correlate only {_signed(value)}: the low end is "
            "wide, so summed to mono the bass goes thin. Keep the bass and kick centred "
            "(mono below about 150 Hz)."
        )
    else:
        status = Status.PASS
        message = (
            f"Below 150 Hz left and right move together (correlation {_signed(value)}): the "
            "bass holds up in mono."
        )
    return Check(
        id="low_end_mono",
        stages=MIX_AND_MASTER,
        status=status,
        measured=value,
        target=target,
        unit="",
        message=message,
    )


def _sides(ratio: float, centre: str) -> str:
    """What "the sides" do against `centre`, from a side-to-mid energy ratio."""
    if ratio <= 0:
        return "are silent: it is mono"
    level = 10.0 * math.log10(ratio)
    if abs(level) < 0.05:
        return f"are as loud as {centre}"
    if level < 0:
        return f"sit {-level:.1f} dB under {centre}"
    return f"are {level:.1f} dB louder than {centre}"


def stereo_width(music: MusicReport, context: MusicContext) -> Check:
    width = music.stereo_width
    # What the verdict below judges: a warning for either band wider than the centre, or
    # for both narrower than WIDTH_NARROW_BELOW; one band in between is enough to pass.
    target = (
        "sides no louder than the centre, and no more than "
        f"{-10 * math.log10(WIDTH_NARROW_BELOW):.0f} dB under it in the mids or the highs"
    )
    if width is None:
        return _skip(
            "stereo_width",
            MIXING,
            target,
            "side/mid",
            "A mono file: there is no stereo image to read for space and density.",
        )
    mid, high = width.mid, width.high
    if mid is None:
        return _skip(
            "stereo_width",
            MIXING,
            target,
            "side/mid",
            "There is no sound between 150 Hz and 5 kHz to read the stereo image by.",
        )
    figures = "between 150 Hz and 5 kHz the sides (what differs between left and right) " + _sides(
        mid, "the centre (what they share)"
    )
    if high is not None:
        figures += ", and above 5 kHz they " + _sides(high, "the centre")
    too_wide = [
        name
        for name, value in (("mids", mid), ("highs", high))
        if value is not None and value > WIDTH_TOO_WIDE_ABOVE
    ]
    if too_wide:
        status = Status.WARN
        message = (
            f"Wider than it is centred in the {' and '.join(too_wide)}: {figures}. A mono "
            "sum keeps only the centre, so more cancels than remains: check stereo wideners "
            "and polarity."
        )
    elif mid < WIDTH_NARROW_BELOW and (high is None or high < WIDTH_NARROW_BELOW):
        status = Status.WARN
        message = (
            f"Dense and narrow, close to mono: {figures}. Panning parts apart and a stereo "
            "reverb or delay would give each its own place."
        )
    elif mid >= WIDTH_SPACIOUS_FROM:
        status = Status.PASS
        message = f"Spacious: {figures}."
    else:
        status = Status.PASS
        message = f"Centred, with some space: {figures}."
    return Check(
        id="stereo_width",
        stages=MIXING,
        status=status,
        measured=round(mid, 3),
        target=target,
        unit="side/mid",
        message=message,
    )


_RULES: tuple[Callable[[MusicReport, MusicContext], Check | None], ...] = (
    tempo_match,
    key_match,
    tuning,
    tempo_drift,
    tonal_balance,
    reference_balance,
    low_end_mono,
    stereo_width,
)

MUSIC_CHECK_IDS: tuple[str, ...] = tuple(rule.__name__ for rule in _RULES)
"""Every musical check's id (each rule is named after the check it makes)."""
