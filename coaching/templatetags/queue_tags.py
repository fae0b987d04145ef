"""The review queue's rows, rendered in Python: fifty rows of eight cells each, with a
"time waiting" and a due date, cost the template language most of the page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from django import template
from django.template.defaultfilters import date, timesince_filter
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from coaching.services import QueueRow

register = template.Library()


def _due(row: QueueRow) -> str:
    if not row.due_on:
        return '<span class="muted">No date</span>'
    flag = '<span class="flag">Late</span> was due' if row.late else ""
    return f"{flag} {escape(date(row.due_on, 'j M Y'))}"


@register.simple_tag
def queue_rows(rows: Iterable[QueueRow], now: datetime, query_string: str) -> SafeString:
    """Every row of the page: how long it has waited, whose, which song and stage, the
    round, the due date, the cohort and its review link (keeping the queue's filters)."""
    head, tail = reverse("coaching:review", args=[999999999]).split("999999999")
    suffix = escape(query_string)
    html = []
    for row in rows:
        waited = escape(timesince_filter(row.submitted_at, now))
        late = ' class="late"' if row.late else ""
        html.append(
            f"\n        <tr{late}>"
            f'\n          <td class="waiting">{waited}</td>'
            f"\n          <td>{escape(row.student)}</td>"
            f"\n          <td>{escape(row.song)}</td>"
            f"\n          <td>{row.stage_order}. {escape(row.stage_name)}</td>"
            f"\n          <td>{row.round}</td>"
            f'\n          <td class="due">{_due(row)}</td>'
            f'\n          <td class="muted">{escape(row.cohort)}</td>'
            f'\n          <td><a class="button small" href="{head}{row.pk}{tail}{suffix}">'
            "Review</a></td>\n        </tr>\n      "
        )
    return mark_safe("".join(html))  # noqa: S308 - every value in it is escaped
