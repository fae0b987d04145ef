"""A plain-text summary of a report, for the command line and for logs."""

from __future__ import annotations

from songs.analysis.report import Report

_CHANNELS = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}


def render_text(report: Report) -> str:
    """The report as a short readable page (works on reports rebuilt with from_dict too)."""
    lines = [
        _row("File", _file_facts(report)),
        _row(
            "Loudness",
            f"{_level(report.integrated_lufs, 'LUFS')} integrated, "
            f"range {_level(report.loudness_range_lu, 'LU')}, "
            f"momentary max {_level(report.momentary_max_lufs, 'LUFS')}, "
            f"short-term max {_level(report.short_term_max_lufs, 'LUFS')}",
        ),
        _row(
            "Peaks",
            f"true peak {_level(report.true_peak_dbtp, 'dBTP')}, "
            f"sample peak {_level(report.sample_peak_dbfs, 'dBFS')}, "
            f"PLR {_level(report.plr_db, 'dB')}",
        ),
        _row("Health", _health(report)),
        _row(
            "Silence",
            f"{report.leading_silence_s:.1f} s before the first sound, "
            f"{report.trailing_silence_s:.1f} s after the last",
        ),
        _row("Tags", "; ".join(f"{k}: {v}" for k, v in report.tags.items()) or "none"),
        _row(
            "ISRC",
            "none"
            if report.isrc is None
            else f"{report.isrc} ({'valid' if report.isrc_valid else 'not valid'})",
        ),
        _row("Artwork", _artwork(report)),
    ]
    if report.flags:
        lines.append(_row("Notes", ", ".join(report.flags)))
    stage = f" for {report.stage}" if report.stage else ""
    lines += ["", f"Checks{stage}:"]
    width = max((len(check.id) for check in report.checks), default=0)
    lines += [
        f"  {check.status.value.upper():<4}  {check.id:<{width}}  {check.message}"
        for check in report.checks
    ]
    lines += ["", "Streaming preview:"]
    for preview in report.streaming:
        if preview.gain_db is None:
            lines.append(f"  {preview.platform:<13} no loudness to normalise")
            continue
        note = " (held back by the true peak)" if preview.limited_by_peak else ""
        lines.append(
            f"  {preview.platform:<13} target {preview.target_lufs:.0f} LUFS: "
            f"gain {preview.gain_db:+.1f} dB, plays at {preview.playback_lufs:.1f} LUFS{note}"
        )
    return "\n".join(lines)


def _row(label: str, text: str) -> str:
    return f"{label:<9} {text}"


def _level(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{value:.1f} {unit}"


def _file_facts(report: Report) -> str:
    minutes, seconds = divmod(report.duration_s, 60)
    parts = [
        f"{report.format.upper()} ({report.codec})",
        f"{report.sample_rate / 1000:g} kHz",
        f"{report.bit_depth}-bit" if report.bit_depth else "lossy",
        _CHANNELS.get(report.channels, f"{report.channels} channels"),
        f"{int(minutes)}:{seconds:04.1f}",
    ]
    if report.bitrate_kbps:
        parts.append(f"{report.bitrate_kbps:.0f} kbps")
    return ", ".join(parts)


def _health(report: Report) -> str:
    offsets = "/".join(f"{value:+.4f}" for value in report.dc_offset)
    parts = [f"{report.clipped_samples} clipped samples", f"DC offset {offsets}"]
    if report.correlation is not None:
        parts.append(f"correlation {report.correlation:+.2f}")
    if report.balance_db is not None:
        parts.append(f"balance {report.balance_db:+.1f} dB")
    return ", ".join(parts)


def _artwork(report: Report) -> str:
    art = report.artwork
    if art is None:
        return "none"
    if art.width_px is None:
        return art.problem or "unreadable"
    return f"{art.format} {art.width_px} x {art.height_px}, {art.size_bytes} bytes"
