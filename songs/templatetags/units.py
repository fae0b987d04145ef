"""Template filters for times and sizes, in the one form each is written (analysis.units).

Built in for every template (see TEMPLATES in config/settings.py): `{{ seconds|clock }}`,
`{{ bytes|size }}`.
"""

from __future__ import annotations

from django import template

from songs.analysis import units

register = template.Library()


@register.filter
def clock(seconds: float | None) -> str:
    return "—" if seconds is None else units.clock(seconds)


@register.filter
def size(size_bytes: int | None) -> str:
    return "—" if size_bytes is None else units.size(size_bytes)
