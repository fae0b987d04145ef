"""The review queue's rows, rendered in Python: fifty rows of eight cells each, with a
"time waiting" and a due date, cost the template language most of the page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import TIME_STRINGS, timesince

from coaching.dates import day_month_year
from coaching.links import url_maker
from coaching.services import QueueRow

register = template.Library()


class _Translated:
    """One of timesince's phrases ("%(num)d days"), translated once per number for a
    table: fifty rows ask for the same few, and each translation looks through the
    language's catalogues."""

    def __init__(self, phrase: Any) -> None:
        self.phrase = phrase
        self.by_number: dict[int, str] = {}

    def __mod__(self, values: dict[str, int]) -> str:
        number = values["num"]
        if number not in self.by_number:
            self.by_number[number] = self.phrase % values
        return self.by_number[number]


def _waited(submitted_at: datetime | None, now: datetime, phrases: dict[str, Any]) -> str:
    """What the `timesince` filter shows for `submitted_at`, with the table's phrases."""
    if not submitted_at:
        return ""
    try:
        return timesince(submitted_at, now, time_strings=phrases)
    except (ValueError, TypeError):
        return ""


def _due(row: QueueRow) -> str:
    if not row.due_on:
        return '<span class="muted">No date</span>'
    flag = '<span class="flag">Late</span> was due' if row.late else ""
    return f"{flag} {day_month_year(row.due_on)}"


@register.simple_tag
def queue_rows(rows: Iterable[QueueRow], now: datetime, query_string: str) -> SafeString:
    """Every row of the page: how long it has waited, whose, which song and stage, the
    round, the due date, the cohort and its review link (keeping the queue's filters)."""
    review_url = url_maker("coaching:review")
    suffix = escape(query_string)
    phrases = {name: _Translated(phrase) for name, phrase in TIME_STRINGS.items()}
    html = []
    for row in rows:
        waited = escape(_waited(row.submitted_at, now, phrases))
        late = ' class="late"' if row.late else ""
        html.append(
            f"\n        <tr{late}>"
            f'\n          <td class="waiting" data-label="Waiting">{waited}</td>'
            f'\n          <td data-label="Student">{escape(row.student)}</td>'
            f'\n          <td data-label="Song">{escape(row.song)}</td>'
            f'\n          <td data-label="Stage">{row.stage.order}. {escape(row.stage.name)}</td>'
            f'\n          <td data-label="Round">{row.round}</td>'
            f'\n          <td class="due" data-label="Due">{_due(row)}</td>'
            f'\n          <td class="muted" data-label="Cohort">{escape(row.cohort.name)}</td>'
            f'\n          <td class="review-link"><a class="button small" '
            f'href="{review_url(row.pk)}{suffix}">Review</a></td>\n        </tr>\n      '
        )
    return mark_safe("".join(html))  # noqa: S308 - every value in it is escaped
