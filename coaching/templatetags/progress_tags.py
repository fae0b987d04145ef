"""The progress matrix's cells, rendered in Python: a 300-student cohort has 2,100 of them,
and the template language is several times slower at that than format_html."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
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


def _cell(cell: Cell) -> SafeString:
    if not cell.url:
        return format_html('<td class="cell state-{}"></td>', cell.state)
    due = f", due {cell.due_on.day} {cell.due_on:%b}" if cell.due_on else ""
    return format_html(
        '<td class="cell state-{}"><a href="{}" title="{}: {}{}">{}</a></td>',
        cell.state,
        cell.url,
        cell.stage.name,
        LABELS[cell.state],
        due,
        cell.state[:1].upper(),
    )


@register.simple_tag
def matrix_cells(row: Row) -> SafeString:
    # Each piece is escaped by format_html, so the joined whole is safe.
    return mark_safe("".join(_cell(cell) for cell in row.cells))  # noqa: S308
