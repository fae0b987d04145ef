"""What the report pages show of a bounce's analysis: figures, checks, the streaming table,
the loudness chart, and the comparison of two versions. Reads the typed report
(`Bounce.analysis`) and judges with today's rulebook (`Bounce.judge`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from coaching.models import User
from songs import charts
from songs.analysis import Check, MusicReport, Report, Status, detected_fields
from songs.analysis.formats import label_of
from songs.analysis.tonal import BandProfile
from songs.analysis.units import clock
from songs.models import Bounce, ReferenceTrack
from songs.targets import audio_targets

_CHECK_ORDER = {Status.FAIL: 0, Status.WARN: 1, Status.SKIP: 2, Status.PASS: 3}
_CHANNELS = {1: "mono", 2: "stereo"}
_CODECS = {
    "pcm_s16": "PCM 16-bit",
    "pcm_s24": "PCM 24-bit",
    "pcm_s32": "PCM 32-bit",
    "pcm_f32": "PCM 32-bit float",
    "pcm_f64": "PCM 64-bit float",
    "flac": "FLAC",
    "vorbis": "Vorbis",
    "opus": "Opus",
    "mp3": "MP3",
    "aac": "AAC",
    "alac": "Apple Lossless",
}


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    hint: str = ""


@dataclass(frozen=True)
class StreamingRow:
    platform: str
    target_lufs: float
    gain_db: float | None
    sentence: str


def analysis_context(bounce: Bounce, user: User) -> dict[str, Any]:
    """What the analysis panel of a bounce shows, for `user`."""
    context: dict[str, Any] = {
        "bounce": bounce,
        "is_coach_view": bounce.record.song.owner_id != user.pk,
    } | music_context(bounce, user)
    report = bounce.analysis
    if report is not None:
        targets = audio_targets()
        checks = ordered(bounce.judge(targets))
        context |= {
            "report": report,
            "figures": figures(report),
            "checks": checks,
            "waveform_marks": waveform_marks(report, checks),
            "streaming": streaming_rows(report),
            "chart": charts.loudness_over_time(
                report.loudness_curve.short_term_lufs,
                step_s=report.loudness_curve.step_s or 0.1,
                target_lufs=targets.master_integrated_lufs,
            ),
        }
    return context


def music_context(bounce: Bounce, user: User) -> dict[str, Any]:
    """The musical pass as the panel shows it: its figures, and the offer to fill the
    song's empty tempo and key from it (to the student, while the song is open)."""
    music = bounce.music_report
    if music is None:
        return {"music": None}
    song = bounce.record.song
    detected = detected_fields(music)
    fillable = {name: value for name, value in detected.items() if not getattr(song, name)}
    offer = None
    if fillable and song.editable_by(user):
        plays = []
        if "tempo_bpm" in fillable:
            plays.append(f"at {fillable['tempo_bpm']} BPM")
        if "key" in fillable:
            plays.append(f"in {fillable['key']}")
        missing = " and ".join({"tempo_bpm": "tempo", "key": "key"}[name] for name in fillable)
        offer = f"The song has no {missing} yet; {bounce.label} plays {' '.join(plays)}."
    profile = song.genre.band_profile() if song.genre else None
    reference = bounce.heard_reference()
    heard = reference.music_report if reference is not None else None
    overlay_label = reference.title if reference is not None and heard is not None else ""
    return {
        "music": music,
        "music_figures": music_figures(music),
        "fill_offer": offer,
    } | _music_charts(
        music, profile, heard, overlay_label, low_end_correlation=music.low_end_correlation
    )


def _music_charts(
    music: MusicReport,
    profile: BandProfile | None,
    other: MusicReport | None,
    other_label: str,
    *,
    low_end_correlation: float | None = None,
) -> dict[str, Any]:
    """`tonal_chart` and `width_chart` of `music`, with `other`'s drawn over and beside."""
    label = other_label if other else ""
    return {
        "tonal_chart": charts.tonal_balance(
            music.band_levels_db,
            profile=profile,
            overlay=other.band_levels_db if other else None,
            overlay_label=label,
        ),
        "width_chart": charts.stereo_width(
            music.stereo_width,
            low_end_correlation=low_end_correlation,
            overlay=other.stereo_width if other else None,
            overlay_label=label,
        ),
    }


def music_figures(music: MusicReport) -> list[Figure]:
    """Tempo, key, tuning, tilt and width, each with what the figure rests on."""
    figures = []
    if music.tempo_bpm is None:
        figures.append(Figure("Tempo", "—", "no steady beat found"))
    else:
        figures.append(
            Figure(
                "Tempo", f"{music.tempo_bpm:.1f} BPM", f"confidence {music.tempo_confidence:.2f}"
            )
        )
    if music.key is None:
        figures.append(Figure("Key", "—", "no clear key"))
    else:
        figures.append(Figure("Key", music.key, f"confidence {music.key_confidence:.2f}"))
    if music.tuning_cents is not None:
        reference = 440.0 * 2 ** (music.tuning_cents / 1200)
        cents = round(music.tuning_cents)
        shown = "0 cents" if cents == 0 else f"{cents:+d} cents"
        figures.append(Figure("Tuning", shown, f"A = {reference:.1f} Hz"))
    if music.spectral_tilt_db_per_octave is not None:
        figures.append(
            Figure(
                "Spectral tilt",
                f"{music.spectral_tilt_db_per_octave:+.1f} dB/octave",
                "pink noise reads -3.0",
            )
        )
    width = music.stereo_width
    if width is None:
        figures.append(Figure("Stereo width", "mono", ""))
    else:
        parts = [
            f"{name} {value:.2f}"
            for name, value in (("low", width.low), ("mid", width.mid), ("high", width.high))
            if value is not None
        ]
        figures.append(Figure("Stereo width", " · ".join(parts), "side to mid, by band"))
    if music.low_end_correlation is not None:
        figures.append(
            Figure("Low-end correlation", f"{music.low_end_correlation:+.2f}", "below 150 Hz")
        )
    return figures


@dataclass(frozen=True)
class WaveformMark:
    """A located problem, drawn on the player's waveform: a span of the bounce in seconds."""

    start_s: float
    end_s: float
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start_s, 3), "end": round(self.end_s, 3), "label": self.label}


def waveform_marks(report: Report, checks: Sequence[Check]) -> list[dict[str, Any]]:
    """Where the engine located a problem: every clip, and the silence at either end when
    its check did not pass (silence within the limit is no problem)."""
    flagged = {c.id for c in checks if c.status in {Status.WARN, Status.FAIL}}
    marks = [
        WaveformMark(start, end, f"Clipping at {clock(start)}")
        for start, end in report.clip_regions
    ]
    if "leading_silence" in flagged and report.leading_silence_s > 0:
        marks.append(WaveformMark(0.0, report.leading_silence_s, "Silence before the music"))
    if "trailing_silence" in flagged and report.trailing_silence_s > 0 and report.duration_s:
        start = report.duration_s - report.trailing_silence_s
        marks.append(WaveformMark(start, report.duration_s, "Silence after the music"))
    return [mark.to_dict() for mark in marks]


def _fmt(value: float | None, unit: str, digits: int = 1, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return f"{text} {unit}".strip()


def format_facts(report: Report) -> str:
    """ "WAV · 44.1 kHz · 24-bit · stereo": the file as a person names it."""
    fmt = label_of(report.format)
    channels = _CHANNELS.get(report.channels, f"{report.channels} ch")
    return " · ".join(
        part
        for part in (
            fmt,
            f"{report.sample_rate / 1000:g} kHz" if report.sample_rate else "",
            f"{report.bit_depth}-bit" if report.bit_depth else "",
            channels if report.channels else "",
        )
        if part
    )


def figures(report: Report) -> list[Figure]:
    return [
        Figure("Integrated loudness", _fmt(report.integrated_lufs, "LUFS")),
        Figure("True peak", _fmt(report.true_peak_dbtp, "dBTP")),
        Figure("Loudness range", _fmt(report.loudness_range_lu, "LU")),
        Figure("Sample peak", _fmt(report.sample_peak_dbfs, "dBFS")),
        Figure("Short-term max", _fmt(report.short_term_max_lufs, "LUFS")),
        Figure("Momentary max", _fmt(report.momentary_max_lufs, "LUFS")),
        Figure("Peak to loudness", _fmt(report.plr_db, "dB"), "PLR"),
        Figure("Clipped samples", str(report.clipped_samples)),
        Figure("Stereo correlation", _fmt(report.correlation, "", 2, signed=True)),
        Figure("Duration", clock(report.duration_s)),
        Figure("Format", format_facts(report)),
    ]


def ordered(checks: Sequence[Check]) -> list[Check]:
    """Failures first, then warnings, what was not judged, then passes (stable within each)."""
    return sorted(checks, key=lambda check: _CHECK_ORDER[check.status])


def streaming_rows(report: Report) -> list[StreamingRow]:
    rows = []
    for preview in report.streaming:
        gain, name = preview.gain_db, preview.platform
        if gain is None:
            sentence = f"{name} cannot measure a loudness for this bounce."
        elif abs(gain) < 0.05:
            sentence = f"{name} will play it as it is."
        elif gain < 0:
            sentence = f"{name} will turn this down by {-gain:.1f} dB."
        else:
            sentence = f"{name} will turn this up by {gain:.1f} dB."
            if preview.limited_by_peak:
                sentence += " (stopping short of its target to keep the peaks clean)"
        rows.append(StreamingRow(name, preview.target_lufs, gain, sentence))
    return rows


@dataclass(frozen=True)
class LoudnessMatch:
    """Player volumes (0..1) that play two bounces at the same integrated loudness: the
    louder one is turned down to the quieter one."""

    volume_a: float
    volume_b: float
    gain_a_db: float
    gain_b_db: float
    possible: bool


def loudness_match(a: Bounce | ReferenceTrack, b: Bounce | ReferenceTrack) -> LoudnessMatch:
    if a.integrated_lufs is None or b.integrated_lufs is None:
        return LoudnessMatch(1.0, 1.0, 0.0, 0.0, possible=False)
    quieter = min(a.integrated_lufs, b.integrated_lufs)
    gain_a = quieter - a.integrated_lufs
    gain_b = quieter - b.integrated_lufs
    return LoudnessMatch(
        round(10 ** (gain_a / 20), 4),
        round(10 ** (gain_b / 20), 4),
        round(gain_a, 1),
        round(gain_b, 1),
        possible=True,
    )


@dataclass(frozen=True)
class Difference:
    label: str
    a: str
    b: str
    change: str
    changed: bool


# (label, the report's attribute, unit of the value, unit of a change of it)
_COMPARED: tuple[tuple[str, str, str, str], ...] = (
    ("Integrated loudness", "integrated_lufs", "LUFS", "LU"),
    ("True peak", "true_peak_dbtp", "dBTP", "dB"),
    ("Loudness range", "loudness_range_lu", "LU", "LU"),
    ("Sample peak", "sample_peak_dbfs", "dBFS", "dB"),
    ("Peak to loudness", "plr_db", "dB", "dB"),
    ("Short-term max", "short_term_max_lufs", "LUFS", "LU"),
    ("Clipped samples", "clipped_samples", "", ""),
    ("Stereo correlation", "correlation", "", ""),
)


def differences(a: Bounce, b: Bounce) -> list[Difference]:
    """What changed in the measurements from version a to version b (the change column is
    b minus a): loudness, the music, the file, its tags and ISRC."""
    ra, rb = a.analysis, b.analysis
    rows = _loudness_rows(ra, rb, _later_minus_earlier)
    rows += _music_rows(a.music_report, b.music_report, _later_minus_earlier)
    facts: tuple[tuple[str, Any], ...] = (
        ("Format", lambda r: label_of(r.format)),
        ("Codec", lambda r: _CODECS.get(r.codec, r.codec)),
        ("Sample rate", lambda r: f"{r.sample_rate / 1000:g} kHz"),
        ("Bit depth", lambda r: f"{r.bit_depth}-bit" if r.bit_depth else "lossy"),
        ("Channels", lambda r: _CHANNELS.get(r.channels, f"{r.channels} channels")),
        ("Duration", lambda r: clock(r.duration_s)),
    )
    for label, describe in facts:
        da = describe(ra) if ra else None
        db = describe(rb) if rb else None
        rows.append(Difference(label, _plain(da), _plain(db), "", da != db))
    tags_a = dict(ra.tags) if ra else {}
    tags_b = dict(rb.tags) if rb else {}
    for tag in sorted(set(tags_a) | set(tags_b) | {"title", "artist"}):
        va_tag, vb_tag = tags_a.get(tag), tags_b.get(tag)
        rows.append(Difference(f"Tag: {tag}", _plain(va_tag), _plain(vb_tag), "", va_tag != vb_tag))
    isrc_a = ra.isrc if ra else None
    isrc_b = rb.isrc if rb else None
    rows.append(Difference("ISRC", _plain(isrc_a), _plain(isrc_b), "", isrc_a != isrc_b))
    return rows


def loudness_overlay(
    report: Report | None, other: Report | None, other_label: str
) -> charts.LoudnessChart | None:
    """Two short-term loudness curves on one chart, as measured (the A/B player matches
    their levels; this shows where one is louder). None until the first is analysed."""
    if report is None:
        return None
    curve = report.loudness_curve
    overlay = None
    if other is not None:
        overlay = charts.LoudnessCurve(
            other.loudness_curve.short_term_lufs, other.loudness_curve.step_s or 0.1
        )
    return charts.loudness_over_time(
        curve.short_term_lufs,
        step_s=curve.step_s or 0.1,
        target_lufs=None,
        overlay=overlay,
        overlay_label=other_label,
    )


def music_overlays(bounce: Bounce, other: MusicReport | None, other_label: str) -> dict[str, Any]:
    """The bounce's tonal balance and stereo width with `other`'s (another version's, a
    reference track's) drawn over and beside them, and the song's genre profile if it has
    one: `tonal_chart` and `width_chart`, None until the bounce's musical pass is in."""
    mine = bounce.music_report
    if mine is None:
        return {"tonal_chart": None, "width_chart": None}
    genre = bounce.record.song.genre
    # Without the low-end correlation beneath the widths: it would be the bounce's alone,
    # and the compare table beside gives both.
    return _music_charts(mine, genre.band_profile() if genre else None, other, other_label)


def _value(report: Report | None, name: str) -> float | int | None:
    if report is None:
        return None
    value = getattr(report, name)
    return value if isinstance(value, int | float) else None


def _plain(value: object) -> str:
    return "—" if value is None or value == "" else str(value)


# --- A bounce against a reference track -----------------------------------------------------


@dataclass(frozen=True)
class CompareSide:
    """One side of the A/B player (compare.html), as its view describes it: its name, where
    its audio, peaks and picture are, and the page it links to. `comment`: that page takes
    a comment at a moment, so C on the compare page goes there."""

    which: str  # "a" or "b"
    label: str
    audio_url: str
    peaks_url: str
    waveform_url: str
    link_url: str
    link_text: str
    report_text: str
    comment: bool = False


def bounce_side(bounce: Bounce, which: str) -> CompareSide:
    """A version of a bounce as one side of the A/B player (C there comments on it)."""
    return CompareSide(
        which=which,
        label=bounce.label,
        audio_url=reverse("songs:bounce_audio", args=[bounce.pk]),
        peaks_url=reverse("songs:bounce_peaks", args=[bounce.pk]) if bounce.peaks else "",
        waveform_url=reverse("songs:bounce_waveform", args=[bounce.pk]) if bounce.waveform else "",
        link_url=reverse("songs:bounce", args=[bounce.pk]),
        link_text="open to comment",
        report_text=f"{bounce.label} report",
        comment=True,
    )


# (label, the musical report's attribute or stereo-width band, unit, digits)
_MUSIC_COMPARED: tuple[tuple[str, str, str, int], ...] = (
    ("Tempo", "tempo_bpm", "BPM", 1),
    ("Tuning", "tuning_cents", "cents", 0),
    ("Spectral tilt", "spectral_tilt_db_per_octave", "dB/octave", 1),
    ("Stereo width, low", "low", "", 2),
    ("Stereo width, mid", "mid", "", 2),
    ("Stereo width, high", "high", "", 2),
    ("Low-end correlation", "low_end_correlation", "", 2),
)


def reference_differences(bounce: Bounce, reference: ReferenceTrack) -> list[Difference]:
    """How a bounce measures against a reference track: the loudness figures, the music and
    the file. The change column is the bounce minus the reference, and a row stands out
    when the two read differently as shown (a record's tags are its own business, so
    they are not compared)."""
    ra, rb = bounce.analysis, reference.analysis
    rows = _loudness_rows(ra, rb, _first_minus_second)
    rows += _music_rows(bounce.music_report, reference.music_report, _first_minus_second)
    for label, describe in (("Format", format_facts), ("Duration", _duration)):
        da = describe(ra) if ra else None
        db = describe(rb) if rb else None
        rows.append(Difference(label, _plain(da), _plain(db), "", da != db))
    return rows


Delta = Callable[[float, float], float]
"""What the change column shows for two figures a and b."""


def _later_minus_earlier(a: float, b: float) -> float:
    return b - a


def _first_minus_second(a: float, b: float) -> float:
    return a - b


def _loudness_rows(ra: Report | None, rb: Report | None, delta: Delta) -> list[Difference]:
    rows = []
    for label, name, unit, change_unit in _COMPARED:
        digits = 2 if name == "correlation" else 1
        rows.append(
            _measured(label, _value(ra, name), _value(rb, name), unit, change_unit, digits, delta)
        )
    return rows


def _music_rows(ma: MusicReport | None, mb: MusicReport | None, delta: Delta) -> list[Difference]:
    rows = []
    for label, name, unit, digits in _MUSIC_COMPARED:
        va, vb = _music_value(ma, name), _music_value(mb, name)
        rows.append(_measured(label, va, vb, unit, unit, digits, delta))
        if name == "tempo_bpm":
            key_a = ma.key if ma else None
            key_b = mb.key if mb else None
            rows.append(Difference("Key", _plain(key_a), _plain(key_b), "", key_a != key_b))
    return rows


def _duration(report: Report) -> str:
    return clock(report.duration_s)


def _measured(
    label: str,
    a: float | int | None,
    b: float | int | None,
    unit: str,
    change_unit: str,
    digits: int,
    delta: Delta,
) -> Difference:
    shown_a, shown_b = _number(a, unit, digits), _number(b, unit, digits)
    change = ""
    if a is not None and b is not None:
        change = _number(delta(a, b), change_unit, digits, signed=True)
    return Difference(label, shown_a, shown_b, change, shown_a != shown_b)


def _number(value: float | int | None, unit: str, digits: int, signed: bool = False) -> str:
    """A figure as the table shows it; never "-0" (a value that rounds to nothing)."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:+d}" if signed else str(value)
    rounded = round(value, digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{rounded:+.{digits}f}" if signed else f"{rounded:.{digits}f}"
    return f"{text} {unit}".strip()


def _music_value(music: MusicReport | None, name: str) -> float | None:
    """A figure of the musical pass, or of its stereo width (the bands by name)."""
    if music is None:
        return None
    if name in {"low", "mid", "high"}:
        width = music.stereo_width
        band = getattr(width, name) if width is not None else None
        return float(band) if isinstance(band, int | float) else None
    value = getattr(music, name)
    return float(value) if isinstance(value, int | float) else None
