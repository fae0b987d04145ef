"""The progress matrix's rows, rendered in Python: a page of 50 students has 350 cells or
more, and the template language (or format_html) is several times slower at that. And
analytics' table of stages, likewise (`{% stage_figure_rows figures.stages %}`)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from coaching.dates import day_month
from coaching.links import url_maker
from coaching.progress import Cell, Matrix, Row, StageFigures

register = template.Library()

LABELS = {
    "not_started": "not started",
    "in_progress": "in progress",
    "submitted": "submitted",
    "changes_requested": "changes requested",
    "approved": "approved",
    "late": "late",
}


def _cell_parts(cell: Cell) -> tuple[str, str]:
    """The cell's HTML before and after its link's address (the same for every cell of a
    stage in a state)."""
    state = escape(cell.state)
    if not cell.url:
        return f'<td class="cell state-{state}"></td>', ""
    due = f", due {day_month(cell.due_on)}" if cell.due_on else ""
    title = escape(f"{cell.stage.name}: {LABELS.get(cell.state, cell.state)}{due}")
    return (
        f'<td class="cell state-{state}"><a href="',
        f'" title="{title}">{state[:1].upper()}</a></td>',
    )


def _cell(cell: Cell, parts: dict[tuple[int, str, bool], tuple[str, str]]) -> str:
    key = (cell.stage.pk, cell.state, bool(cell.url))
    if (known := parts.get(key)) is None:
        known = parts[key] = _cell_parts(cell)
    head, tail = known
    return f"{head}{escape(cell.url)}{tail}" if cell.url else head


def _row(
    row: Row,
    inactive_days: int,
    tendencies: Callable[[object], str],
    parts: dict[tuple[int, str, bool], tuple[str, str]],
) -> str:
    name = escape(row.student.display_name)
    if row.first_of_student:
        who = f'<a href="{tendencies(row.student.pk)}">{name}</a>'
        if row.inactive:
            who += (
                f' <span class="flag" title="No activity for {inactive_days} days or more">'
                "inactive</span>"
            )
    else:
        who = f'<span class="visually-hidden">{name}</span>'
    song = escape(row.song.title) if row.song else "no song yet"
    classes = " ".join(
        c
        for c in (
            "inactive" if row.inactive else "",
            "" if row.first_of_student else "same-student",
        )
        if c
    )
    return (
        f'<tr class="{classes}"><th scope="row">{who}<span class="song-name">{song}</span></th>'
        f"{''.join(_cell(cell, parts) for cell in row.cells)}</tr>\n"
    )


@register.simple_tag
def matrix_rows(matrix: Matrix) -> SafeString:
    """Every row of the page: the student (linked to their tendencies once), the song and
    its cells."""
    tendencies = url_maker("coaching:tendencies")
    parts: dict[tuple[int, str, bool], tuple[str, str]] = {}
    html = "".join(_row(row, matrix.inactive_days, tendencies, parts) for row in matrix.rows)
    return mark_safe(html)  # noqa: S308 - every value in it is escaped


@register.simple_tag
def stage_figure_rows(stages: list[StageFigures]) -> SafeString:
    """Analytics' rows of stages: approvals, median and slowest days, who is here now, how
    many of them are inactive, how often the stage was sent back."""

    def slowest(f: StageFigures) -> str:
        if f.slowest_days is None:
            return "—"
        return (
            f'{f.slowest_days} days <span class="muted small">({escape(f.slowest_student)})</span>'
        )

    return mark_safe(  # noqa: S308 - every text is escaped
        "".join(
            f"<tr><td>{f.stage.order}. {escape(f.stage.name)}</td><td>{f.approved}</td>"
            f"<td>{'—' if f.median_days is None else f'{f.median_days} days'}</td>"
            f"<td>{slowest(f)}</td>"
            f"<td>{f.here_now}</td><td>{f.inactive_here}</td><td>{f.changes_requested}</td></tr>"
            for f in stages
        )
    )
