"""The balance point's scale and the words for a place on it.

A balance point is a position between a stage's two poles, not a score: -5 is all the
way to the left pole, +5 to the right, 0 balanced. Students, coaches, forms, charts and
the slider in the browser all take the scale from here; this module imports nothing of
the app, so the lowest layer (the coaching records) can use it too.
"""

from __future__ import annotations

BALANCE_MIN = -5
BALANCE_MAX = 5
BALANCE_VALUES: tuple[int, ...] = tuple(range(BALANCE_MIN, BALANCE_MAX + 1))


def signed(value: int | float) -> str:
    """A place as people write it: -2, 0, +3 (one decimal for a mean: +1.5)."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:+.1f}"
    return f"{int(value):+d}" if value else "0"


def reading(value: int | None, *, left: str, right: str) -> str:
    """The sentence under the slider for a place between `left` and `right`."""
    if value is None:
        return "Not placed yet: move the slider to where this stage of the song sits."
    if value == 0:
        return f"Balanced between {left} and {right} (0)"
    pole = left if value < 0 else right
    return f"Leaning towards {pole} ({signed(value)})"
