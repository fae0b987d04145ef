"""What the report pages show of a bounce's analysis: figures, checks, the streaming table,
the loudness chart, and the comparison of two versions. Reads the typed report
(`Bounce.analysis`) and judges with today's rulebook (`Bounce.judge`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coaching.models import User
from songs import charts
from songs.analysis import Check, Report, Status
from songs.analysis.formats import label_of
from songs.analysis.units import clock
from songs.models import Bounce
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
    }
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


def loudness_match(a: Bounce, b: Bounce) -> LoudnessMatch:
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
    """What changed in the measurements from version a to version b."""
    ra, rb = a.analysis, b.analysis
    rows = []
    for label, name, unit, change_unit in _COMPARED:
        va, vb = _value(ra, name), _value(rb, name)
        change = ""
        if isinstance(va, int | float) and isinstance(vb, int | float):
            delta = vb - va
            change = (
                f"{delta:+.1f} {change_unit}".strip()
                if isinstance(va, float) or isinstance(vb, float)
                else f"{delta:+d}"
            )
        rows.append(Difference(label, _shown(va, unit), _shown(vb, unit), change, va != vb))
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


def _value(report: Report | None, name: str) -> float | int | None:
    if report is None:
        return None
    value = getattr(report, name)
    return value if isinstance(value, int | float) else None


def _shown(value: float | int | None, unit: str) -> str:
    if isinstance(value, float):
        return _fmt(value, unit)
    return _plain(value)


def _plain(value: object) -> str:
    return "—" if value is None or value == "" else str(value)
