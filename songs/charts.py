"""Geometry for every SVG chart the pages draw: loudness over time, loudness across
versions, and balance placements. Pure arithmetic (no Django): the builders map values onto
a fixed viewBox with one `Scale`, and the templates only draw what they are given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from songs.analysis.music import StereoWidth
from songs.analysis.spectrum import BAND_CENTRES_HZ
from songs.analysis.tonal import BandProfile, relative_levels
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
    overlay_points: str = ""
    """Another bounce's curve on the same axes (the compare page's second version)."""
    overlay_label: str = ""


@dataclass(frozen=True)
class LoudnessCurve:
    """Short-term loudness every `step_s` seconds, the first over the first three."""

    short_term_lufs: Sequence[float | None]
    step_s: float

    @property
    def seconds(self) -> float:
        return SHORT_TERM_WINDOW_S + self.step_s * max(len(self.short_term_lufs) - 1, 1)


def loudness_over_time(
    short_term_lufs: Sequence[float | None],
    *,
    step_s: float,
    target_lufs: float | None,
    overlay: LoudnessCurve | None = None,
    overlay_label: str = "",
) -> LoudnessChart | None:
    """Short-term loudness as SVG polyline points, with the target as a line, and with
    `overlay` (another bounce's curve) drawn on the same axes: the time axis as long as the
    longer of the two. None when the bounce has no measured value."""
    curve = LoudnessCurve(short_term_lufs, step_s)
    measured = [value for value in short_term_lufs if value is not None]
    if not measured:
        return None
    if overlay is not None and not any(value is not None for value in overlay.short_term_lufs):
        overlay = None
    drawn = measured + [v for v in (overlay.short_term_lufs if overlay else ()) if v is not None]
    right = LOUDNESS_WIDTH - LOUDNESS_RIGHT
    bottom = LOUDNESS_HEIGHT - LOUDNESS_BOTTOM
    # The axis reaches above 0 LUFS when the bounce does (a +2.1 LUFS file is not drawn on
    # the 0 line), in steps of the gridlines.
    loudest = max([*drawn, target_lufs if target_lufs is not None else LOUDNESS_FLOOR_LUFS])
    ceiling = max(LOUDNESS_CEILING_LUFS, math.ceil(loudest / 10) * 10.0)
    y = Scale(ceiling, LOUDNESS_FLOOR_LUFS, LOUDNESS_TOP, bottom)
    total_s = max(curve.seconds, overlay.seconds if overlay else 0.0)
    x = Scale(0.0, total_s, LOUDNESS_LEFT, right)

    def polyline(line: LoudnessCurve) -> str:
        return " ".join(
            f"{x(SHORT_TERM_WINDOW_S + index * line.step_s)},{y(value)}"
            for index, value in enumerate(line.short_term_lufs)
            if value is not None
        )

    return LoudnessChart(
        width=LOUDNESS_WIDTH,
        height=LOUDNESS_HEIGHT,
        plot_left=LOUDNESS_LEFT,
        plot_right=right,
        plot_bottom=bottom,
        points=polyline(curve),
        target_y=y(target_lufs) if target_lufs is not None else None,
        target_label=f"target {target_lufs:g} LUFS" if target_lufs is not None else "",
        ticks=level_ticks(y, 10),
        time_ticks=time_ticks(total_s, x),
        overlay_points=polyline(overlay) if overlay else "",
        overlay_label=overlay_label if overlay else "",
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
    label_rise: int
    """How far above its row's line an item's name sits: 0 beside it (the wide layout),
    above it in the narrow one."""


@dataclass(frozen=True)
class BalanceLayout:
    width: int
    row: int
    top: int
    scale_left: int
    scale_right: int
    label_rise: int


BALANCE_WIDE = BalanceLayout(
    width=720, row=34, top=26, scale_left=300, scale_right=560, label_rise=0
)
"""The stage's name, its left pole, the scale and its right pole side by side."""
BALANCE_NARROW = BalanceLayout(
    width=360, row=54, top=44, scale_left=120, scale_right=240, label_rise=22
)
"""For a phone: the name above the poles and the scale, so the 360 units keep the text
near its size on a 320-400 px screen (the wide layout's would be a third of it)."""


def balance_chart(
    rows: Sequence[tuple[T, int | None, Sequence[tuple[int, int]]]],
    layout: BalanceLayout = BALANCE_WIDE,
) -> BalanceChart[T]:
    """One row per item (a stage): the student's place and the coach's in each round.

    Each row is (item, self placement or None, [(round, coach placement), ...]).
    """
    x = balance_scale(layout.scale_left, layout.scale_right)
    laid_out = [
        BalanceRow(
            item=item,
            y=layout.top + index * layout.row,
            self_x=x(own) if own is not None else None,
            coach=[BalanceMark(x(value), value, round_) for round_, value in coach],
        )
        for index, (item, own, coach) in enumerate(rows)
    ]
    return BalanceChart(
        width=layout.width,
        height=layout.top + len(laid_out) * layout.row,
        scale_left=layout.scale_left,
        scale_right=layout.scale_right,
        centre=x(0),
        rows=laid_out,
        label_rise=layout.label_rise,
    )


# --- Tonal balance and stereo width (the bounce page, compare) ------------------------------

TONAL_WIDTH = 720
TONAL_HEIGHT = 260
TONAL_LEFT = 44
TONAL_RIGHT = 36
"""Room after the last band for the "Hz" unit."""
TONAL_TOP = 28
"""Room above the top gridline for the "dB" unit."""
TONAL_BOTTOM = 26
TONAL_STEP_DB = 6.0
TONAL_MIN_DB = 12.0
"""The y axis reaches at least this far either side of 0 dB, so a flat mix is not blown
up into a dramatic-looking curve."""
TONAL_WIDE_SPAN_DB = 48.0
"""Beyond this span the gridlines go to 12 dB steps (fewer than ten lines)."""
HALF_BAND_DECADES = 0.05
"""Half a one-third-octave band on the log axis (bands are a tenth of a decade apart), so
the first and last bands sit inside the plot, not on its edge."""
FREQUENCY_LABELS_HZ: tuple[tuple[float, str], ...] = (
    (100.0, "100"),
    (200.0, "200"),
    (500.0, "500"),
    (1000.0, "1k"),
    (2000.0, "2k"),
    (5000.0, "5k"),
    (10000.0, "10k"),
)
PREFERRED_NUMBERS = (1.0, 1.25, 1.6, 2.0, 2.5, 3.15, 4.0, 5.0, 6.3, 8.0, 10.0)
"""ISO 266 names of the one-third-octave bands (1.26 kHz is written 1.25 kHz)."""


def frequency_scale(start: float, end: float) -> Scale:
    """log10 of a frequency (Hz) onto `start`..`end`, 100 Hz to 10 kHz with half a band
    to spare at each end."""
    return Scale(
        math.log10(BAND_CENTRES_HZ[0]) - HALF_BAND_DECADES,
        math.log10(BAND_CENTRES_HZ[-1]) + HALF_BAND_DECADES,
        start,
        end,
    )


def band_name(centre_hz: float) -> str:
    """A band's nominal name as printed on equalisers: "125 Hz", "1.25 kHz", "10 kHz"."""
    decade = 10.0 ** math.floor(math.log10(centre_hz) + 1e-9)
    nominal = decade * min(PREFERRED_NUMBERS, key=lambda n: abs(n - centre_hz / decade))
    if nominal >= 1000:
        return f"{nominal / 1000:g} kHz"
    return f"{nominal:g} Hz"


def db_text(value: float | None) -> str:
    """A relative level as people write it: "+3.2 dB", "-1.0 dB", "0.0 dB"; "–" unmeasured."""
    if value is None:
        return "–"
    rounded = round(value, 1)
    return f"{rounded:+.1f} dB" if rounded else "0.0 dB"


@dataclass(frozen=True)
class FrequencyTick:
    x: float
    label: str


@dataclass(frozen=True)
class TonalBand:
    """One band's row of the chart's table: the values drawn, rounded for reading."""

    name: str
    centre_hz: float
    x: float
    mix_db: float | None
    profile_db: float | None
    spread_db: float | None
    overlay_db: float | None
    mix_text: str
    profile_text: str
    overlay_text: str


@dataclass(frozen=True)
class TonalBalanceChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    top_db: float
    bottom_db: float
    ticks: list[tuple[float, str]]
    """(y, label) of the level gridlines."""
    zero_y: float
    """The mix's mean level, drawn a little stronger than the other gridlines."""
    frequency_ticks: list[FrequencyTick]
    bands: list[TonalBand]
    mix_lines: list[str]
    """Polyline points, one string per run of measured bands: an unmeasured band breaks
    the line rather than being drawn as a level it does not have."""
    mix_dots: list[tuple[float, float]]
    """(x, y) of bands measured alone between two gaps, which no line can show."""
    profile_name: str
    """Empty without a profile."""
    profile_area: str
    """Polygon points: levels + spread left to right, then levels - spread back."""
    profile_line: str
    overlay_label: str
    """Empty without an overlay."""
    overlay_lines: list[str]
    overlay_dots: list[tuple[float, float]]
    title: str
    description: str


def _runs(
    values: Sequence[float | None], xs: Sequence[float], y: Scale
) -> tuple[list[str], list[tuple[float, float]]]:
    """Polyline point strings for each unbroken run of values, and the lone points."""
    lines: list[str] = []
    dots: list[tuple[float, float]] = []
    run: list[tuple[float, float]] = []
    for value, x in [*zip(values, xs, strict=True), (None, 0.0)]:
        if value is not None:
            run.append((x, y(value)))
            continue
        if len(run) > 1:
            lines.append(" ".join(f"{px},{py}" for px, py in run))
        elif run:
            dots.append(run[0])
        run = []
    return lines, dots


def _db_range(values: Sequence[float]) -> tuple[float, float, float]:
    """(top, bottom, gridline step) fitting `values`: at least +-TONAL_MIN_DB, out to the
    next gridline beyond the data."""
    step = TONAL_STEP_DB
    for _ in range(2):
        top = max(TONAL_MIN_DB, math.ceil(max(values, default=0.0) / step - 1e-9) * step)
        bottom = min(-TONAL_MIN_DB, math.floor(min(values, default=0.0) / step + 1e-9) * step)
        if top - bottom <= TONAL_WIDE_SPAN_DB:
            break
        step = 2 * TONAL_STEP_DB
    return top, bottom, step


def _checked(levels: Sequence[float | None], what: str) -> tuple[float | None, ...]:
    if len(levels) != len(BAND_CENTRES_HZ):
        raise ValueError(f"{what} has {len(levels)} band levels, not {len(BAND_CENTRES_HZ)}")
    return relative_levels(levels)


def tonal_balance(
    levels: Sequence[float | None],
    *,
    profile: BandProfile | None = None,
    overlay: Sequence[float | None] | None = None,
    overlay_label: str = "",
) -> TonalBalanceChart | None:
    """The shape of a mix's spectrum: its one-third-octave band levels
    (MusicReport.band_levels_db) relative to their own mean, on a log-frequency axis.

    `profile` draws a typical shape as a band one spread either side of its levels;
    `overlay` (another report's band_levels_db, e.g. a reference track's) a second line,
    made relative the same way. None when no band of the mix was measured (an older report
    has no band levels at all); ValueError for levels that are not one per band.
    """
    if not any(level is not None for level in levels):
        return None
    mix = _checked(levels, "the mix")
    other = _checked(overlay, "the overlay") if overlay else None
    if other is not None and not any(value is not None for value in other):
        other = None
    right = TONAL_WIDTH - TONAL_RIGHT
    bottom = TONAL_HEIGHT - TONAL_BOTTOM
    drawn = [value for value in (*mix, *(other or ())) if value is not None]
    if profile is not None:
        drawn += [lv + sp for lv, sp in zip(profile.levels_db, profile.spread_db, strict=True)]
        drawn += [lv - sp for lv, sp in zip(profile.levels_db, profile.spread_db, strict=True)]
    top_db, bottom_db, step = _db_range(drawn)
    y = Scale(top_db, bottom_db, TONAL_TOP, bottom)
    x = frequency_scale(TONAL_LEFT, right)
    xs = [x(math.log10(centre)) for centre in BAND_CENTRES_HZ]

    bands = []
    for index, centre in enumerate(BAND_CENTRES_HZ):
        level = profile.levels_db[index] if profile else None
        spread = profile.spread_db[index] if profile else None
        overlay_db = other[index] if other else None
        bands.append(
            TonalBand(
                name=band_name(centre),
                centre_hz=centre,
                x=xs[index],
                mix_db=mix[index],
                profile_db=level,
                spread_db=spread,
                overlay_db=overlay_db,
                mix_text=db_text(mix[index]),
                profile_text=""
                if level is None or spread is None
                else f"{db_text(level)} ± {spread:.1f}",
                overlay_text=db_text(overlay_db) if other else "",
            )
        )
    mix_lines, mix_dots = _runs(mix, xs, y)
    overlay_lines, overlay_dots = _runs(other, xs, y) if other else ([], [])
    area = line = ""
    if profile is not None:
        pairs = list(zip(xs, profile.levels_db, profile.spread_db, strict=True))
        area = " ".join(
            [f"{px},{y(lv + sp)}" for px, lv, sp in pairs]
            + [f"{px},{y(lv - sp)}" for px, lv, sp in reversed(pairs)]
        )
        line = " ".join(f"{px},{y(lv)}" for px, lv, _ in pairs)
    return TonalBalanceChart(
        width=TONAL_WIDTH,
        height=TONAL_HEIGHT,
        plot_left=TONAL_LEFT,
        plot_right=right,
        plot_top=TONAL_TOP,
        plot_bottom=bottom,
        top_db=top_db,
        bottom_db=bottom_db,
        ticks=[(ty, _signed_label(label)) for ty, label in level_ticks(y, step)],
        zero_y=y(0.0),
        frequency_ticks=[
            FrequencyTick(x(math.log10(hz)), label) for hz, label in FREQUENCY_LABELS_HZ
        ],
        bands=bands,
        mix_lines=mix_lines,
        mix_dots=mix_dots,
        profile_name=profile.name if profile else "",
        profile_area=area,
        profile_line=line,
        overlay_label=(overlay_label or "the overlay") if other else "",
        overlay_lines=overlay_lines,
        overlay_dots=overlay_dots,
        title=_tonal_title(profile, overlay_label if other else None),
        description=_tonal_description(bands, profile, overlay_label if other else None),
    )


def _signed_label(label: str) -> str:
    value = float(label)
    return f"+{label}" if value > 0 else label


def _tonal_title(profile: BandProfile | None, overlay_label: str | None) -> str:
    title = "Tonal balance of the mix, one-third-octave bands from 100 Hz to 10 kHz"
    if profile is not None:
        title += f", against the {profile.name} profile"
    if overlay_label is not None:
        title += f", with {overlay_label or 'the overlay'}"
    return title


def _tonal_description(
    bands: Sequence[TonalBand], profile: BandProfile | None, overlay_label: str | None
) -> str:
    measured = [band for band in bands if band.mix_db is not None]
    loudest = max(measured, key=lambda band: band.mix_db or 0.0)
    quietest = min(measured, key=lambda band: band.mix_db or 0.0)
    sentences = [
        "Each band's level relative to the mix's mean level, in dB.",
        f"The mix is strongest at {loudest.name} ({loudest.mix_text}) and weakest at "
        f"{quietest.name} ({quietest.mix_text}).",
    ]
    if len(measured) < len(bands):
        gaps = len(bands) - len(measured)
        sentences.append(
            f"{gaps} band{'s have' if gaps > 1 else ' has'} no level: the line breaks there."
        )
    if profile is not None:
        outside = sum(
            1
            for band in measured
            if band.mix_db is not None
            and band.profile_db is not None
            and band.spread_db is not None
            and abs(band.mix_db - band.profile_db) > band.spread_db
        )
        sentences.append(
            f"The shaded band is the {profile.name} profile, one spread either side of its "
            f"typical level; {outside} of the mix's {len(measured)} measured bands lie outside it."
        )
    if overlay_label is not None:
        sentences.append(
            f"The dashed line is {overlay_label or 'the overlay'}, relative to its own mean."
        )
    return " ".join(sentences)


WIDTH_WIDTH = 480
WIDTH_HEIGHT = 230
WIDTH_LEFT = 40
WIDTH_RIGHT = 12
WIDTH_TOP = 24
"""Room above the top gridline for a full bar's value label."""
WIDTH_BOTTOM = 42
"""Room for the band names and their ranges."""
WIDTH_MAX_RATIO = 1.5
"""The top of the scale: wider is drawn at the top, marked, its value still printed."""
WIDTH_STEP = 0.5
WIDTH_BAR = 56
WIDTH_PAIR_BAR = 36
WIDTH_PAIR_GAP = 6
WIDTH_BANDS: tuple[tuple[str, str, str], ...] = (
    ("low", "Low", "below 150 Hz"),
    ("mid", "Mid", "150 Hz to 5 kHz"),
    ("high", "High", "above 5 kHz"),
)


@dataclass(frozen=True)
class WidthBar:
    x: float
    """Left edge."""
    y: float
    """Top edge (the baseline when there is no value)."""
    width: float
    height: float
    value: float | None
    clamped: bool
    """Wider than the scale: drawn to its top, with `marker` on it."""
    marker: str
    """Polygon points of the clamp mark (a small arrowhead above the bar), or empty."""
    label: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class WidthBand:
    key: str
    name: str
    range_label: str
    x: float
    """The centre of the band's bars."""
    mix: WidthBar
    overlay: WidthBar | None
    mix_text: str
    overlay_text: str


@dataclass(frozen=True)
class StereoWidthChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    ticks: list[tuple[float, str]]
    unrelated_y: float
    """The ratio 1: channels as unrelated as two different signals of equal level."""
    bands: list[WidthBand]
    overlay_label: str
    any_clamped: bool
    low_end_correlation: float | None
    correlation_text: str
    """E.g. "+0.92"; empty when there is no figure."""
    title: str
    description: str


def ratio_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _width_bar(value: float | None, left: float, width: float, y: Scale) -> WidthBar:
    baseline = y(0.0)
    top = baseline if value is None else y(value)
    clamped = value is not None and value > WIDTH_MAX_RATIO
    centre = round(left + width / 2, 1)
    marker = ""
    if clamped:
        tip = y(WIDTH_MAX_RATIO) - 9
        marker = f"{centre - 6},{tip + 7} {centre},{tip} {centre + 6},{tip + 7}"
    return WidthBar(
        x=round(left, 1),
        y=top,
        width=width,
        height=round(baseline - top, 1),
        value=value,
        clamped=clamped,
        marker=marker,
        label=ratio_text(value),
        label_x=centre,
        label_y=round(top - (13 if clamped else 5), 1),
    )


def stereo_width(
    width: StereoWidth | None,
    *,
    low_end_correlation: float | None = None,
    overlay: StereoWidth | None = None,
    overlay_label: str = "",
) -> StereoWidthChart | None:
    """Side-to-mid ratio of the low, mid and high bands as bars on 0..WIDTH_MAX_RATIO, with
    `overlay` (e.g. a reference track's) as a second bar per band. None for a mono file:
    there is no width to draw."""
    if width is None:
        return None
    right = WIDTH_WIDTH - WIDTH_RIGHT
    bottom = WIDTH_HEIGHT - WIDTH_BOTTOM
    y = Scale(WIDTH_MAX_RATIO, 0.0, WIDTH_TOP, bottom)
    slot = (right - WIDTH_LEFT) / len(WIDTH_BANDS)
    bands = []
    for index, (key, name, range_label) in enumerate(WIDTH_BANDS):
        centre = WIDTH_LEFT + slot * (index + 0.5)
        mine: float | None = getattr(width, key)
        theirs: float | None = getattr(overlay, key) if overlay is not None else None
        if overlay is None:
            mix_bar = _width_bar(mine, centre - WIDTH_BAR / 2, WIDTH_BAR, y)
            overlay_bar = None
        else:
            mix_bar = _width_bar(
                mine, centre - WIDTH_PAIR_GAP / 2 - WIDTH_PAIR_BAR, WIDTH_PAIR_BAR, y
            )
            overlay_bar = _width_bar(theirs, centre + WIDTH_PAIR_GAP / 2, WIDTH_PAIR_BAR, y)
        bands.append(
            WidthBand(
                key=key,
                name=name,
                range_label=range_label,
                x=round(centre, 1),
                mix=mix_bar,
                overlay=overlay_bar,
                mix_text=ratio_text(mine),
                overlay_text=ratio_text(theirs) if overlay is not None else "",
            )
        )
    label = (overlay_label or "the overlay") if overlay is not None else ""
    correlation = "" if low_end_correlation is None else f"{low_end_correlation:+.2f}"
    clamped = any(bar.clamped for band in bands for bar in (band.mix, band.overlay) if bar)
    return StereoWidthChart(
        width=WIDTH_WIDTH,
        height=WIDTH_HEIGHT,
        plot_left=WIDTH_LEFT,
        plot_right=right,
        plot_top=WIDTH_TOP,
        plot_bottom=bottom,
        ticks=level_ticks(y, WIDTH_STEP),
        unrelated_y=y(1.0),
        bands=bands,
        overlay_label=label,
        any_clamped=clamped,
        low_end_correlation=low_end_correlation,
        correlation_text=correlation,
        title="Stereo width by band: side-to-mid energy ratio"
        + (f", against {label}" if label else ""),
        description=_width_description(bands, label, correlation, clamped),
    )


def _width_description(
    bands: Sequence[WidthBand], overlay_label: str, correlation: str, clamped: bool
) -> str:
    values = ", ".join(f"{band.name.lower()} {band.mix_text}" for band in bands)
    sentences = [
        f"Side-to-mid ratio of the mix: {values} (0 is mono, 1 as wide as two unrelated channels)."
    ]
    if overlay_label:
        theirs = ", ".join(f"{band.name.lower()} {band.overlay_text}" for band in bands)
        sentences.append(f"{overlay_label[0].upper()}{overlay_label[1:]}: {theirs}.")
    if clamped:
        sentences.append(f"Bars marked with an arrow go beyond the scale's {WIDTH_MAX_RATIO:g}.")
    if correlation:
        sentences.append(f"Low-end correlation below 150 Hz: {correlation}.")
    return " ".join(sentences)
