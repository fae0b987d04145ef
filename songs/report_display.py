"""Turn a stored analysis report (the engine's JSON) into what the report pages show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from songs.models import AnalysisState

if TYPE_CHECKING:
    from coaching.models import User
    from songs.models import Bounce

CHART_WIDTH = 960
CHART_HEIGHT = 220
CHART_PAD_LEFT = 44
CHART_PAD_BOTTOM = 22
CHART_FLOOR_LUFS = -40.0
CHART_CEILING_LUFS = 0.0
_CHECK_ORDER = {"fail": 0, "warn": 1, "pass": 2}


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


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    points: str
    target_y: float | None
    target_label: str
    ticks: list[tuple[float, str]]
    time_ticks: list[tuple[float, str]]


def analysis_context(bounce: Bounce, user: User) -> dict[str, Any]:
    """What the analysis panel of a bounce shows, for `user`."""
    from songs.services import audio_targets

    context: dict[str, Any] = {
        "bounce": bounce,
        "is_coach_view": bounce.record.song.owner_id != user.pk,
    }
    report = bounce.report if bounce.analysis_state == AnalysisState.DONE else None
    if report:
        context |= {
            "report": report,
            "figures": figures(report),
            "checks": checks(report),
            "streaming": streaming_rows(report),
            "chart": loudness_chart(report, target_lufs=audio_targets().master_integrated_lufs),
        }
    return context


def _fmt(value: Any, unit: str, digits: int = 1, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return f"{text} {unit}".strip()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def figures(report: dict[str, Any]) -> list[Figure]:
    rate = report.get("sample_rate")
    depth = report.get("bit_depth")
    fmt = (report.get("format") or "").upper()
    channels = report.get("channels")
    return [
        Figure("Integrated loudness", _fmt(report.get("integrated_lufs"), "LUFS")),
        Figure("True peak", _fmt(report.get("true_peak_dbtp"), "dBTP")),
        Figure("Loudness range", _fmt(report.get("loudness_range_lu"), "LU")),
        Figure("Sample peak", _fmt(report.get("sample_peak_dbfs"), "dBFS")),
        Figure("Short-term max", _fmt(report.get("short_term_max_lufs"), "LUFS")),
        Figure("Momentary max", _fmt(report.get("momentary_max_lufs"), "LUFS")),
        Figure("Peak to loudness", _fmt(report.get("plr_db"), "dB"), "PLR"),
        Figure("Clipped samples", str(report.get("clipped_samples", "—"))),
        Figure("Stereo correlation", _fmt(report.get("correlation"), "", 2, signed=True)),
        Figure("Duration", _duration(report.get("duration_s"))),
        Figure(
            "Format",
            " · ".join(
                part
                for part in [
                    fmt,
                    f"{rate / 1000:g} kHz" if rate else "",
                    f"{depth}-bit" if depth else "",
                    {1: "mono", 2: "stereo"}.get(channels, f"{channels} ch" if channels else ""),
                ]
                if part
            ),
        ),
    ]


def checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(report.get("checks") or [], key=lambda c: _CHECK_ORDER.get(c["status"], 3))


def streaming_rows(report: dict[str, Any]) -> list[StreamingRow]:
    rows = []
    for preview in report.get("streaming") or []:
        gain = preview.get("gain_db")
        name = preview["platform"]
        if gain is None:
            sentence = f"{name} cannot measure a loudness for this bounce."
        elif abs(gain) < 0.05:
            sentence = f"{name} will play it as it is."
        elif gain < 0:
            sentence = f"{name} will turn this down by {-gain:.1f} dB."
        else:
            sentence = f"{name} will turn this up by {gain:.1f} dB."
            if preview.get("limited_by_peak"):
                sentence += " (stopping short of its target to keep the peaks clean)"
        rows.append(StreamingRow(name, preview["target_lufs"], gain, sentence))
    return rows


def loudness_chart(report: dict[str, Any], *, target_lufs: float | None) -> Chart | None:
    """Short-term loudness over time as SVG polyline points, with the target as a line."""
    curve = report.get("loudness_curve") or {}
    values = curve.get("short_term_lufs") or []
    step = curve.get("step_s") or 0.1
    if not any(v is not None for v in values):
        return None
    plot_w = CHART_WIDTH - CHART_PAD_LEFT - 8
    plot_h = CHART_HEIGHT - CHART_PAD_BOTTOM - 8
    span = CHART_CEILING_LUFS - CHART_FLOOR_LUFS

    def y(lufs: float) -> float:
        clamped = min(max(lufs, CHART_FLOOR_LUFS), CHART_CEILING_LUFS)
        return round(8 + (CHART_CEILING_LUFS - clamped) / span * plot_h, 1)

    first_s = 3.0  # the first short-term value covers the first three seconds
    total_s = first_s + step * max(len(values) - 1, 1)

    def x(seconds: float) -> float:
        return round(CHART_PAD_LEFT + seconds / total_s * plot_w, 1)

    points = " ".join(
        f"{x(first_s + index * step)},{y(value)}"
        for index, value in enumerate(values)
        if value is not None
    )
    time_step = next(s for s in (5, 10, 15, 30, 60, 120, 300, 600) if total_s / s <= 8)
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        plot_left=CHART_PAD_LEFT,
        plot_bottom=CHART_HEIGHT - CHART_PAD_BOTTOM,
        points=points,
        target_y=y(target_lufs) if target_lufs is not None else None,
        target_label=f"target {target_lufs:g} LUFS" if target_lufs is not None else "",
        ticks=[(y(level), f"{level:g}") for level in (0, -10, -20, -30, -40)],
        time_ticks=[(x(float(t)), _duration(t)) for t in range(0, int(total_s) + 1, time_step)],
    )


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


_COMPARED = [
    ("Integrated loudness", "integrated_lufs", "LUFS"),
    ("True peak", "true_peak_dbtp", "dBTP"),
    ("Loudness range", "loudness_range_lu", "LU"),
    ("Sample peak", "sample_peak_dbfs", "dBFS"),
    ("Peak to loudness", "plr_db", "dB"),
    ("Short-term max", "short_term_max_lufs", "LUFS"),
    ("Clipped samples", "clipped_samples", ""),
    ("Stereo correlation", "correlation", ""),
]


def differences(a: Bounce, b: Bounce) -> list[Difference]:
    """What changed in the measurements from version a to version b."""
    ra, rb = a.report or {}, b.report or {}
    rows = []
    for label, key, unit in _COMPARED:
        va, vb = ra.get(key), rb.get(key)
        change = ""
        if isinstance(va, int | float) and isinstance(vb, int | float):
            delta = vb - va
            delta_unit = "LU" if unit == "LUFS" else unit  # a difference of loudness is in LU
            change = (
                f"{delta:+.1f} {delta_unit}".strip() if isinstance(va, float) else f"{delta:+d}"
            )
        rows.append(
            Difference(
                label,
                _fmt(va, unit) if isinstance(va, float) else _plain(va),
                _fmt(vb, unit) if isinstance(vb, float) else _plain(vb),
                change,
                va != vb,
            )
        )
    for label, key in [
        ("Format", "format"),
        ("Codec", "codec"),
        ("Sample rate", "sample_rate"),
        ("Bit depth", "bit_depth"),
        ("Channels", "channels"),
        ("Duration", "duration_s"),
    ]:
        va, vb = ra.get(key), rb.get(key)
        if key == "duration_s":
            va, vb = _duration(va), _duration(vb)
        rows.append(Difference(label, _plain(va), _plain(vb), "", va != vb))
    tags_a, tags_b = ra.get("tags") or {}, rb.get("tags") or {}
    for tag in sorted(set(tags_a) | set(tags_b) | {"title", "artist"}):
        va, vb = tags_a.get(tag), tags_b.get(tag)
        rows.append(Difference(f"Tag: {tag}", _plain(va), _plain(vb), "", va != vb))
    rows.append(
        Difference(
            "ISRC",
            _plain(ra.get("isrc")),
            _plain(rb.get("isrc")),
            "",
            ra.get("isrc") != rb.get("isrc"),
        )
    )
    return rows


def _plain(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)
