"""A stage's status as the badge every page shows it (built in for every template, see
config/settings.py): `{% status_badge record.status %}` in a template, `badge(status)` in
the tags that write their rows in Python."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from stages.models import Status

register = template.Library()


def badge(status: str) -> str:
    """`<span class="status status-in_progress">In progress</span>`: the status's key
    as its class (the colours in app.css), its label as the text."""
    known = Status(status)
    return f'<span class="status status-{known.value}">{escape(known.label)}</span>'


@register.simple_tag
def status_badge(status: str) -> SafeString:
    return mark_safe(badge(status))  # noqa: S308 - the label is escaped
