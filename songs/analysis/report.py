"""The analysis report: frozen dataclasses with units in their names, and their JSON form.

`Report.to_dict()` is the stored and printed form. Its top-level keys listed in
`CONTRACT_KEYS` are a contract other tools rely on; more keys may be added, none removed.
Values that have no finite answer (the loudness of silence, say) are None, and
`flags` says why, so the JSON never carries NaN or infinity.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENGINE_VERSION = "1"

STAGE_SLUGS: tuple[str, ...] = (
    "production",
    "songwriting",
    "pre-production",
    "recording",
    "editing",
    "mixing",
    "mastering",
)

CONTRACT_KEYS: tuple[str, ...] = (
    "integrated_lufs",
    "loudness_range_lu",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "momentary_max_lufs",
    "short_term_max_lufs",
    "plr_db",
    "clipped_samples",
    "dc_offset",
    "correlation",
    "sample_rate",
    "bit_depth",
    "channels",
    "duration_s",
    "format",
    "codec",
    "tags",
    "isrc",
    "isrc_valid",
    "artwork",
    "checks",
    "streaming",
    "waveform",
    "loudness_curve",
)


class Status(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    """Not judged: the measurement cannot support a verdict here (the message says why)."""

    @property
    def label(self) -> str:
        return "not judged" if self is Status.SKIP else self.value


@dataclass(frozen=True)
class Check:
    """One judgement on the bounce, worded for the student."""

    id: str
    stages: tuple[str, ...]
    status: Status
    measured: float | int | str | None
    target: str
    """The target as a short phrase, e.g. "at most -1.0 dBTP"."""
    unit: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        measured = self.measured
        if isinstance(measured, float):
            measured = _num(measured)
        return {
            "id": self.id,
            "stages": list(self.stages),
            "status": self.status.value,
            "measured": measured,
            "target": self.target,
            "unit": self.unit,
            "message": self.message,
        }


@dataclass(frozen=True)
class Artwork:
    format: str | None
    """"JPEG" or "PNG"; None when the embedded picture is neither or unreadable."""
    width_px: int | None
    height_px: int | None
    size_bytes: int
    problem: str | None = None
    """Why the picture could not be measured, if it could not."""


@dataclass(frozen=True)
class StreamingPreview:
    """What one platform's loudness normalisation would do to this bounce."""

    platform: str
    target_lufs: float
    turns_up_quiet: bool
    gain_db: float | None
    """Gain the platform applies at playback; None when the bounce has no loudness."""
    playback_lufs: float | None
    playback_true_peak_dbtp: float | None
    limited_by_peak: bool
    """True when the platform stopped short of its target to keep peaks below its ceiling."""
    checked: str
    source: str


@dataclass(frozen=True)
class Waveform:
    """Min/max sample value per column across all channels, -1.0 .. 1.0."""

    seconds_per_column: float
    mins: tuple[float, ...]
    maxs: tuple[float, ...]


@dataclass(frozen=True)
class LoudnessCurve:
    """Short-term loudness (3 s window) every `step_s` seconds, first value at 3 s."""

    step_s: float
    short_term_lufs: tuple[float | None, ...]


@dataclass(frozen=True)
class Report:
    # Loudness (ITU-R BS.1770-4, EBU R 128, EBU Tech 3341/3342).
    integrated_lufs: float | None
    loudness_range_lu: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    plr_db: float | None
    """Peak-to-loudness ratio: true peak minus integrated loudness."""
    # Signal health.
    clipped_samples: int
    """Samples in runs of consecutive samples at full scale (see Targets.clip_run_samples)."""
    clip_events: int
    clip_regions: tuple[tuple[float, float], ...]
    """Where the clips are, as (start, end) seconds: merged, at most 200 (for the waveform)."""
    dc_offset: tuple[float, ...]
    """Mean sample value per channel, as a fraction of full scale."""
    correlation: float | None
    """Left/right correlation, -1 .. 1 (1 = mono, 0 = unrelated, < 0 = out of phase)."""
    balance_db: float | None
    """Left minus right RMS level; positive leans left."""
    leading_silence_s: float
    trailing_silence_s: float
    noise_floor_lufs: float | None
    """The quietest 400 ms of the pauses (see pause_s); None without a pause, or when the
    pauses are digital silence."""
    pause_s: float
    """Seconds of pause between the first and last sound: stretches of at least
    Targets.pause_min_s at least Targets.pause_depth_lu below the integrated loudness."""
    start_peak_dbfs: float | None
    end_peak_dbfs: float | None
    # File facts.
    sample_rate: int
    bit_depth: int | None
    channels: int
    duration_s: float
    format: str
    codec: str
    lossless: bool
    bitrate_kbps: float | None
    file_size_bytes: int
    # Metadata.
    tags: Mapping[str, str]
    isrc: str | None
    isrc_valid: bool
    isrc_field: str | None
    """Where the ISRC sits in the file: "ID3 tag", "Vorbis comment", "RIFF INFO ISRC", ..."""
    artwork: Artwork | None
    # Judgements and views.
    checks: tuple[Check, ...]
    streaming: tuple[StreamingPreview, ...]
    waveform: Waveform
    loudness_curve: LoudnessCurve
    stage: str | None
    flags: tuple[str, ...]
    """Why a value is missing or doubtful: "silent", "too_short_for_integrated", ..."""
    engine_version: str = ENGINE_VERSION
    waveform_png: bytes = field(default=b"", repr=False, compare=False)
    """The waveform drawn as a PNG; not part of to_dict (store it as a file)."""
    waveform_detail: Waveform | None = field(default=None, repr=False, compare=False)
    """Finer peaks for the zoomed player (up to DETAIL_COLUMNS); not part of to_dict (store
    them as a file with `peaks_dict`)."""

    def peaks_dict(self) -> dict[str, Any]:
        """The waveform at every resolution the engine measured, for an interactive player:
        the overview and, when measured, the detail (JSON-safe, store it as a file)."""
        levels = [self.waveform] + ([self.waveform_detail] if self.waveform_detail else [])
        return {
            "duration_s": _num(self.duration_s),
            "levels": [
                {
                    "seconds_per_peak": _num(level.seconds_per_column, 6),
                    "min": [_num(value, 3) for value in level.mins],
                    "max": [_num(value, 3) for value in level.maxs],
                }
                for level in levels
            ],
        }

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "integrated_lufs": _num(self.integrated_lufs),
            "loudness_range_lu": _num(self.loudness_range_lu),
            "true_peak_dbtp": _num(self.true_peak_dbtp),
            "sample_peak_dbfs": _num(self.sample_peak_dbfs),
            "momentary_max_lufs": _num(self.momentary_max_lufs),
            "short_term_max_lufs": _num(self.short_term_max_lufs),
            "plr_db": _num(self.plr_db),
            "clipped_samples": self.clipped_samples,
            "clip_events": self.clip_events,
            "clip_regions": [[_num(a, 3), _num(b, 3)] for a, b in self.clip_regions],
            "dc_offset": [_num(value, 6) for value in self.dc_offset],
            "correlation": _num(self.correlation),
            "balance_db": _num(self.balance_db),
            "leading_silence_s": _num(self.leading_silence_s),
            "trailing_silence_s": _num(self.trailing_silence_s),
            "noise_floor_lufs": _num(self.noise_floor_lufs),
            "pause_s": _num(self.pause_s, 1),
            "start_peak_dbfs": _num(self.start_peak_dbfs),
            "end_peak_dbfs": _num(self.end_peak_dbfs),
            "sample_rate": self.sample_rate,
            "bit_depth": self.bit_depth,
            "channels": self.channels,
            "duration_s": _num(self.duration_s),
            "format": self.format,
            "codec": self.codec,
            "lossless": self.lossless,
            "bitrate_kbps": _num(self.bitrate_kbps, 1),
            "file_size_bytes": self.file_size_bytes,
            "tags": dict(self.tags),
            "isrc": self.isrc,
            "isrc_valid": self.isrc_valid,
            "isrc_field": self.isrc_field,
            "artwork": None if self.artwork is None else _artwork_dict(self.artwork),
            "checks": [check.to_dict() for check in self.checks],
            "streaming": [_streaming_dict(preview) for preview in self.streaming],
            "waveform": {
                "seconds_per_column": _num(self.waveform.seconds_per_column, 6),
                "min": [_num(value, 4) for value in self.waveform.mins],
                "max": [_num(value, 4) for value in self.waveform.maxs],
            },
            "loudness_curve": {
                "step_s": _num(self.loudness_curve.step_s),
                "short_term_lufs": [_num(v, 2) for v in self.loudness_curve.short_term_lufs],
            },
            "stage": self.stage,
            "flags": list(self.flags),
            "engine_version": self.engine_version,
        }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report from `to_dict()` output (the PNG is not part of it)."""
        artwork = data.get("artwork")
        waveform = data["waveform"]
        curve = data["loudness_curve"]
        return cls(
            integrated_lufs=data["integrated_lufs"],
            loudness_range_lu=data["loudness_range_lu"],
            true_peak_dbtp=data["true_peak_dbtp"],
            sample_peak_dbfs=data["sample_peak_dbfs"],
            momentary_max_lufs=data["momentary_max_lufs"],
            short_term_max_lufs=data["short_term_max_lufs"],
            plr_db=data["plr_db"],
            clipped_samples=data["clipped_samples"],
            clip_events=data.get("clip_events", 0),
            clip_regions=tuple((a, b) for a, b in data.get("clip_regions") or ()),
            dc_offset=tuple(data["dc_offset"]),
            correlation=data["correlation"],
            balance_db=data.get("balance_db"),
            leading_silence_s=data.get("leading_silence_s", 0.0),
            trailing_silence_s=data.get("trailing_silence_s", 0.0),
            noise_floor_lufs=data.get("noise_floor_lufs"),
            pause_s=data.get("pause_s") or 0.0,
            start_peak_dbfs=data.get("start_peak_dbfs"),
            end_peak_dbfs=data.get("end_peak_dbfs"),
            sample_rate=data["sample_rate"],
            bit_depth=data["bit_depth"],
            channels=data["channels"],
            duration_s=data["duration_s"],
            format=data["format"],
            codec=data["codec"],
            lossless=data.get("lossless", False),
            bitrate_kbps=data.get("bitrate_kbps"),
            file_size_bytes=data.get("file_size_bytes", 0),
            tags=dict(data["tags"]),
            isrc=data["isrc"],
            isrc_valid=data["isrc_valid"],
            isrc_field=data.get("isrc_field"),
            artwork=None if artwork is None else Artwork(**artwork),
            checks=tuple(
                Check(
                    **{**check, "stages": tuple(check["stages"]), "status": Status(check["status"])}
                )
                for check in data["checks"]
            ),
            streaming=tuple(StreamingPreview(**preview) for preview in data["streaming"]),
            waveform=Waveform(
                seconds_per_column=waveform["seconds_per_column"],
                mins=tuple(waveform["min"]),
                maxs=tuple(waveform["max"]),
            ),
            loudness_curve=LoudnessCurve(
                step_s=curve["step_s"], short_term_lufs=tuple(curve["short_term_lufs"])
            ),
            stage=data.get("stage"),
            flags=tuple(data.get("flags", ())),
            engine_version=data.get("engine_version", ENGINE_VERSION),
        )


def _num(value: float | None, digits: int = 3) -> float | None:
    """A JSON-safe number: rounded for a readable report, None for anything not finite."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _artwork_dict(artwork: Artwork) -> dict[str, Any]:
    return {
        "format": artwork.format,
        "width_px": artwork.width_px,
        "height_px": artwork.height_px,
        "size_bytes": artwork.size_bytes,
        "problem": artwork.problem,
    }


def _streaming_dict(preview: StreamingPreview) -> dict[str, Any]:
    return {
        "platform": preview.platform,
        "target_lufs": preview.target_lufs,
        "turns_up_quiet": preview.turns_up_quiet,
        "gain_db": _num(preview.gain_db, 2),
        "playback_lufs": _num(preview.playback_lufs, 2),
        "playback_true_peak_dbtp": _num(preview.playback_true_peak_dbtp, 2),
        "limited_by_peak": preview.limited_by_peak,
        "checked": preview.checked,
        "source": preview.source,
    }
