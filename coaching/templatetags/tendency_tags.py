"""A tendency chart's points and grid, rendered in Python: a student with many songs and
rounds has hundreds of points, and the template language spends most of the page on them
(and on formatting each grid line's numbers, seven charts of eleven lines)."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from coaching.tendencies import Point, StageTendency

register = template.Library()


def _or_dash(value: int | None) -> str:
    return "—" if value is None else str(value)


def _point(point: Point) -> str:
    when = f", round {point.round}" if point.round else ", not reviewed yet"
    label = f" · round {point.round}" if point.round else " · not reviewed yet"
    title = escape(
        f"{point.song}{when}: self {_or_dash(point.self_balance)}, "
        f"coach {_or_dash(point.coach_balance)}"
    )
    y = point.y
    gap = coach = own = ""
    if point.self_x is not None and point.coach_x is not None:
        gap = (
            f'<line class="gap" x1="{point.self_x}" x2="{point.coach_x}" y1="{y}" y2="{y}"></line>'
        )
    if point.coach_x is not None:
        coach = f'<circle class="coach" cx="{point.coach_x}" cy="{y}" r="6"></circle>'
    if point.self_x is not None:
        own = f'<circle class="self" cx="{point.self_x}" cy="{y}" r="6"></circle>'
    song = escape(point.label)
    return (
        f"\n          <g><title>{title}</title>\n            {gap}\n            {coach}"
        f"\n            {own}\n            "
        f'<text class="row-label" x="620" y="{y}" dominant-baseline="middle">{song}{label}'
        "</text>\n          </g>\n        "
    )


@register.simple_tag
def tendency_points(tendency: StageTendency) -> SafeString:
    """Every point of the chart: its title, the gap between the two placements, the two
    circles and the row's label."""
    html = "".join(_point(point) for point in tendency.points)
    return mark_safe(html)  # noqa: S308 - every value in it is escaped


@register.simple_tag
def tendency_grid(tendency: StageTendency) -> SafeString:
    """The chart's vertical grid: a line at each place of the scale, the centre marked."""
    height = tendency.height
    html = "".join(
        f'<line class="grid{" centre" if label == "0" else ""}" x1="{x}" x2="{x}" y1="22" '
        f'y2="{height}"></line>'
        for x, label in tendency.ticks
    )
    return mark_safe(html)  # noqa: S308 - numbers only
