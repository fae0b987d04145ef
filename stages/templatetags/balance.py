"""Template tags for the balance point (built in for every template, see config/settings.py):
the scale's ends, and the sentence for a place, written once in stages.balance."""

from __future__ import annotations

import json

from django import template

from stages import balance
from stages.models import Stage

register = template.Library()


@register.simple_tag
def balance_min() -> int:
    return balance.BALANCE_MIN


@register.simple_tag
def balance_max() -> int:
    return balance.BALANCE_MAX


@register.simple_tag
def balance_reading(value: int | None, stage: Stage) -> str:
    """The sentence for `value` between the stage's poles ("Leaning towards craft (+2)")."""
    return balance.reading(value, left=stage.left_pole, right=stage.right_pole)


@register.simple_tag
def balance_readings(stage: Stage) -> str:
    """Every place's sentence as JSON, for the slider to show while it moves (the browser
    reads these; it writes none of its own)."""
    return json.dumps(
        {
            str(value): balance.reading(value, left=stage.left_pole, right=stage.right_pole)
            for value in balance.BALANCE_VALUES
        }
    )


@register.filter
def signed(value: int | float | None) -> str:
    """+2, 0, -3 (or a dash when there is no place)."""
    return "—" if value is None else balance.signed(value)
