"""Where a student places themself on each stage's balance point, and where coaches place
their work, across songs and review rounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean

from django.urls import reverse

from coaching.models import Review, User
from songs import charts
from stages.models import Stage, StageRecord

WIDTH = 640
PAD_X = 40
ROW_H = 26
TOP = 34
SCALE = charts.balance_scale(PAD_X, WIDTH - PAD_X)


@dataclass(frozen=True)
class Point:
    song: str
    round: int | None
    self_balance: int | None
    coach_balance: int | None
    url: str
    y: float = 0.0
    self_x: float | None = None
    coach_x: float | None = None


@dataclass
class StageTendency:
    stage: Stage
    points: list[Point] = field(default_factory=list)
    self_mean: float | None = None
    coach_mean: float | None = None
    sentence: str = ""
    height: int = 0
    ticks: list[tuple[float, str]] = field(default_factory=list)
    scale_left: float = SCALE.start
    scale_right: float = SCALE.end


def tendencies(student: User) -> list[StageTendency]:
    stages = {stage.pk: StageTendency(stage) for stage in Stage.objects.all()}
    reviews = (
        Review.objects.filter(record__song__owner=student)
        .select_related("record__song", "record__stage")
        .order_by("record__song__created_at", "round")
    )
    reviewed_rounds = set()
    for review in reviews:
        record = review.record
        reviewed_rounds.add((record.pk, review.round))
        stages[record.stage_id].points.append(
            Point(
                record.song.title,
                review.round,
                review.self_balance,
                review.coach_balance,
                _url(record),
            )
        )
    # A placement not reviewed yet still shows where the student stands today.
    pending = StageRecord.objects.filter(
        song__owner=student, self_balance__isnull=False
    ).select_related("song", "stage")
    for record in pending:
        if (record.pk, record.round) not in reviewed_rounds:
            stages[record.stage_id].points.append(
                Point(record.song.title, None, record.self_balance, None, _url(record))
            )
    return [_layout(tendency) for tendency in stages.values()]


def _url(record: StageRecord) -> str:
    return reverse("stages:record", args=[record.song_id, record.stage.slug])


def _layout(tendency: StageTendency) -> StageTendency:
    stage = tendency.stage
    selfs = [p.self_balance for p in tendency.points if p.self_balance is not None]
    coaches = [p.coach_balance for p in tendency.points if p.coach_balance is not None]
    tendency.self_mean = round(mean(selfs), 1) if selfs else None
    tendency.coach_mean = round(mean(coaches), 1) if coaches else None
    if tendency.self_mean is not None and tendency.coach_mean is not None:
        gap = tendency.self_mean - tendency.coach_mean
        if abs(gap) < 1:
            tendency.sentence = "You and your coaches place this stage in much the same spot."
        else:
            pole = stage.left_pole if gap < 0 else stage.right_pole
            tendency.sentence = (
                f"You place yourself {abs(gap):.1f} further towards {pole} than your coaches "
                "place your work."
            )
    elif tendency.self_mean is not None:
        tendency.sentence = "No coach placement yet."
    tendency.points = [
        Point(
            p.song,
            p.round,
            p.self_balance,
            p.coach_balance,
            p.url,
            y=TOP + index * ROW_H,
            self_x=SCALE(p.self_balance) if p.self_balance is not None else None,
            coach_x=SCALE(p.coach_balance) if p.coach_balance is not None else None,
        )
        for index, p in enumerate(tendency.points)
    ]
    tendency.height = TOP + max(len(tendency.points), 1) * ROW_H + 6
    tendency.ticks = charts.balance_ticks(SCALE)
    return tendency
