"""Template filters for times and sizes, in the one form each is written (analysis.units).

Built in for every template (see TEMPLATES in config/settings.py): `{{ seconds|clock }}`,
`{{ bytes|size }}`, `{{ moment|since }}`.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from songs.analysis import units

register = template.Library()


@register.filter
def clock(seconds: float | None) -> str:
    return "—" if seconds is None else units.clock(seconds)


@register.filter
def size(size_bytes: int | None) -> str:
    return "—" if size_bytes is None else units.size(size_bytes)


@register.filter
def since(moment: dt.datetime | None) -> str:
    """How long ago, as people say it: "just now" inside a minute, else "3 hours ago"."""
    if moment is None:
        return "—"
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"
