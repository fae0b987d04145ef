"""Signal health measured block by block: clipping, DC offset, stereo image, silence, edges."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def chunk_extremes(block: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel, per-chunk maximum and minimum sample (channels x chunks each).

    One pass over the block feeds peaks, true-peak pruning, silence and the waveform.
    """
    channels, frames = block.shape
    whole = frames - frames % chunk
    shaped = block[:, :whole].reshape(channels, -1, chunk)
    highs, lows = shaped.max(axis=2), shaped.min(axis=2)
    if whole < frames:
        rest = block[:, whole:]
        highs = np.hstack((highs, rest.max(axis=1, keepdims=True)))
        lows = np.hstack((lows, rest.min(axis=1, keepdims=True)))
    return highs, lows


@dataclass(frozen=True)
class Health:
    sample_peak: float
    """Largest absolute sample value (linear)."""
    clipped_samples: int
    clip_events: int
    clip_regions: tuple[tuple[int, int], ...]
    """Where the clips are: (first frame, frame after the last), merged across channels and
    within MERGE_FRAMES of each other, at most MAX_CLIP_REGIONS of them."""
    dc_offset: tuple[float, ...]
    correlation: float | None
    balance_db: float | None
    silent_channel: bool
    first_sound: int | None
    """Index of the first frame at or above the silence threshold."""
    last_sound: int | None
    start_peak: float
    end_peak: float


MAX_CLIP_REGIONS = 200
"""Located clips kept for the waveform (the count of events is always exact)."""
MAX_CLIP_RUNS = 20_000
"""Clip runs remembered before merging, so a file that clips everywhere stays bounded."""


class HealthMeter:
    def __init__(
        self,
        channels: int,
        *,
        clip_level: float,
        clip_run: int,
        silence_level: float,
        edge_frames: int,
    ) -> None:
        self._clip_level = clip_level
        self._clip_run = clip_run
        self._silence_level = silence_level
        self._edge_frames = max(1, edge_frames)
        self._position = 0
        self._peak = 0.0
        self._sums = np.zeros(channels)
        self._products = np.zeros((2, 2))
        self._open_runs = np.zeros(channels, dtype=np.int64)
        self._open_starts = np.zeros(channels, dtype=np.int64)
        self._runs: list[tuple[int, int]] = []
        self._clipped = 0
        self._events = 0
        self._first_sound: int | None = None
        self._last_sound: int | None = None
        self._start_peak = 0.0
        self._tail = np.zeros((channels, 0), dtype=np.float32)

    def add(self, block: np.ndarray, chunk: int, chunk_peaks: np.ndarray) -> None:
        """`block` is channels x frames; `chunk_peaks` channels x chunks of |sample| maxima."""
        start = self._position
        self._position += block.shape[1]
        self._peak = max(self._peak, float(chunk_peaks.max(initial=0.0)))
        # Float32 sums over one block are exact enough (pairwise and SIMD partial sums);
        # the running totals are float64.
        self._sums += block.sum(axis=1)
        if len(block) >= 2:
            # Three dot products: a 2 x 2 matrix product of the rows is ten times slower.
            left, right = block[0], block[1]
            self._products[0, 0] += float(np.dot(left, left))
            self._products[1, 1] += float(np.dot(right, right))
            both = float(np.dot(left, right))
            self._products[0, 1] += both
            self._products[1, 0] += both
        self._clipping(block, chunk_peaks, start)
        self._sound(block, chunk, chunk_peaks, start)
        if start < self._edge_frames:
            head = block[:, : self._edge_frames - start]
            self._start_peak = max(self._start_peak, float(np.abs(head).max(initial=0.0)))
        if block.shape[1] >= self._edge_frames:
            self._tail = block[:, -self._edge_frames :].copy()
        else:
            self._tail = np.concatenate((self._tail, block), axis=1)[:, -self._edge_frames :]

    def _clipping(self, block: np.ndarray, chunk_peaks: np.ndarray, start: int) -> None:
        loud = chunk_peaks.max(axis=1) >= self._clip_level
        for channel in range(len(block)):
            if not loud[channel]:
                self._close_run(channel, end=start)
                continue
            full = np.abs(block[channel]) >= self._clip_level
            edges = np.diff(full.astype(np.int8), prepend=0, append=0)
            starts = np.flatnonzero(edges == 1)
            ends = np.flatnonzero(edges == -1)
            lengths = ends - starts
            if len(lengths) == 0:
                self._close_run(channel, end=start)
                continue
            run_starts = starts + start
            if starts[0] == 0 and self._open_runs[channel]:
                lengths[0] += self._open_runs[channel]
                run_starts[0] = self._open_starts[channel]
            elif self._open_runs[channel]:
                self._close_run(channel, end=start)
            run_ends = ends + start
            # A run touching the block's end may go on in the next block.
            carried = lengths[-1] if ends[-1] == len(full) else 0
            if carried:
                self._open_starts[channel] = run_starts[-1]
                lengths, run_starts, run_ends = lengths[:-1], run_starts[:-1], run_ends[:-1]
            self._count(lengths, run_starts, run_ends)
            self._open_runs[channel] = carried

    def _close_run(self, channel: int, *, end: int) -> None:
        if self._open_runs[channel]:
            self._count(
                self._open_runs[channel : channel + 1],
                self._open_starts[channel : channel + 1],
                np.array([end]),
            )
        self._open_runs[channel] = 0

    def _count(self, lengths: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        clips = lengths >= self._clip_run
        self._clipped += int(lengths[clips].sum())
        self._events += int(clips.sum())
        if clips.any():
            self._runs.extend(zip(starts[clips].tolist(), ends[clips].tolist(), strict=True))
            if len(self._runs) > MAX_CLIP_RUNS:
                self._runs = _merged(self._runs, gap=MERGE_FRAMES * 8)

    def _sound(self, block: np.ndarray, chunk: int, chunk_peaks: np.ndarray, start: int) -> None:
        loud_chunks = np.flatnonzero(chunk_peaks.max(axis=0) >= self._silence_level)
        if len(loud_chunks) == 0:
            return
        if self._first_sound is None:
            first = loud_chunks[0] * chunk
            part = np.abs(block[:, first : first + chunk]).max(axis=0)
            self._first_sound = start + first + int(np.argmax(part >= self._silence_level))
        last = loud_chunks[-1] * chunk
        part = np.abs(block[:, last : last + chunk]).max(axis=0)
        loud = np.flatnonzero(part >= self._silence_level)
        self._last_sound = start + last + int(loud[-1])

    def result(self) -> Health:
        for channel in range(len(self._open_runs)):
            self._close_run(channel, end=self._position)
        frames = max(self._position, 1)
        correlation = balance = None
        silent_channel = False
        if len(self._sums) >= 2:
            left, right, both = self._products[0, 0], self._products[1, 1], self._products[0, 1]
            silent_channel = (left == 0.0) != (right == 0.0)
            if left > 0.0 and right > 0.0:
                correlation = float(np.clip(both / math.sqrt(left * right), -1.0, 1.0))
                balance = 10.0 * math.log10(left / right)
        return Health(
            sample_peak=self._peak,
            clipped_samples=self._clipped,
            clip_events=self._events,
            clip_regions=_located(self._runs),
            dc_offset=tuple(float(total / frames) for total in self._sums),
            correlation=correlation,
            balance_db=balance,
            silent_channel=silent_channel,
            first_sound=self._first_sound,
            last_sound=self._last_sound,
            start_peak=self._start_peak,
            end_peak=float(np.abs(self._tail).max(initial=0.0)),
        )


MERGE_FRAMES = 2_205
"""Clips closer than this (50 ms at 44.1 kHz) show as one region."""


def _merged(runs: list[tuple[int, int]], *, gap: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, after in sorted(runs):
        if merged and first - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], after))
        else:
            merged.append((first, after))
    return merged


def _located(runs: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """The clip runs of all channels as regions, merged until there are few enough."""
    gap = MERGE_FRAMES
    regions = _merged(runs, gap=gap)
    while len(regions) > MAX_CLIP_REGIONS:
        gap *= 4
        regions = _merged(regions, gap=gap)
    return tuple(regions)
