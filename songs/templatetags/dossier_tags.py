"""The release dossier's tables and charts, written in Python: the journey through the
seven stages, the balance placements, the loudness across versions and the versions
table. Each is a few hundred values, and the template language's lookup, filters and
escaping per value were most of the page's time.

`{% journey_rows stages %}`, `{% balance_rows balance %}`, `{% history_marks chart %}`,
`{% version_rows versions master %}`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from coaching.dates import day_month_year
from songs import charts
from songs.models import AnalysisState, Bounce
from songs.release.dossier import StageJourney
from songs.templatetags.chart_tags import level_grid
from stages.balance import signed
from stages.models import StageRecord
from stages.templatetags.status import badge

register = template.Library()


def _day(moment: dt.datetime | None) -> str:
    """A moment as the day the reader's clock shows ("3 Dec 2026"), or a dash."""
    if moment is None:
        return "—"
    return day_month_year(moment)


def _one_decimal(value: float | None) -> str:
    """As `|floatformat:1|default:"—"` writes it."""
    return "—" if value is None else str(floatformat(value, 1))


@register.simple_tag
def journey_rows(stages: Sequence[StageJourney]) -> SafeString:
    """A row per stage: its name, status, the days it started, was submitted and was
    approved, its review rounds and how often it was reopened."""
    rows = []
    for step in stages:
        record = step.record
        stage = record.stage
        rows.append(
            f'<tr><th scope="row">{stage.order}. {escape(stage.name)}</th>'
            f"<td>{badge(record.status)}</td>"
            f"<td>{_day(record.started_at)}</td><td>{_day(record.submitted_at)}</td>"
            f"<td>{_day(record.approved_at)}</td>"
            f"<td>{record.round}</td><td>{record.reopened_count}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text in it is escaped


@register.simple_tag
def balance_rows(balance: charts.BalanceChart[StageRecord]) -> SafeString:
    """Each stage's row of the balance chart: its name and poles, the scale, the coach's
    place in every round and the student's own."""
    left, right = balance.scale_left, balance.scale_right
    rows = []
    for row in balance.rows:
        record, y = row.item, row.y
        stage = record.stage
        marks = "".join(
            f'<circle class="coach" cx="{mark.x}" cy="{y}" r="5">'
            f"<title>Coach, round {mark.round}: {signed(mark.value)}</title></circle>"
            for mark in row.coach
        )
        if record.self_balance is not None:  # placed by the student (row.self_x is where)
            marks += (
                f'<circle class="self" cx="{row.self_x}" cy="{y}" r="6">'
                f"<title>Student: {signed(record.self_balance)}</title></circle>"
            )
        rows.append(
            f'<text class="row-label" x="4" y="{y - balance.label_rise}" '
            'dominant-baseline="middle">'
            f"{escape(stage.name)}</text>"
            f'<text class="pole" x="{left - 10}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(stage.left_pole)}</text>'
            f'<line class="grid" x1="{left}" x2="{right}" y1="{y}" y2="{y}"></line>'
            f'<text class="pole" x="{right + 10}" y="{y}" dominant-baseline="middle">'
            f"{escape(stage.right_pole)}</text>{marks}"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text in it is escaped


@register.simple_tag
def history_marks(chart: charts.HistoryChart[Bounce]) -> SafeString:
    """The loudness chart's grid, target line, curve and a point and label per version."""
    left, right, bottom = chart.plot_left, chart.plot_right, chart.plot_bottom
    parts = [level_grid(chart.ticks, left, right)]
    if chart.target_y is not None:
        target = chart.target_y
        parts.append(
            f'<line class="target" x1="{left}" x2="{right}" y1="{target}" y2="{target}">'
            f'</line><text class="target-label" x="{right}" y="{target - 5}" '
            f'text-anchor="end">{escape(chart.target_label)}</text>'
        )
    parts.append(f'<polyline class="curve" points="{chart.line}"></polyline>')
    for point in chart.points:
        bounce = point.item
        stage = escape(bounce.record.stage.name)
        label = escape(bounce.label)
        if point.y is not None:
            parts.append(
                f'<circle class="point" cx="{point.x}" cy="{point.y}" r="4"><title>{stage} '
                f"{label}: {floatformat(bounce.integrated_lufs, 1)} LUFS</title></circle>"
            )
        short = escape(Truncator(bounce.record.stage.name).chars(10))
        parts.append(
            f'<text class="axis" x="{point.x}" y="{bottom + 16}" text-anchor="middle">'
            f"{label}</text>"
            f'<text class="axis stage-tick" x="{point.x}" y="{bottom + 30}" '
            f'text-anchor="middle">{short}</text>'
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - every text in it is escaped


@register.simple_tag
def version_rows(versions: Sequence[Bounce], master: Bounce | None) -> SafeString:
    """A row per version in upload order: its name, day and loudness figures, the
    master marked."""
    master_pk = master.pk if master is not None else None
    rows = []
    for bounce in versions:
        is_master = bounce.pk == master_pk
        name = f"{escape(bounce.record.stage.name)} {escape(bounce.label)}"
        if is_master:
            name += ' <span class="small">(master)</span>'
        if bounce.analysis_state == AnalysisState.DONE:
            figures = (
                f"<td>{_one_decimal(bounce.integrated_lufs)} LUFS</td>"
                f"<td>{_one_decimal(bounce.true_peak_dbtp)} dBTP</td>"
                f"<td>{_one_decimal(bounce.loudness_range_lu)} LU</td>"
            )
        else:
            figures = (
                f'<td colspan="3" class="muted">{escape(bounce.get_analysis_state_display())}</td>'
            )
        opening = '<tr class="is-master">' if is_master else "<tr>"
        rows.append(
            f'{opening}<th scope="row">{name}</th><td>{_day(bounce.created_at)}</td>{figures}</tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text in it is escaped
