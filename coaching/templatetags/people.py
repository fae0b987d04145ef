"""`{{ people|colour_of:comment.author_id }}`: the colour class a person's comments wear on
a page, from the `people` that coaching.threads.bounce_threads hands the templates."""

from __future__ import annotations

from django import template

from coaching.threads import Person

register = template.Library()


@register.filter
def colour_of(people: dict[int, Person] | None, user_id: int) -> str:
    person = (people or {}).get(user_id)
    return "" if person is None else f"person-{person.colour}"
