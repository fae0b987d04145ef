"""`{% board_cards column show_owner %}`: a board column's song cards, written in Python
(a coach's board shows dozens, and the template language's lookups and filters per value
were most of its rendering)."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from coaching.links import url_maker
from songs.boards import BoardColumn
from songs.templatetags.units import since
from stages.templatetags.status import badge

register = template.Library()


@register.simple_tag
def board_cards(column: BoardColumn, show_owner: bool) -> SafeString:
    """Each card links to its stage page: the cover if there is one, the title, the
    owner on a coach's board, the stage's status and how long ago the song changed."""
    thumbnail_url = url_maker("songs:artwork_thumbnail")
    cards = []
    for card in column.cards:
        song = card.song
        cover = ""
        if song.artwork_thumbnail:
            cover = (
                f'<img class="cover-mini" src="{thumbnail_url(song.pk)}?v={song.artwork_version}" '
                'alt="" '
                'width="48" height="48" loading="lazy">'
            )
        owner = (
            f'<span class="meta owner">{escape(song.owner.display_name)}</span>'
            if show_owner
            else ""
        )
        status = (
            '<span class="status status-finished">All seven approved · release next</span>'
            if card.status is None
            else badge(card.status)
        )
        cards.append(
            f'<a class="song-card" href="{escape(card.url)}">{cover}'
            f'<span class="title">{escape(song.title)}</span>{owner}{status}'
            f'<span class="meta">Updated {since(song.updated_at)}</span></a>'
        )
    return mark_safe("\n".join(cards))  # noqa: S308 - every text in it is escaped
