"""Links to one view for many keys, reversed once: a page with dozens of them (a board,
the matrix, the queue, a cohort's students) spent more on `reverse` than on its queries.

`url_maker("songs:compare", bounce.pk)` gives `lambda key: reverse("songs:compare",
args=[bounce.pk, key])`; `url_maker("stages:record", KEY, "mixing")` puts the key where
`KEY` stands."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

KEY = 999_999_999
"""Where the key goes among a link's arguments (the last one when none is KEY)."""


def url_parts(name: str, *args: object) -> tuple[str, str]:
    """`reverse(name, args=args)` as the text before and after `KEY` (the last argument
    when none is KEY)."""
    if KEY not in args:
        args = (*args, KEY)
    head, tail = reverse(name, args=args).split(str(KEY))
    return head, tail


def url_maker(name: str, *args: object) -> Callable[[object], str]:
    head, tail = url_parts(name, *args)
    return lambda key: f"{head}{key}{tail}"
