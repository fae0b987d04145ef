"""The waveform overview: min/max per column, collected in bounded memory, drawn with Pillow."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

COLUMNS = 1200
DETAIL_COLUMNS = 24_000
"""Peaks of the zoomable player: 100 a second over four minutes, about 3 a second over two
hours; still a few hundred kilobytes at most."""
PNG_WIDTH = 1200
PNG_HEIGHT = 160
_BACKGROUND = (255, 255, 255, 0)
_INK = (110, 134, 172, 255)  # reads on the dark player and on paper (the dossier)
_AXIS = (190, 198, 210, 255)


class PeakCollector:
    """Collects min/max per bin from per-chunk extremes; halves its resolution when full.

    Bins start at one chunk each; whenever more than four times `columns` bins are held,
    neighbours merge in pairs, so memory stays bounded whatever the file's length.
    """

    def __init__(self, columns: int = COLUMNS) -> None:
        self.columns = columns
        self._chunks_per_bin = 1
        self._highs: list[np.ndarray] = []
        self._lows: list[np.ndarray] = []
        self._held = 0
        # A bin still being filled: its extremes so far and how many chunks it covers.
        self._spare_high = -np.inf
        self._spare_low = np.inf
        self._spare_chunks = 0

    def add(self, chunk_highs: np.ndarray, chunk_lows: np.ndarray) -> None:
        """Extremes per chunk, already reduced across channels."""
        group = self._chunks_per_bin
        taken = 0
        if self._spare_chunks:
            taken = min(group - self._spare_chunks, len(chunk_highs))
            self._fill_spare(chunk_highs[:taken], chunk_lows[:taken])
            if self._spare_chunks == group:
                self._emit(np.array([self._spare_high]), np.array([self._spare_low]))
                self._spare_high, self._spare_low, self._spare_chunks = -np.inf, np.inf, 0
        highs, lows = chunk_highs[taken:], chunk_lows[taken:]
        whole = len(highs) - len(highs) % group
        if whole:
            self._emit(
                highs[:whole].reshape(-1, group).max(axis=1),
                lows[:whole].reshape(-1, group).min(axis=1),
            )
        self._fill_spare(highs[whole:], lows[whole:])
        while self._held > 4 * self.columns:
            self._halve()

    def _fill_spare(self, highs: np.ndarray, lows: np.ndarray) -> None:
        if len(highs):
            self._spare_high = max(self._spare_high, float(highs.max()))
            self._spare_low = min(self._spare_low, float(lows.min()))
            self._spare_chunks += len(highs)

    def _emit(self, highs: np.ndarray, lows: np.ndarray) -> None:
        self._highs.append(highs)
        self._lows.append(lows)
        self._held += len(highs)

    def _halve(self) -> None:
        highs, lows = np.concatenate(self._highs), np.concatenate(self._lows)
        if len(highs) % 2:
            # The odd last bin is half a bin at the new resolution: it joins the spare.
            self._spare_high = max(self._spare_high, float(highs[-1]))
            self._spare_low = min(self._spare_low, float(lows[-1]))
            self._spare_chunks += self._chunks_per_bin
            highs, lows = highs[:-1], lows[:-1]
        self._highs = [highs.reshape(-1, 2).max(axis=1)]
        self._lows = [lows.reshape(-1, 2).min(axis=1)]
        self._held = len(self._highs[0])
        self._chunks_per_bin *= 2

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """Up to `columns` (min, max) pairs, spread evenly over the whole file."""
        highs = np.concatenate([*self._highs, np.zeros(0)])
        lows = np.concatenate([*self._lows, np.zeros(0)])
        if self._spare_chunks:
            highs = np.append(highs, self._spare_high)
            lows = np.append(lows, self._spare_low)
        if len(highs) > self.columns:
            edges = np.linspace(0, len(highs), self.columns + 1).astype(int)[:-1]
            highs = np.maximum.reduceat(highs, edges)
            lows = np.minimum.reduceat(lows, edges)
        return lows.astype(np.float32), highs.astype(np.float32)


def render_png(
    mins: np.ndarray | list[float] | tuple[float, ...],
    maxs: np.ndarray | list[float] | tuple[float, ...],
    *,
    width: int = PNG_WIDTH,
    height: int = PNG_HEIGHT,
) -> bytes:
    """Draw min/max columns as a PNG (transparent background); works from stored peaks too."""
    lows = np.clip(np.asarray(mins, dtype=np.float64), -1.0, 1.0)
    highs = np.clip(np.asarray(maxs, dtype=np.float64), -1.0, 1.0)
    # The pixels at once (a vertical line per column, ends included, over the axis), as
    # ImageDraw would draw them one line at a time, twenty times slower.
    pixels = np.empty((height, width, 4), dtype=np.uint8)
    pixels[:] = _BACKGROUND
    middle = (height - 1) / 2.0
    pixels[round(middle)] = _AXIS
    if len(highs):
        columns = np.minimum((np.arange(width) * len(highs)) // width, len(highs) - 1)
        # np.round rounds halves to even, as round() does.
        top = np.round(middle - highs[columns] * middle)
        bottom = np.round(middle - lows[columns] * middle)
        rows = np.arange(height)[:, None]
        inked = (rows >= np.minimum(top, bottom)) & (rows <= np.maximum(top, bottom))
        pixels[inked] = _INK
    image = Image.fromarray(pixels, "RGBA")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
