"""analyse(): one pass over the decoded blocks feeds every meter, then the report is built."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from songs.analysis import checks, streaming
from songs.analysis.decode import BLOCK_FRAMES, StreamInfo, check_samples, open_stream
from songs.analysis.errors import AnalysisError
from songs.analysis.formats import ACCEPTED_LABELS, AudioFormat, BinaryFile, sniff
from songs.analysis.health import HealthMeter, chunk_extremes
from songs.analysis.heap import reused_heap
from songs.analysis.loudness import (
    GATING_STEP_SUBBLOCKS,
    MOMENTARY_SUBBLOCKS,
    SUBBLOCKS_PER_SECOND,
    LoudnessMeter,
    LoudnessResult,
    lufs,
)
from songs.analysis.metadata import Metadata, read_metadata
from songs.analysis.report import STAGE_SLUGS, LoudnessCurve, Report, Waveform
from songs.analysis.targets import Delivery, Targets
from songs.analysis.threads import one_thread
from songs.analysis.truepeak import TruePeakMeter
from songs.analysis.units import clock
from songs.analysis.waveform import COLUMNS, DETAIL_COLUMNS, PeakCollector, render_png

CURVE_POINTS = 600
"""Most points in the loudness-over-time curve: plenty for a chart, small in JSON."""
LARGEST_CHUNK = 256
SMALLEST_CHUNK = 32  # at least the true-peak filter's taps per phase
# Decoders disagree by a few frames of padding; only a real shortfall means truncation.
TRUNCATION_SLACK = 0.01
TRUNCATION_SLACK_S = 0.1

_STEP_S = GATING_STEP_SUBBLOCKS / SUBBLOCKS_PER_SECOND
_MOMENTARY_S = MOMENTARY_SUBBLOCKS / SUBBLOCKS_PER_SECOND


def analyse(
    fileobj: BinaryFile,
    *,
    targets: Targets | None = None,
    stage: str | None = None,
    delivery: Delivery | None = None,
) -> Report:
    """Analyse one bounce. Raises AnalysisError (with a student-readable reason) if it can't.

    `fileobj` is any seekable binary file object (for example a Django File opened from
    storage); it is read from the start and left open. `delivery` is the song's rulebook
    for the delivery, tags and ISRC checks (see `checks.evaluate`).
    """
    targets = targets or Targets()
    if stage is not None and stage not in STAGE_SLUGS:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGE_SLUGS)}")
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
    metadata = read_metadata(fileobj, fmt, max_artwork_pixels=targets.max_artwork_pixels)
    # One BLAS thread (threads.py): workers run analyses side by side.
    with (
        open_stream(fileobj, fmt, targets) as stream,
        one_thread(),
        reused_heap(),
    ):
        measured = _measure(stream.blocks(), stream.info, targets)
    _check_complete(measured.frames, stream.info)
    report = _report(measured, stream.info, fmt, size, metadata, stage, targets)
    return replace(
        report,
        checks=checks.evaluate(report, targets, stage, delivery),
        streaming=streaming.preview(
            targets.platforms, report.integrated_lufs, report.true_peak_dbtp
        ),
    )


class _Measured:
    """Every meter, fed block by block."""

    def __init__(self, info: StreamInfo, targets: Targets, chunk: int) -> None:
        rate = info.sample_rate
        self.frames = 0
        self.chunk = chunk
        self.loudness = LoudnessMeter(rate, info.channels)
        self.true_peak = TruePeakMeter(info.channels, chunk)
        self.health = HealthMeter(
            info.channels,
            clip_level=_linear(targets.clip_level_dbfs),
            clip_run=targets.clip_run_samples,
            silence_level=_linear(targets.silence_threshold_dbfs),
            edge_frames=round(targets.edge_window_ms / 1000 * rate),
        )
        self.waveform = PeakCollector(COLUMNS)
        self.detail = PeakCollector(DETAIL_COLUMNS)


def _chunk_size(info: StreamInfo) -> int:
    """Chunks small enough that a short file still fills the waveform's columns."""
    expected = info.declared_frames or BLOCK_FRAMES
    chunk = LARGEST_CHUNK
    while chunk > SMALLEST_CHUNK and expected < chunk * 2 * COLUMNS:
        chunk //= 2
    return chunk


def _measure(blocks: Iterator[np.ndarray], info: StreamInfo, targets: Targets) -> _Measured:
    measured = _Measured(info, targets, _chunk_size(info))
    limit = targets.max_duration_s * info.sample_rate
    for frames_by_channels in blocks:
        # Channel-major rows make every per-channel reduction contiguous (ten times faster).
        block = np.ascontiguousarray(frames_by_channels.T)
        highs, lows = chunk_extremes(block, measured.chunk)
        peaks = np.maximum(highs, -lows)
        check_samples(float(peaks.max()))
        measured.frames += block.shape[1]
        if measured.frames > limit:
            raise AnalysisError(
                "too_long",
                f"The bounce is longer than {targets.max_duration_s / 60:g} minutes, the "
                "longest we analyse.",
            )
        measured.loudness.add(block)
        measured.true_peak.add(block, peaks)
        measured.health.add(block, measured.chunk, peaks)
        column_highs, column_lows = highs.max(axis=0), lows.min(axis=0)
        measured.waveform.add(column_highs, column_lows)
        measured.detail.add(column_highs, column_lows)
    measured.true_peak.finish()
    return measured


def _check_complete(frames: int, info: StreamInfo) -> None:
    if frames == 0:
        raise AnalysisError(
            "no_audio",
            "No audio could be read from this file: it holds no sound data or was cut "
            "short. Check the export range and export it again.",
        )
    declared = info.declared_frames
    slack = declared * TRUNCATION_SLACK + TRUNCATION_SLACK_S * info.sample_rate if declared else 0
    if declared and frames < declared - slack:
        raise AnalysisError(
            "truncated",
            f"The file stops early: its header promises {_duration(declared, info)} of audio "
            f"but only {_duration(frames, info)} is there. The upload or export was cut "
            "short; export the bounce again.",
        )


def _duration(frames: int, info: StreamInfo) -> str:
    seconds = frames / info.sample_rate
    return f"{seconds:.1f} s" if seconds < 60 else clock(seconds)


def _linear(dbfs: float) -> float:
    return float(10.0 ** (dbfs / 20.0))


def _db(linear: float) -> float | None:
    return 20.0 * math.log10(linear) if linear > 0.0 else None


def _report(
    measured: _Measured,
    info: StreamInfo,
    fmt: AudioFormat,
    size: int,
    metadata: Metadata,
    stage: str | None,
    targets: Targets,
) -> Report:
    rate = info.sample_rate
    frames = measured.frames
    duration = frames / rate
    loudness = measured.loudness.result()
    health = measured.health.result()
    sample_peak_dbfs = _db(health.sample_peak)
    # The interpolation filter passes samples unchanged, so this is never below the sample peak.
    true_peak_dbtp = _db(measured.true_peak.peak)
    flags = []
    if sample_peak_dbfs is None:
        flags.append("silent")
    if duration < _MOMENTARY_S:
        flags.append("too_short_for_momentary")
    if loudness.short_term_max_lufs is None and sample_peak_dbfs is not None:
        flags.append("too_short_for_short_term")
    if loudness.integrated_lufs is None and sample_peak_dbfs is not None:
        flags.append("no_integrated_loudness")
    if loudness.loudness_range_lu is None and sample_peak_dbfs is not None:
        flags.append("no_loudness_range")
    if health.silent_channel:
        flags.append("silent_channel")
    if info.channels == 1:
        flags.append("mono")

    plr = None
    if true_peak_dbtp is not None and loudness.integrated_lufs is not None:
        plr = true_peak_dbtp - loudness.integrated_lufs
    first, last = health.first_sound, health.last_sound
    floor, pause_s = _noise_floor(loudness, first, last, rate, targets)
    lows, highs = measured.waveform.result()
    detail_lows, detail_highs = measured.detail.result()
    return Report(
        integrated_lufs=loudness.integrated_lufs,
        loudness_range_lu=loudness.loudness_range_lu,
        true_peak_dbtp=true_peak_dbtp,
        sample_peak_dbfs=sample_peak_dbfs,
        momentary_max_lufs=loudness.momentary_max_lufs,
        short_term_max_lufs=loudness.short_term_max_lufs,
        plr_db=plr,
        clipped_samples=health.clipped_samples,
        clip_events=health.clip_events,
        clip_regions=tuple((first / rate, after / rate) for first, after in health.clip_regions),
        dc_offset=health.dc_offset,
        correlation=health.correlation,
        balance_db=health.balance_db,
        leading_silence_s=duration if first is None else first / rate,
        trailing_silence_s=duration if last is None else (frames - 1 - last) / rate,
        noise_floor_lufs=floor,
        pause_s=pause_s,
        start_peak_dbfs=_db(health.start_peak),
        end_peak_dbfs=_db(health.end_peak),
        sample_rate=rate,
        bit_depth=info.bit_depth,
        channels=info.channels,
        duration_s=duration,
        format=fmt.value,
        codec=info.codec,
        lossless=info.lossless,
        bitrate_kbps=size * 8 / duration / 1000 if duration > 0 else None,
        file_size_bytes=size,
        tags=metadata.tags,
        isrc=metadata.isrc,
        isrc_valid=metadata.isrc_valid,
        isrc_field=metadata.isrc_field,
        artwork=metadata.artwork,
        checks=(),
        streaming=(),
        waveform=Waveform(
            seconds_per_column=duration / len(highs) if len(highs) else 0.0,
            mins=tuple(lows.tolist()),
            maxs=tuple(highs.tolist()),
        ),
        loudness_curve=_curve(loudness.short_term_blocks),
        stage=stage,
        flags=(*flags, *metadata.flags),
        waveform_png=render_png(lows, highs),
        waveform_detail=Waveform(
            seconds_per_column=duration / len(detail_highs) if len(detail_highs) else 0.0,
            mins=tuple(detail_lows.tolist()),
            maxs=tuple(detail_highs.tolist()),
        ),
    )


def _noise_floor(
    loudness: LoudnessResult, first: int | None, last: int | None, rate: int, targets: Targets
) -> tuple[float | None, float]:
    """The loudness of the pauses between the first and the last sound, and how long they
    last in all. A pause is a run of momentary (400 ms) blocks, together at least
    `pause_min_s` long, each at least `pause_depth_lu` below the integrated loudness: quiet
    music is not a pause. The floor is the pauses' quietest block; silent pauses (edited to
    digital silence) have none."""
    if first is None or last is None or loudness.integrated_lufs is None:
        return None, 0.0
    blocks = loudness.momentary_blocks
    starts = np.arange(len(blocks)) * _STEP_S
    inside = (starts >= first / rate) & (starts + _MOMENTARY_S <= (last + 1) / rate)
    threshold = 10.0 ** ((loudness.integrated_lufs - targets.pause_depth_lu + 0.691) / 10.0)
    quiet = inside & (blocks < threshold)
    needed = max(1, math.ceil((targets.pause_min_s - _MOMENTARY_S) / _STEP_S - 1e-9) + 1)
    in_pause = np.zeros(len(blocks), dtype=bool)
    run_start = None
    for index, is_quiet in enumerate([*quiet.tolist(), False]):
        if is_quiet and run_start is None:
            run_start = index
        elif not is_quiet and run_start is not None:
            if index - run_start >= needed:
                in_pause[run_start:index] = True
            run_start = None
    if not in_pause.any():
        return None, 0.0
    # Seconds covered by the pause blocks (overlapping windows counted once).
    window = round(_MOMENTARY_S / _STEP_S)
    covered = np.zeros(len(blocks) + window, dtype=bool)
    for start in np.flatnonzero(in_pause).tolist():
        covered[start : start + window] = True
    pause_s = float(covered.sum() * _STEP_S)
    # The floor is the quietest 400 ms of the pauses: blocks near a pause's edges still
    # hold the music's tail.
    power = float(blocks[in_pause].min())
    return (lufs(power) if power > 0.0 else None), pause_s


def _curve(short_term: np.ndarray) -> LoudnessCurve:
    """Short-term loudness at 10 Hz, averaged (as power) into at most CURVE_POINTS points."""
    per_point = max(1, math.ceil(len(short_term) / CURVE_POINTS))
    usable = len(short_term) - len(short_term) % per_point
    groups = [short_term[:usable].reshape(-1, per_point).mean(axis=1)]
    if usable < len(short_term):
        groups.append(np.array([short_term[usable:].mean()]))
    means = np.concatenate(groups) if len(short_term) else np.zeros(0)
    values = tuple(None if mean <= 0.0 else round(lufs(float(mean)), 2) for mean in means)
    return LoudnessCurve(step_s=per_point * _STEP_S, short_term_lufs=values)
