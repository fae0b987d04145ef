"""A song's seven stages in order, written in Python (the template language's lookups per
value were a sixth of the page): `{% timeline_steps song records current %}`, the song
page's, each a link with its status and latest bounce; `{% stage_strip song records here %}`,
the stage page's strip of links to the others; and a bounce's versions, `{% version_links
versions bounce %}` (the bounce page's links to each) and `{% compare_links versions bounce %}`
(to compare it with each other one)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from coaching.dates import day_month
from coaching.links import url_maker
from songs.models import Bounce, Song
from stages.models import StageRecord, record_url_maker
from stages.templatetags.status import badge

register = template.Library()


@register.simple_tag
def timeline_steps(song: Song, records: Sequence[StageRecord], current: StageRecord) -> SafeString:
    """A step per stage in order; the current one marked while the song is unfinished.
    Each record's bounces come newest first (the view's prefetch)."""
    url = record_url_maker([record.stage for record in records])
    marked = None if song.is_finished else current.pk
    steps = []
    for index, record in enumerate(records):
        stage = record.stage
        latest = next(iter(record.bounces.all()), None)
        if latest is None:
            bounce = "No bounce yet"
        else:
            bounce = f"Latest bounce {escape(latest.label)}, {day_month(latest.created_at)}"
        steps.append(
            f'<li><a class="step step-{record.status}'
            f'{" is-current" if record.pk == marked else ""}" href="{url(song.pk, index)}">'
            f'<span class="order">STAGE {stage.order}</span>'
            f'<span class="name">{escape(stage.name)}</span>'
            f'<span class="theme">{escape(stage.theme)}</span>'
            f"{badge(record.status)}"
            f'<span class="bounce">{bounce}</span></a></li>'
        )
    return mark_safe("\n".join(steps))  # noqa: S308 - every text in it is escaped


@register.simple_tag
def stage_strip(song: Song, records: Sequence[StageRecord], here: StageRecord) -> SafeString:
    """A link per stage, named and titled with its status; the page's own marked."""
    url = record_url_maker([record.stage for record in records])
    links = []
    for index, record in enumerate(records):
        stage = record.stage
        name = escape(stage.name)
        marked, current = (" here", ' aria-current="page"') if record == here else ("", "")
        links.append(
            f'<a class="st-{record.status}{marked}" href="{url(song.pk, index)}"{current} '
            f'title="{name}: {escape(record.get_status_display())}">{stage.order}. {name}</a>'
        )
    return mark_safe("\n".join(links))  # noqa: S308 - every text in it is escaped


@register.simple_tag
def version_links(versions: Sequence[Bounce], bounce: Bounce) -> SafeString:
    """A link to each version of the bounce's stage, this one marked as the current page."""
    bounce_url = url_maker("songs:bounce")
    links = []
    for version in versions:
        marks = ' here" aria-current="page' if version.pk == bounce.pk else ""
        links.append(
            f'<a href="{bounce_url(version.pk)}" class="version-link{marks}">v{version.version}</a>'
        )
    return mark_safe("".join(links))  # noqa: S308 - keys and numbers only


@register.simple_tag
def compare_links(versions: Sequence[Bounce], bounce: Bounce) -> SafeString:
    """ " · Compare with: v1 v2 ...", a link to compare the bounce with each other version;
    nothing when it is the only one."""
    if len(versions) < 2:
        return mark_safe("")
    compare_url = url_maker("songs:compare", bounce.pk)
    links = "".join(
        f' <a href="{compare_url(version.pk)}">v{version.version}</a>'
        for version in versions
        if version.pk != bounce.pk
    )
    return mark_safe(f" · Compare with:{links}")  # noqa: S308 - keys and numbers only
