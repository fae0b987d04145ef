"""`{{ people|colour_of:comment.author_id }}`: the colour class a person's comments wear on
a page, from the `people` that coaching.threads.bounce_threads hands the templates;
`{% person_options students chosen %}`, a long list of people as a select's options; and
`{% member_cells member link joined %}`, a cohort page's row of a student, and
`{% member_rows students %}` and `{% activity_items activity %}`, its rows of students
(for those who cannot change them) and its activity, written in Python: rows of them in
the template language cost the page more than its queries."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from coaching.dates import day_month_time
from coaching.models import Activity, Membership
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


@register.simple_tag
def member_cells(member: Membership, link: str, joined: str) -> SafeString:
    """The student's name (linked to their tendencies at `link`), e-mail and the day they
    joined, as the cohort page's table cells: fifty rows of them cost the template
    language a tenth of the page. The view writes the link and the day
    (cohort_views._student_rows)."""
    user = member.user
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<td><a href="{escape(link)}">{escape(user.display_name)}</a></td>'
        f'<td class="muted small">{escape(user.email)}</td>'
        f'<td class="muted small">joined {escape(joined)}</td>'
    )


@register.simple_tag
def member_rows(students: list[tuple[Membership, str, str]]) -> SafeString:
    """The table rows of the cohort page's students as `_student_rows` gives them, with
    no actions: what a coach sees (a course admin's rows carry forms, in the template)."""
    return mark_safe(  # noqa: S308 - member_cells escapes every value
        "".join(f"<tr>{member_cells(*student)}</tr>" for student in students)
    )


@register.simple_tag
def activity_items(items: list[Activity]) -> SafeString:
    """The cohort's activity as list items, each with its moment (`|date:"j M, H:i"`)."""
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            f'<li><span class="muted small">{day_month_time(item.created_at)}</span> '
            f"{escape(item.message)}</li>"
            for item in items
        )
    )
