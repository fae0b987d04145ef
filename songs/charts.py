"""Geometry for every SVG chart the pages draw: loudness over time, loudness across
versions, and balance placements. Pure arithmetic (no Django): the builders map values onto
a fixed viewBox with one `Scale`, and the templates only draw what they are given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from songs.analysis.units import clock
from stages.balance import BALANCE_MAX, BALANCE_MIN, BALANCE_VALUES, signed

T = TypeVar("T")


@dataclass(frozen=True)
class Scale:
    """A linear map from values `lo`..`hi` onto coordinates `start`..`end`, clamped at the
    ends, rounded to a tenth of a unit (plenty for a viewBox)."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        low, high = min(self.lo, self.hi), max(self.lo, self.hi)
        clamped = min(max(value, low), high)
        fraction = (clamped - self.lo) / (self.hi - self.lo) if self.hi != self.lo else 0.0
        return round(self.start + fraction * (self.end - self.start), 1)


def level_ticks(scale: Scale, step: float) -> list[tuple[float, str]]:
    """Gridlines at every `step` between the scale's ends, with their labels."""
    first = math.ceil(min(scale.lo, scale.hi) / step) * step
    ticks, value = [], first
    while value <= max(scale.lo, scale.hi) + 1e-9:
        ticks.append((scale(value), f"{value:g}"))
        value += step
    return ticks


@dataclass(frozen=True)
class TimeTick:
    x: float
    label: str
    anchor: str
    """SVG text-anchor: labels at the ends sit inside the chart rather than cut off."""


LABEL_HALF_WIDTH = 16
"""About half the width of a m:ss label at the charts' font size, in viewBox units."""


def time_ticks(total_s: float, scale: Scale, *, most: int = 8) -> list[TimeTick]:
    """Time labels at a round step that gives at most `most` of them."""
    step = next(
        (s for s in (5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800) if total_s / s <= most), 3600
    )
    ticks = []
    for t in range(0, int(total_s) + 1, step):
        x = scale(float(t))
        anchor = "middle"
        if x + LABEL_HALF_WIDTH > scale.end:
            anchor = "end"
        elif x - LABEL_HALF_WIDTH < scale.start:
            anchor = "start"
        ticks.append(TimeTick(x, clock(t), anchor))
    return ticks


# --- Loudness over time (the bounce page) ---------------------------------------------------

LOUDNESS_WIDTH = 960
LOUDNESS_HEIGHT = 220
LOUDNESS_LEFT = 44
LOUDNESS_RIGHT = 8
LOUDNESS_TOP = 8
LOUDNESS_BOTTOM = 22
LOUDNESS_FLOOR_LUFS = -40.0
LOUDNESS_CEILING_LUFS = 0.0
SHORT_TERM_WINDOW_S = 3.0
"""The first short-term value covers the first three seconds."""


@dataclass(frozen=True)
class LoudnessChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    points: str
    target_y: float | None
    target_label: str
    ticks: list[tuple[float, str]]
    time_ticks: list[TimeTick]


def loudness_over_time(
    short_term_lufs: Sequence[float | None], *, step_s: float, target_lufs: float | None
) -> LoudnessChart | None:
    """Short-term loudness as SVG polyline points, with the target as a line."""
    measured = [value for value in short_term_lufs if value is not None]
    if not measured:
        return None
    right = LOUDNESS_WIDTH - LOUDNESS_RIGHT
    bottom = LOUDNESS_HEIGHT - LOUDNESS_BOTTOM
    # The axis reaches above 0 LUFS when the bounce does (a +2.1 LUFS file is not drawn on
    # the 0 line), in steps of the gridlines.
    loudest = max([*measured, target_lufs if target_lufs is not None else LOUDNESS_FLOOR_LUFS])
    ceiling = max(LOUDNESS_CEILING_LUFS, math.ceil(loudest / 10) * 10.0)
    y = Scale(ceiling, LOUDNESS_FLOOR_LUFS, LOUDNESS_TOP, bottom)
    total_s = SHORT_TERM_WINDOW_S + step_s * max(len(short_term_lufs) - 1, 1)
    x = Scale(0.0, total_s, LOUDNESS_LEFT, right)
    points = " ".join(
        f"{x(SHORT_TERM_WINDOW_S + index * step_s)},{y(value)}"
        for index, value in enumerate(short_term_lufs)
        if value is not None
    )
    return LoudnessChart(
        width=LOUDNESS_WIDTH,
        height=LOUDNESS_HEIGHT,
        plot_left=LOUDNESS_LEFT,
        plot_right=right,
        plot_bottom=bottom,
        points=points,
        target_y=y(target_lufs) if target_lufs is not None else None,
        target_label=f"target {target_lufs:g} LUFS" if target_lufs is not None else "",
        ticks=level_ticks(y, 10),
        time_ticks=time_ticks(total_s, x),
    )


# --- Loudness across versions (the dossier) -------------------------------------------------

HISTORY_WIDTH = 720
HISTORY_HEIGHT = 240
HISTORY_LEFT = 48
HISTORY_RIGHT = 16
HISTORY_TOP = 14
HISTORY_BOTTOM = 40
HISTORY_FLOOR_LUFS = -36.0
HISTORY_CEILING_LUFS = 0.0


@dataclass(frozen=True)
class HistoryPoint(Generic[T]):
    item: T
    x: float
    y: float | None


@dataclass(frozen=True)
class HistoryChart(Generic[T]):
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    points: list[HistoryPoint[T]]
    line: str
    ticks: list[tuple[float, str]]
    target_y: float | None
    target_label: str


def loudness_history(
    items: Sequence[T], *, lufs_of: Callable[[T], float | None], target_lufs: float | None
) -> HistoryChart[T]:
    """The integrated loudness of each item (a version), left to right in the given order."""
    right = HISTORY_WIDTH - HISTORY_RIGHT
    bottom = HISTORY_HEIGHT - HISTORY_BOTTOM
    y = Scale(HISTORY_CEILING_LUFS, HISTORY_FLOOR_LUFS, HISTORY_TOP, bottom)
    step = (right - HISTORY_LEFT) / max(len(items), 1)
    points = []
    for index, item in enumerate(items):
        lufs = lufs_of(item)
        points.append(
            HistoryPoint(
                item=item,
                x=round(HISTORY_LEFT + step * (index + 0.5), 1),
                y=y(lufs) if lufs is not None else None,
            )
        )
    return HistoryChart(
        width=HISTORY_WIDTH,
        height=HISTORY_HEIGHT,
        plot_left=HISTORY_LEFT,
        plot_right=right,
        plot_bottom=bottom,
        points=points,
        line=" ".join(f"{p.x},{p.y}" for p in points if p.y is not None),
        ticks=level_ticks(y, 6),
        target_y=y(target_lufs) if target_lufs is not None else None,
        target_label=f"target {target_lufs:g} LUFS" if target_lufs is not None else "",
    )


# --- Balance placements (the dossier and the tendencies page) -------------------------------


def balance_scale(start: float, end: float) -> Scale:
    """The balance point's scale (left pole to right pole) across `start`..`end`."""
    return Scale(BALANCE_MIN, BALANCE_MAX, start, end)


def balance_ticks(scale: Scale) -> list[tuple[float, str]]:
    return [(scale(value), signed(value)) for value in BALANCE_VALUES]


@dataclass(frozen=True)
class BalanceMark:
    x: float
    value: int
    round: int


@dataclass(frozen=True)
class BalanceRow(Generic[T]):
    item: T
    y: int
    self_x: float | None
    coach: list[BalanceMark]


@dataclass(frozen=True)
class BalanceChart(Generic[T]):
    width: int
    height: int
    scale_left: int
    scale_right: int
    centre: float
    rows: list[BalanceRow[T]]


BALANCE_WIDTH = 720
BALANCE_ROW = 34
BALANCE_TOP = 26
BALANCE_SCALE_LEFT = 300
BALANCE_SCALE_RIGHT = 560


def balance_chart(
    rows: Sequence[tuple[T, int | None, Sequence[tuple[int, int]]]],
) -> BalanceChart[T]:
    """One row per item (a stage): the student's place and the coach's in each round.

    Each row is (item, self placement or None, [(round, coach placement), ...]).
    """
    x = balance_scale(BALANCE_SCALE_LEFT, BALANCE_SCALE_RIGHT)
    laid_out = [
        BalanceRow(
            item=item,
            y=BALANCE_TOP + index * BALANCE_ROW,
            self_x=x(own) if own is not None else None,
            coach=[BalanceMark(x(value), value, round_) for round_, value in coach],
        )
        for index, (item, own, coach) in enumerate(rows)
    ]
    return BalanceChart(
        width=BALANCE_WIDTH,
        height=BALANCE_TOP + len(laid_out) * BALANCE_ROW,
        scale_left=BALANCE_SCALE_LEFT,
        scale_right=BALANCE_SCALE_RIGHT,
        centre=x(0),
        rows=laid_out,
    )
