"""The board: a person's songs at work in the seven stages' columns, and the settled ones
(released, set aside) on shelves below; a coach's board of every coached song, each
column cut to its most recent. The home page shows both; `songs.templatetags.board`
writes the cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.db.models.functions import Coalesce
from django.urls import reverse

from coaching.models import User
from coaching.statements import Among, Statement
from songs.models import Song, SongProgress, SongQuerySet
from stages.models import Stage, Status, record_url_maker

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


COACHED_CARDS = 8
"""A coach's board shows this many songs in each column and on each shelf, the most
recently updated (or released, or set aside); the others are counted, and the cohort
pages list every student. A student's own board shows all of their songs."""

RELEASED, SET_ASIDE = "released", "set aside"


@dataclass
class BoardCard:
    song: Song
    stage: Stage
    status: Status | None  # None: every stage is approved
    url: str
    """The card's stage page."""


@dataclass
class BoardColumn:
    stage: Stage
    cards: list[BoardCard] = field(default_factory=list)
    total: int = 0
    """The songs in this column, shown or not."""

    @property
    def more(self) -> int:
        return self.total - len(self.cards)


@dataclass
class Board:
    """Songs at work in seven columns (each in the column of its current stage, a song
    with every stage approved in the last, ready to release), and below them the songs that
    are settled: released, or set aside unreleased."""

    columns: list[BoardColumn]
    released: list[Song] = field(default_factory=list)
    set_aside: list[Song] = field(default_factory=list)
    released_total: int = 0
    set_aside_total: int = 0
    rest_url: str = ""
    """Where the songs a cut board leaves out are listed, and what that page is."""
    rest_label: str = ""

    @property
    def at_work(self) -> int:
        return sum(column.total for column in self.columns)

    @property
    def released_more(self) -> int:
        return self.released_total - len(self.released)

    @property
    def set_aside_more(self) -> int:
        return self.set_aside_total - len(self.set_aside)


def _place(
    stages: list[Stage], stage_id: int | None, released_at: object, archived_at: object
) -> int | str:
    """Where a song sits on a board: a shelf once it is settled, else the column of its
    current stage (the last stage's once every stage is approved: ready to release)."""
    if released_at is not None:
        return RELEASED
    if archived_at is not None:
        return SET_ASIDE
    return stage_id if stage_id is not None else stages[-1].pk


def board_of(
    stages: list[Stage],
    songs: list[WithAnnotations[Song, SongProgress]],
    totals: dict[int | str, int] | None = None,
) -> Board:
    """The board of `songs`; `totals` counts every song of each place when `songs` are only
    the ones shown (by default the songs are all there is)."""
    board = Board([BoardColumn(stage) for stage in stages])
    columns = {column.stage.pk: (index, column) for index, column in enumerate(board.columns)}
    url_for = record_url_maker(stages)
    for song in songs:
        place = _place(stages, song.current_stage_id, song.released_at, song.archived_at)
        if isinstance(place, int):
            index, column = columns[place]
            status = Status(song.current_status) if song.current_status else None
            column.cards.append(BoardCard(song, column.stage, status, url_for(song.pk, index)))
        elif place == RELEASED:
            board.released.append(song)
        else:
            board.set_aside.append(song)
    board.released.sort(key=lambda song: song.released_at or song.updated_at, reverse=True)
    if totals is None:
        totals = {RELEASED: len(board.released), SET_ASIDE: len(board.set_aside)}
        totals |= {column.stage.pk: len(column.cards) for column in board.columns}
    for column in board.columns:
        column.total = totals.get(column.stage.pk, 0)
    board.released_total = totals.get(RELEASED, 0)
    board.set_aside_total = totals.get(SET_ASIDE, 0)
    return board


# Where every coached song stands, a few values each, newest first. The fields are named
# apart: the stubs know a model's fields, not with_progress()'s
# (typeddjango/django-stubs#1049).
_PLACE_FIELDS = ("pk", "current_stage_id", "released_at", "archived_at", "cohort_id")


def _coached_songs(user: User) -> SongQuerySet:
    return Song.objects.coached_by(user).with_progress()


_COACHED_PLACES: Statement[tuple[Any, ...]] = Statement(
    lambda user: (
        _coached_songs(user)
        # A shelf's song by when it was settled, a column's by its last change.
        .order_by(Coalesce("released_at", "archived_at", "updated_at").desc(), "-pk")
        .values_list(*_PLACE_FIELDS)
    )
)
_COACHED_CARDS: Statement[Song] = Statement(
    lambda user, keys: _coached_songs(user).filter(Among("pk", keys)).select_related("owner")
)


def coached_board(user: User, stages: list[Stage]) -> Board | None:
    """The songs of the cohorts `user` coaches, each column and shelf cut to its
    COACHED_CARDS most recent: a coach of 2,000 students gets a board, not a wall of
    cards. Two queries whatever the cohort's size: where every song stands (a few values
    each, newest first), then the shown songs in full."""
    totals: dict[int | str, int] = {}
    shown: list[int] = []
    cohorts: set[int] = set()
    for pk, stage_id, released_at, archived_at, cohort_id in _COACHED_PLACES(user):
        place = _place(stages, stage_id, released_at, archived_at)
        totals[place] = totals.get(place, 0) + 1
        if totals[place] <= COACHED_CARDS:
            shown.append(pk)
        cohorts.add(cohort_id)
    if not totals:
        return None
    shown_songs = cast(
        "list[WithAnnotations[Song, SongProgress]]", _COACHED_CARDS(user, tuple(shown))
    )
    board = board_of(stages, shown_songs, totals)
    if len(cohorts) == 1:  # one cohort: its matrix, every student in course order
        (cohort,) = cohorts
        board.rest_url = reverse("coaching:progress", args=[cohort]) + "?sort=progress"
        board.rest_label = "the progress matrix"
    else:
        board.rest_url, board.rest_label = reverse("coaching:cohorts"), "each cohort"
    return board
