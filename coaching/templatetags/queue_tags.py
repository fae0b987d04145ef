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

from stages.models import StageRecord

register = template.Library()


def _due(record: StageRecord) -> str:
    due_on = getattr(record, "due_on", None)
    if not due_on:
        return '<span class="muted">No date</span>'
    flag = '<span class="flag">Late</span> was due' if record.late else ""  # type: ignore[attr-defined]
    return f"{flag} {escape(date(due_on, 'j M Y'))}"


@register.simple_tag
def queue_rows(records: Iterable[StageRecord], now: datetime, query_string: str) -> SafeString:
    """Every row of the page: how long it has waited, whose, which song and stage, the
    round, the due date, the cohort and its review link (keeping the queue's filters)."""
    head, tail = reverse("coaching:review", args=[999999999]).split("999999999")
    suffix = escape(query_string)
    rows = []
    for record in records:
        song = record.song
        stage = record.stage
        waited = escape(timesince_filter(record.submitted_at, now))
        late = ' class="late"' if record.late else ""  # type: ignore[attr-defined]
        rows.append(
            f"\n        <tr{late}>"
            f'\n          <td class="waiting">{waited}</td>'
            f"\n          <td>{escape(song.owner.display_name)}</td>"
            f"\n          <td>{escape(song.title)}</td>"
            f"\n          <td>{stage.order}. {escape(stage.name)}</td>"
            f"\n          <td>{record.round}</td>"
            f'\n          <td class="due">{_due(record)}</td>'
            f'\n          <td class="muted">{escape(song.cohort.name)}</td>'
            f'\n          <td><a class="button small" href="{head}{record.pk}{tail}{suffix}">'
            "Review</a></td>\n        </tr>\n      "
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value in it is escaped
