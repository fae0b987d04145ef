"""Where a student places themself on each stage's balance point, and where coaches place
their work, across songs and review rounds.

The comparison uses only rounds that both placed (the student's placement when they
submitted, and the coach's in the review), says how many there were, and is worded for
whoever reads it: the student ("Your placements...") or their coach ("Ben's placements...").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.text import Truncator

from coaching.links import KEY, url_maker
from coaching.models import User
from coaching.statements import Statement
from songs import charts
from stages.models import Stage, StageRecord, catalogue

WIDTH = 640
PAD_X = 40
ROW_H = 26
TOP = 34
SCALE = charts.balance_scale(PAD_X, WIDTH - PAD_X)
TICKS = charts.balance_ticks(SCALE)
LABEL_CHARS = 28


@dataclass(frozen=True)
class Point:
    song: str
    round: int | None
    self_balance: int | None
    coach_balance: int | None
    url: str
    label: str = ""
    """The song's title as the chart's row shows it, cut to fit."""
    y: float = 0.0
    self_x: float | None = None
    coach_x: float | None = None


@dataclass
class StageTendency:
    stage: Stage
    points: list[Point] = field(default_factory=list)
    self_mean: float | None = None
    """The student's mean placement over the rounds both placed."""
    coach_mean: float | None = None
    """The coaches' mean placement over the same rounds."""
    paired_rounds: int = 0
    sentence: str = ""
    height: int = 0
    ticks: list[tuple[float, str]] = field(default_factory=list)
    scale_left: float = SCALE.start
    scale_right: float = SCALE.end


def _placements(student: User) -> QuerySet[Any]:
    """One query, plain rows: each record of the student's songs that was reviewed or is
    placed, with its reviews (a row per review; one without, for a record not reviewed)."""
    return (
        StageRecord.objects.filter(song__owner=student)
        .filter(Q(reviews__isnull=False) | Q(self_balance__isnull=False))
        .order_by("song__created_at", "reviews__round")
        .values_list(
            "pk",
            "round",
            "self_balance",
            "reviews__round",
            "reviews__self_balance",
            "reviews__coach_balance",
            "song__title",
            "song_id",
            "song__updated_at",
            "stage_id",
            "stage__slug",
        )
    )


_PLACEMENTS: Statement[tuple[Any, ...]] = Statement(_placements)


def tendencies(student: User, *, reader: User) -> list[StageTendency]:
    """Each stage's placements of `student`, with sentences worded for `reader`."""
    stages = {stage.pk: StageTendency(stage) for stage in catalogue()}
    urls = _RecordUrls()
    rows = _PLACEMENTS(student)
    reviewed_rounds = set()
    placed = {}
    for (
        record_pk,
        round_,
        self_balance,
        reviewed_round,
        reviewed_self,
        coach_balance,
        title,
        song_pk,
        song_updated_at,
        stage_pk,
        slug,
    ) in rows:
        if reviewed_round is not None:  # reviews in the order of the songs, then rounds
            reviewed_rounds.add((record_pk, reviewed_round))
            stages[stage_pk].points.append(
                Point(title, reviewed_round, reviewed_self, coach_balance, urls(song_pk, slug))
            )
        if self_balance is not None:
            placed[record_pk] = (
                round_,
                self_balance,
                title,
                song_pk,
                song_updated_at,
                stage_pk,
                slug,
            )
    # A placement not reviewed yet still shows where the student stands today, after the
    # reviews, the songs most recently worked on first (the records' own order).
    by_song = sorted(placed.items(), key=lambda item: item[1][4], reverse=True)
    for record_pk, (round_, self_balance, title, song_pk, _, stage_pk, slug) in by_song:
        if (record_pk, round_) not in reviewed_rounds:
            stages[stage_pk].points.append(
                Point(title, None, self_balance, None, urls(song_pk, slug))
            )
    labels = _Labels()
    return [
        _layout(tendency, student=student, reader=reader, labels=labels)
        for tendency in stages.values()
    ]


class _Labels:
    """Each song's title cut to fit a chart's row, once per title: a song has a row in
    every stage and round."""

    def __init__(self) -> None:
        self.cut: dict[str, str] = {}

    def __call__(self, title: str) -> str:
        if title not in self.cut:
            self.cut[title] = Truncator(title).chars(LABEL_CHARS)
        return self.cut[title]


class _RecordUrls:
    """A record's page by song and stage slug, reversed once per stage."""

    def __init__(self) -> None:
        self.makers: dict[str, Callable[[object], str]] = {}

    def __call__(self, song_pk: int, slug: str) -> str:
        if slug not in self.makers:
            self.makers[slug] = url_maker("stages:record", KEY, slug)
        return self.makers[slug](song_pk)


def _layout(
    tendency: StageTendency, *, student: User, reader: User, labels: _Labels
) -> StageTendency:
    stage = tendency.stage
    paired = [
        (p.self_balance, p.coach_balance)
        for p in tendency.points
        if p.self_balance is not None and p.coach_balance is not None
    ]
    tendency.paired_rounds = len(paired)
    own = reader.pk == student.pk
    whose = "Your" if own else f"{student.display_name}'s"
    coaches = "your coaches'" if own else "the coaches'"
    rounds = f"{len(paired)} round{'s' if len(paired) != 1 else ''}"
    if paired:
        tendency.self_mean = round(mean(value for value, _ in paired), 1)
        tendency.coach_mean = round(mean(value for _, value in paired), 1)
        gap = mean(own_value - coach_value for own_value, coach_value in paired)
        both = f"(over the {rounds} {'you' if own else 'they'} and a coach both placed)"
        if abs(gap) < 1:
            tendency.sentence = (
                f"{whose} placements and {coaches} sit in much the same spot {both}."
            )
        else:
            pole = stage.left_pole if gap < 0 else stage.right_pole
            tendency.sentence = (
                f"{whose} placements sit {abs(gap):.1f} further towards {pole} than "
                f"{coaches} {both}."
            )
    elif any(p.self_balance is not None for p in tendency.points):
        tendency.sentence = "No round has both a self-placement and a coach's yet."
    tendency.points = [
        Point(
            p.song,
            p.round,
            p.self_balance,
            p.coach_balance,
            p.url,
            label=labels(p.song),
            y=TOP + index * ROW_H,
            self_x=SCALE(p.self_balance) if p.self_balance is not None else None,
            coach_x=SCALE(p.coach_balance) if p.coach_balance is not None else None,
        )
        for index, p in enumerate(tendency.points)
    ]
    tendency.height = TOP + max(len(tendency.points), 1) * ROW_H + 6
    tendency.ticks = TICKS
    return tendency
