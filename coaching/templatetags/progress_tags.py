"""The progress matrix's cells, rendered in Python: a 300-student cohort has 2,100 of them,
and the template language (or format_html) is several times slower at that."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from coaching.progress import Cell, Row

register = template.Library()

LABELS = {
    "not_started": "not started",
    "in_progress": "in progress",
    "submitted": "submitted",
    "changes_requested": "changes requested",
    "approved": "approved",
    "late": "late",
}


def _cell(cell: Cell) -> str:
    state = escape(cell.state)
    if not cell.url:
        return f'<td class="cell state-{state}"></td>'
    due = f", due {cell.due_on.day} {cell.due_on:%b}" if cell.due_on else ""
    title = escape(f"{cell.stage.name}: {LABELS.get(cell.state, cell.state)}{due}")
    return (
        f'<td class="cell state-{state}"><a href="{escape(cell.url)}" title="{title}">'
        f"{state[:1].upper()}</a></td>"
    )


@register.simple_tag
def matrix_cells(row: Row) -> SafeString:
    # Every value is escaped (with the standard library's escape: Django's lazy-aware one
    # cost more than the rest of the page), so the joined whole is safe.
    return mark_safe("".join(_cell(cell) for cell in row.cells))  # noqa: S308
