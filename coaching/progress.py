"""A cohort's progress: the students x stages matrix, its analytics and its CSV export.

A student with several songs has a row per song (most recently active first); a student
without a song still has a row. Everything is read in a fixed number of queries, however
many students the cohort has.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.urls import reverse

from coaching.models import Cohort, Membership, Review, Role, User, Verdict
from songs.models import AnalysisState, Bounce, Song
from stages.models import Stage, StageRecord, Status

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

LATE = "late"
CELL_STATES = [s.value for s in Status] + [LATE]


@dataclass
class Cell:
    stage: Stage
    status: str = Status.NOT_STARTED
    late: bool = False
    due_on: dt.date | None = None
    url: str = ""
    record: StageRecord | None = None

    @property
    def state(self) -> str:
        """The colour of the cell: the status, or "late" for a stage past its date."""
        return LATE if self.late else self.status


@dataclass
class Row:
    student: User
    song: Song | None
    first_of_student: bool
    cells: list[Cell]
    current_order: int
    last_activity: dt.datetime | None
    inactive: bool = False


@dataclass
class Matrix:
    stages: list[Stage]
    rows: list[Row]
    counts: list[dict[str, int]]
    inactive_days: int
    students: int = 0
    shown_students: int = 0


def _record_url_maker() -> Callable[[int, str], str]:
    pattern = reverse("stages:record", args=[999999999, "stage-slug"])
    return lambda song_pk, slug: pattern.replace("999999999", str(song_pk)).replace(
        "stage-slug", slug
    )


def _students(cohort: Cohort) -> list[User]:
    """The cohort's students, each with `joined_at`: when they joined it (or were imported
    or moved into it), which counts as activity."""
    joined = Membership.objects.filter(cohort=cohort, user=OuterRef("pk")).values("joined_at")
    return list(
        User.objects.filter(memberships__cohort=cohort, memberships__role=Role.STUDENT)
        .annotate(joined_at=Subquery(joined[:1]))
        .order_by("first_name", "last_name", "username")
    )


def _songs_by_student(cohort: Cohort, students: list[User]) -> dict[int, list[Song]]:
    """Each student's songs in the cohort, most recently active first."""
    songs: dict[int, list[Song]] = defaultdict(list)
    for song in (
        Song.objects.filter(cohort=cohort, owner__in=students)
        .only("pk", "owner_id", "title", "updated_at", "cohort_id")
        .order_by("-updated_at")
    ):
        songs[song.owner_id].append(song)
    return songs


# What a student without a song iterates over: one row, with no song.
_NO_SONG = (None,)


def progress(
    cohort: Cohort,
    *,
    today: dt.date,
    now: dt.datetime,
    inactive_days: int,
    sort: str = "name",
    only: str = "",
    query: str = "",
) -> Matrix:
    stages = list(Stage.objects.all())
    deadlines = {d.stage_id: d.due_on for d in cohort.deadlines.all()}
    students = _students(cohort)
    songs = _songs_by_student(cohort, students)
    records: dict[int, dict[int, StageRecord]] = defaultdict(dict)
    for record in StageRecord.objects.filter(song__cohort=cohort, song__owner__in=students).only(
        "pk", "song_id", "stage_id", "status", "updated_at"
    ):
        records[record.song_id][record.stage_id] = record
    url_for = _record_url_maker()
    cutoff = now - dt.timedelta(days=inactive_days)

    groups: list[list[Row]] = []
    for student in students:
        rows = [
            _row(student, song, stages, records, deadlines, today, url_for)
            for song in songs.get(student.pk) or _NO_SONG
        ]
        joined: dt.datetime | None = getattr(student, "joined_at", None)
        last = max((t for t in (joined, *(r.last_activity for r in rows)) if t), default=None)
        for index, row in enumerate(rows):
            row.first_of_student = index == 0
            row.inactive = last is None or last < cutoff
        groups.append(rows)

    if query:
        needle = query.lower()
        groups = [
            g
            for g in groups
            if needle in g[0].student.display_name.lower() or needle in g[0].student.email.lower()
        ]
    if only == "inactive":
        groups = [g for g in groups if g[0].inactive]
    elif only == "late":
        groups = [g for g in groups if any(c.late for r in g for c in r.cells)]
    elif only == "waiting":
        groups = [
            g for g in groups if any(c.status == Status.SUBMITTED for r in g for c in r.cells)
        ]
    if sort == "progress":
        groups.sort(key=lambda g: (-max(r.current_order for r in g), g[0].student.display_name))
    elif sort == "activity":
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        groups.sort(key=lambda g: max((r.last_activity or oldest for r in g), default=oldest))

    rows = [row for group in groups for row in group]
    counts = [
        {
            state: sum(1 for r in rows if r.song and r.cells[i].state == state)
            for state in CELL_STATES
        }
        for i in range(len(stages))
    ]
    return Matrix(stages, rows, counts, inactive_days, len(students), len(groups))


def _row(
    student: User,
    song: Song | None,
    stages: list[Stage],
    records: dict[int, dict[int, StageRecord]],
    deadlines: dict[int, dt.date],
    today: dt.date,
    url_for: Callable[[int, str], str],
) -> Row:
    cells, current, last = [], 0, song.updated_at if song else None
    for stage in stages:
        record = records[song.pk].get(stage.pk) if song else None
        status = record.status if record else Status.NOT_STARTED
        due = deadlines.get(stage.pk)
        cells.append(
            Cell(
                stage,
                status,
                late=bool(due and due < today and status != Status.APPROVED),
                due_on=due,
                url=url_for(song.pk, stage.slug) if song else "",
                record=record,
            )
        )
        if record is not None:
            last = max(last, record.updated_at) if last else record.updated_at
        if not current and status != Status.APPROVED:
            current = stage.order
    return Row(student, song, True, cells, current or len(stages) + 1, last)


# --- Analytics ------------------------------------------------------------------------------


@dataclass
class StageFigures:
    stage: Stage
    approved: int = 0
    median_days: float | None = None
    slowest_days: float | None = None
    slowest_student: str = ""
    here_now: int = 0
    inactive_here: int = 0
    changes_requested: int = 0


@dataclass
class CoachFigures:
    coach: str
    reviews: int
    median_hours: float


@dataclass
class Analytics:
    stages: list[StageFigures]
    review_count: int
    median_turnaround_hours: float | None
    slowest_turnaround_hours: float | None
    coaches: list[CoachFigures] = field(default_factory=list)
    stuck: list[StageFigures] = field(default_factory=list)


def analytics(cohort: Cohort, *, now: dt.datetime, inactive_days: int) -> Analytics:
    stages = list(Stage.objects.all())
    figures = {stage.pk: StageFigures(stage) for stage in stages}
    durations: dict[int, list[tuple[float, str]]] = defaultdict(list)
    by_song: dict[int, list[StageRecord]] = defaultdict(list)
    records = StageRecord.objects.filter(song__cohort=cohort).select_related("song__owner")
    for record in records.only(
        "pk",
        "song_id",
        "stage_id",
        "status",
        "started_at",
        "approved_at",
        "updated_at",
        "song__owner__first_name",
        "song__owner__last_name",
        "song__owner__username",
    ):
        by_song[record.song_id].append(record)
        if record.status == Status.APPROVED and record.started_at and record.approved_at:
            days = (record.approved_at - record.started_at).total_seconds() / 86400
            durations[record.stage_id].append((days, record.song.owner.display_name))
    order = {stage.pk: stage.order for stage in stages}
    cutoff = now - dt.timedelta(days=inactive_days)
    for song_records in by_song.values():
        song_records.sort(key=lambda r: order[r.stage_id])
        current = next((r for r in song_records if r.status != Status.APPROVED), None)
        if current is not None:
            figures[current.stage_id].here_now += 1
            if current.updated_at < cutoff:
                figures[current.stage_id].inactive_here += 1
    for stage_pk, values in durations.items():
        all_days = [d for d, _ in values]
        slowest = max(values)
        figures[stage_pk].approved = len(values)
        figures[stage_pk].median_days = round(statistics.median(all_days), 1)
        figures[stage_pk].slowest_days = round(slowest[0], 1)
        figures[stage_pk].slowest_student = slowest[1]

    # Every send-back counts, not only the stages still sent back now.
    for stage_id in Review.objects.filter(
        record__song__cohort=cohort, verdict=Verdict.CHANGES_REQUESTED
    ).values_list("record__stage_id", flat=True):
        figures[stage_id].changes_requested += 1

    turnarounds: list[float] = []
    per_coach: dict[str, list[float]] = defaultdict(list)
    reviews = Review.objects.filter(record__song__cohort=cohort, submitted_at__isnull=False)
    for review in reviews.select_related("coach").only(
        "created_at", "submitted_at", "coach__first_name", "coach__last_name", "coach__username"
    ):
        assert review.submitted_at is not None  # the query keeps only submitted reviews
        hours = (review.created_at - review.submitted_at).total_seconds() / 3600
        turnarounds.append(hours)
        per_coach[review.coach.display_name].append(hours)
    stuck = sorted(
        (f for f in figures.values() if f.inactive_here or f.changes_requested),
        key=lambda f: (-f.inactive_here, -f.changes_requested),
    )
    return Analytics(
        stages=list(figures.values()),
        review_count=len(turnarounds),
        median_turnaround_hours=round(statistics.median(turnarounds), 1) if turnarounds else None,
        slowest_turnaround_hours=round(max(turnarounds), 1) if turnarounds else None,
        coaches=[
            CoachFigures(name, len(hours), round(statistics.median(hours), 1))
            for name, hours in sorted(per_coach.items())
        ],
        stuck=stuck[:3],
    )


# --- Export ---------------------------------------------------------------------------------

EXPORT_HEADER = [
    "student",
    "email",
    "song",
    "stage_order",
    "stage",
    "status",
    "late",
    "due_on",
    "started_at",
    "submitted_at",
    "approved_at",
    "review_rounds",
    "latest_bounce",
    "integrated_lufs",
    "true_peak_dbtp",
    "loudness_range_lu",
]


class _ReviewCount(TypedDict):
    reviews_count: int


def export_rows(cohort: Cohort, *, today: dt.date) -> Iterator[Sequence[object]]:
    """One row per student, song and stage (a student without a song: one row per stage)."""
    stages = list(Stage.objects.all())
    deadlines = {d.stage_id: d.due_on for d in cohort.deadlines.all()}
    students = _students(cohort)
    songs = _songs_by_student(cohort, students)
    counted = StageRecord.objects.filter(song__cohort=cohort, song__owner__in=students).annotate(
        reviews_count=Count("reviews")
    )
    # django-stubs drops annotate()'s fields from the rows of a custom QuerySet
    # (typeddjango/django-stubs#1049), so the rows' type is named here.
    records = {
        (r.song_id, r.stage_id): r
        for r in cast("QuerySet[StageRecord, WithAnnotations[StageRecord, _ReviewCount]]", counted)
    }
    bounces: dict[int, Bounce] = {}
    for done in (
        Bounce.objects.filter(record__song__cohort=cohort, analysis_state=AnalysisState.DONE)
        .only(
            "pk", "record_id", "version", "integrated_lufs", "true_peak_dbtp", "loudness_range_lu"
        )
        .order_by("record_id", "-version")
    ):
        bounces.setdefault(done.record_id, done)
    yield EXPORT_HEADER
    for student in students:
        for song in songs.get(student.pk) or _NO_SONG:
            for stage in stages:
                record = records.get((song.pk, stage.pk)) if song else None
                status = record.status if record else Status.NOT_STARTED
                due = deadlines.get(stage.pk)
                bounce = bounces.get(record.pk) if record else None
                yield [
                    student.display_name,
                    student.email,
                    song.title if song else "",
                    stage.order,
                    stage.name,
                    status,
                    "yes" if due and due < today and status != Status.APPROVED else "no",
                    due.isoformat() if due else "",
                    _when(record.started_at if record else None),
                    _when(record.submitted_at if record else None),
                    _when(record.approved_at if record else None),
                    record.reviews_count if record else 0,
                    f"v{bounce.version}" if bounce else "",
                    bounce.integrated_lufs if bounce else "",
                    bounce.true_peak_dbtp if bounce else "",
                    bounce.loudness_range_lu if bounce else "",
                ]


def _when(moment: dt.datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment else ""


# Where a spreadsheet could start a cell: the start of the field, or after any character
# some program splits on (comma, semicolon, pipe, tab, a line break), spaces allowed; and
# what it would then run as a formula.
_CELL_START = re.compile(r"(^|[,;|\t\r\n])( *)(?=[=+\-@\t\r])")


def spreadsheet_safe(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR where a cell could
    start, whichever separator it splits on) gets an apostrophe there; numbers stay
    numbers. The export also quotes every field."""
    if isinstance(value, str):
        return _CELL_START.sub(r"\1\2'", value)
    return value
