"""`{{ people|colour_of:comment.author_id }}`: the colour class a person's comments wear on
a page, from the `people` that coaching.threads.bounce_threads hands the templates; and
`{% person_options students chosen %}`, a long list of people as a select's options."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from coaching.threads import Person

register = template.Library()


@register.filter
def colour_of(people: dict[int, Person] | None, user_id: int) -> str:
    person = (people or {}).get(user_id)
    return "" if person is None else f"person-{person.colour}"


@register.simple_tag
def person_options(people: list[tuple[int, str]], chosen: int | None) -> SafeString:
    """`<option>`s for (pk, name) pairs, written in Python: thousands of them cost the
    template language more than the rest of the page."""
    return mark_safe(  # noqa: S308 - every name is escaped
        "".join(
            f'<option value="{pk}"{" selected" if pk == chosen else ""}>{escape(name)}</option>'
            for pk, name in people
        )
    )
