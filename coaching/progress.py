"""A cohort's progress: the students x stages matrix, its analytics and its CSV export.

A student with several songs has a row per song (most recently active first); a student
without a song still has a row. Everything is read in a fixed number of queries, however
many students the cohort has.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    Expression,
    F,
    Field,
    FilteredRelation,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Concat, Greatest, NullIf, RowNumber, Trim

from coaching.models import Cohort, Membership, Review, Role, StageDeadline, User, Verdict
from coaching.statements import Among, Statement
from songs.models import AnalysisState, Bounce, Song
from stages.models import Stage, StageRecord, Status, catalogue, record_url_maker

LATE = "late"
CELL_STATES = [s.value for s in Status] + [LATE]


@dataclass
class Cell:
    stage: Stage
    status: str = Status.NOT_STARTED
    late: bool = False
    due_on: dt.date | None = None
    url: str = ""

    @property
    def state(self) -> str:
        """The colour of the cell: the status, or "late" for a stage past its date."""
        return LATE if self.late else self.status


@dataclass
class MatrixSong:
    """A song as the matrix reads it: one aggregate row per song, its status per stage in
    the catalogue's order."""

    pk: int
    title: str
    last_activity: dt.datetime
    statuses: list[str]


@dataclass
class MatrixStudent:
    """A student as the matrix reads them: enough to filter, sort and count the whole
    cohort before one page of rows is built."""

    pk: int
    first_name: str
    last_name: str
    username: str
    email: str
    joined_at: dt.datetime | None
    songs: list[MatrixSong] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username

    @property
    def last_activity(self) -> dt.datetime | None:
        return max((s.last_activity for s in self.songs), default=None)


@dataclass
class Row:
    student: MatrixStudent
    song: MatrixSong | None
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
    page: Page[MatrixStudent] | None = None


STUDENTS_PER_PAGE = 50
SORTS = ("name", "progress", "activity")
"""The matrix's orders; anything else asked for is by name."""
FILTERS = ("", "inactive", "late", "waiting")
"""The matrix's filters ("": everyone); anything else asked for is no filter."""


# What a student without a song iterates over: one row, with no song.
_NO_SONG = (None,)


_SCHEDULE: Statement[tuple[int, dt.date]] = Statement(
    lambda cohort_pk: StageDeadline.objects.filter(cohort_id=cohort_pk).values_list(
        "stage_id", "due_on"
    )
)


def schedule(cohort_pk: int) -> dict[int, dt.date]:
    """The cohort's date for each stage that has one, by stage key."""
    return dict(_SCHEDULE(cohort_pk))


def _with_songs(cohort: Cohort, stages: list[Stage], students: list[MatrixStudent]) -> None:
    """Give each student their songs in the cohort (most recently active first), one
    aggregate row per song with its status per stage and its last activity."""
    by_pk = {s.pk: s for s in students}
    columns = tuple(stage.pk for stage in stages)
    statement = _SONGS_BY_STAGES.get(columns)
    if statement is None:
        statement = _SONGS_BY_STAGES.setdefault(columns, _songs_of_students(columns))
    for pk, owner_id, title, updated_at, last, *statuses in statement(cohort.pk, tuple(by_pk)):
        by_pk[owner_id].songs.append(
            MatrixSong(
                pk,
                title,
                max(last, updated_at) if last else updated_at,
                [status or Status.NOT_STARTED for status in statuses],
            )
        )


def _songs_of_students(columns: tuple[int, ...]) -> Statement[tuple[Any, ...]]:
    """The statement of the students' songs, a status column per stage key in `columns`."""
    per_stage = {
        f"status_{stage_pk}": Max("records__status", filter=Q(records__stage_id=stage_pk))
        for stage_pk in columns
    }
    return Statement(
        lambda cohort_pk, owner_pks: (
            Song.objects.filter(Among("owner_id", owner_pks), cohort_id=cohort_pk)
            .order_by("-updated_at", "-pk")
            .values("pk")
            .annotate(last=Max("records__updated_at"), **per_stage)
            .values_list("pk", "owner_id", "title", "updated_at", "last", *per_stage)
        )
    )


# By the catalogue's stage keys, in its order: a statement per catalogue.
_SONGS_BY_STAGES: dict[tuple[int, ...], Statement[tuple[Any, ...]]] = {}


def _display_name(user: str = "") -> Expression:
    """A user's display name as MatrixStudent.display_name writes it: first and last name,
    or the username when both are blank (`user`: the path to the user, "user__")."""
    return Coalesce(
        NullIf(Trim(Concat(f"{user}first_name", Value(" "), f"{user}last_name")), Value("")),
        f"{user}username",
        output_field=CharField(),
    )


def _songs_of_student(cohort_pk: int) -> QuerySet[Song]:
    """The cohort's songs of the student of the outer Membership row."""
    return Song.objects.filter(cohort_id=cohort_pk, owner_id=OuterRef("user_id")).order_by()


def _students(
    cohort_pk: int,
    stages: Sequence[tuple[int, int]],
    *,
    due: tuple[int, ...],
    cutoff: dt.datetime | None,
    sort: str,
    only: str,
    query: str,
) -> tuple[QuerySet[Membership], QuerySet[Membership]]:
    """The cohort's students to show, filtered, then also sorted, in the database as the
    matrix always has: by name; by how far along their furthest song is, then by name as
    Python compares it; or from the longest inactive. Counting needs only the first.

    `stages`: the catalogue's (key, order) pairs in its order; `due`: the keys of the
    stages whose date has passed; `cutoff`: where inactivity starts (for only="inactive").
    """
    by_name = ["user__first_name", "user__last_name", "user__username", "user_id"]
    students = Membership.objects.filter(cohort_id=cohort_pk, role=Role.STUDENT)
    songs = _songs_of_student(cohort_pk)
    if query:
        # Looked up student by student through the primary key (a subquery of one row
        # each), however the database would otherwise join the two tables.
        found = (
            User.objects.filter(pk=OuterRef("user_id"))
            .alias(name=_display_name())
            .filter(Q(name__icontains=query) | Q(email__icontains=query))
            .values("pk")[:1]
        )
        students = students.alias(found=Subquery(found)).filter(found__isnull=False)
    if only == "inactive" or sort == "activity":
        # A song's last activity: its own change or its records', whichever is later.
        last = songs.annotate(
            last=Greatest("updated_at", Coalesce(Max("records__updated_at"), "updated_at"))
        ).order_by("-last")
        students = students.alias(activity=Subquery(last.values("last")[:1]))
    if only == "inactive":
        moment = Greatest(Coalesce("joined_at", "activity"), Coalesce("activity", "joined_at"))
        students = students.alias(moment=moment).filter(
            Q(moment__isnull=True) | Q(moment__lt=cutoff)
        )
    elif only == "late":
        # Late: a song with a past stage not approved, or no song at all.
        behind = songs.annotate(
            done=Count(
                "records", filter=Q(records__stage_id__in=due, records__status=Status.APPROVED)
            )
        ).filter(done__lt=len(due))
        students = students.filter(Exists(behind) | ~Exists(songs))
    elif only == "waiting":
        submitted = StageRecord.objects.filter(
            song__cohort_id=cohort_pk, song__owner_id=OuterRef("user_id"), status=Status.SUBMITTED
        )
        students = students.filter(Exists(submitted))
    filtered = students
    if sort == "progress":
        after_last = len(stages) + 1
        first = stages[0][1] if stages else after_last
        # Where a song is: the first stage, in the catalogue's order, without an approved
        # record. A song has a record per stage (it is created with them): its first
        # record not approved, found through the song's own records. Should a record be
        # missing, the stage without an approved record, looked up stage by stage.
        records = StageRecord.objects.filter(song_id=OuterRef("pk")).order_by()
        record_count = records.values("song_id").annotate(n=Count("pk")).values("n")
        first_open = (
            records.exclude(status=Status.APPROVED).order_by("stage__order").values("stage__order")
        )
        missing_some = (
            Stage.objects.exclude(
                Exists(
                    StageRecord.objects.filter(
                        song_id=OuterRef(OuterRef("pk")),
                        stage_id=OuterRef("pk"),
                        status=Status.APPROVED,
                    )
                )
            )
            .order_by("order")
            .values("order")
        )
        at = Case(
            When(
                Q(record_count=len(stages)),
                then=Coalesce(Subquery(first_open[:1]), Value(after_last)),
            ),
            default=Coalesce(Subquery(missing_some[:1]), Value(after_last)),
        )
        furthest = (
            songs.alias(record_count=Subquery(record_count))
            .annotate(at=at)
            .order_by("-at")
            .values("at")[:1]
        )
        students = students.alias(
            furthest=Coalesce(Subquery(furthest), Value(first)), name=_display_name("user__")
        ).order_by(F("furthest").desc(), BinaryOrder("name"), *by_name)
    elif sort == "activity":
        students = students.order_by(F("activity").asc(nulls_first=True), *by_name)
    else:
        students = students.order_by(*by_name)
    return filtered, students


def _shown_songs(cohort_pk: int, students: QuerySet[Membership]) -> QuerySet[Song]:
    """The cohort's songs of the shown students."""
    # Each song's student looked up through the index on cohort and user, in a subquery
    # of one row the database cannot turn into a join: a join it may plan (without
    # statistics, say) as a scan of the cohort's students once per song.
    student = students.order_by().filter(user_id=OuterRef("owner_id")).values("pk")[:1]
    songs = Song.objects.filter(cohort_id=cohort_pk).alias(student=Subquery(student))
    return songs.filter(student__isnull=False)


def _state_counts(cohort_pk: int, students: QuerySet[Membership]) -> QuerySet[Any]:
    """(stage key, status, records) for the shown students' songs."""
    return (
        StageRecord.objects.filter(song__in=_shown_songs(cohort_pk, students))
        .order_by()
        .values("stage_id", "status")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "status", "n")
    )


def _song_count(cohort_pk: int, students: QuerySet[Membership]) -> QuerySet[Any]:
    """One row, the number of the shown students' songs (none when there are none)."""
    songs = _shown_songs(cohort_pk, students).order_by()
    return songs.values("cohort_id").annotate(n=Count("pk")).values_list("n", flat=True)


def _everyone(cohort_pk: int) -> QuerySet[Membership]:
    """The cohort's students, all of them: what the matrix shows unless filtered."""
    return Membership.objects.filter(cohort_id=cohort_pk, role=Role.STUDENT)


def student_count(cohort_pk: int) -> int:
    """How many students the cohort has."""
    return sum(_STUDENT_COUNT(cohort_pk))


_STUDENT_COUNT: Statement[int] = Statement(
    lambda cohort_pk: (
        _everyone(cohort_pk).values("cohort_id").annotate(n=Count("pk")).values_list("n", flat=True)
    )
)


@dataclass(frozen=True)
class _Selection:
    """The matrix's questions for one way of filtering and sorting the students, each a
    statement of (the cohort's key, the search text or None, the inactivity cutoff or None:
    it counts only for only="inactive")."""

    students: Statement[int]
    """How many students are shown (one row; none when there are none)."""
    page: Statement[tuple[Any, ...]]
    """The shown students in order, a slice at a time (see `_STUDENT_COLUMNS`)."""
    states: Statement[tuple[int, str, int]]
    """(stage key, status, records) for the shown students' songs."""
    songs: Statement[int]
    """How many songs the shown students have (one row; none when there are none)."""


_STUDENT_COLUMNS = (
    "user_id",
    "user__first_name",
    "user__last_name",
    "user__username",
    "user__email",
    "joined_at",
)
_SELECTIONS: dict[Hashable, _Selection] = {}


def _selection(
    stages: Sequence[tuple[int, int]], due: tuple[int, ...], sort: str, only: str
) -> _Selection:
    """The statements for this filter and sort (`due` counts only for only="late")."""
    shape = (tuple(stages), due if only == "late" else (), sort, only)
    found = _SELECTIONS.get(shape)
    if found is not None:
        return found

    def chosen(
        cohort_pk: int, query: str | None, cutoff: dt.datetime | None
    ) -> tuple[QuerySet[Membership], QuerySet[Membership]]:
        return _students(
            cohort_pk, stages, due=due, cutoff=cutoff, sort=sort, only=only, query=query or ""
        )

    def shown(
        cohort_pk: int, query: str | None, cutoff: dt.datetime | None
    ) -> QuerySet[Membership]:
        return chosen(cohort_pk, query, cutoff)[0]

    return _SELECTIONS.setdefault(
        shape,
        _Selection(
            students=Statement(
                lambda *values: (
                    shown(*values)
                    .order_by()
                    .values("cohort_id")
                    .annotate(n=Count("pk"))
                    .values_list("n", flat=True)
                )
            ),
            page=Statement(lambda *values: chosen(*values)[1].values_list(*_STUDENT_COLUMNS)),
            states=Statement(lambda *values: _state_counts(values[0], shown(*values))),
            songs=Statement(lambda *values: _song_count(values[0], shown(*values))),
        ),
    )


def _counts(
    selection: _Selection | None,
    values: tuple[Any, ...],
    stages: list[Stage],
    past_due: list[bool],
) -> list[dict[str, int]]:
    """Per stage, the shown students' songs in each state, counted by the database (none
    when `selection` is None). A song without a record for a stage counts as not started
    there; past a stage's date every song not approved there counts as late."""
    rows = selection.states(*values) if selection else []
    song_count = sum(selection.songs(*values)) if selection else 0
    counted: dict[tuple[int, str], int] = {(stage_pk, status): n for stage_pk, status, n in rows}
    counts = []
    for stage, late in zip(stages, past_due, strict=True):
        here = {status.value: counted.get((stage.pk, status), 0) for status in Status}
        here[Status.NOT_STARTED] += song_count - sum(here.values())
        here[LATE] = 0
        if late:
            for status in Status:
                if status != Status.APPROVED:
                    here[LATE] += here.pop(status)
                    here[status] = 0
        counts.append(here)
    return counts


def progress(
    cohort: Cohort,
    *,
    today: dt.date,
    now: dt.datetime,
    inactive_days: int,
    sort: str = "name",
    only: str = "",
    query: str = "",
    page: int | str | None = 1,
    per_page: int = STUDENTS_PER_PAGE,
) -> Matrix:
    """The matrix, a page of students at a time. The database sorts, filters and counts
    the whole cohort (the counts are the whole filtered cohort's); only the page's
    students are read, with their songs, and only their cells are built. A fixed number
    of queries however many students."""
    # What the URL asks for, as one of the known ways: each way is a set of statements,
    # built once and kept, so made-up values must not make more.
    sort = sort if sort in SORTS else "name"
    only = only if only in FILTERS else ""
    stages = catalogue()
    deadlines = schedule(cohort.pk)
    # Per stage, in the catalogue's order: whether its date has passed.
    past_due = [bool((due := deadlines.get(s.pk)) and due < today) for s in stages]
    cutoff = now - dt.timedelta(days=inactive_days)
    after_last = len(stages) + 1
    overdue = tuple(stage.pk for stage, passed in zip(stages, past_due, strict=True) if passed)
    # Late needs a stage past its date: with none, nobody is late.
    selection = (
        None
        if only == "late" and not overdue
        else _selection([(stage.pk, stage.order) for stage in stages], overdue, sort, only)
    )
    # None where there is no search or no inactivity filter: another SQL, not a value.
    values = (cohort.pk, query or None, cutoff if only == "inactive" else None)
    everyone = not (query or only)
    if everyone:
        count = student_count(cohort.pk)
    else:
        count = sum(selection.students(*values)) if selection else 0
    shown = selection.page.rows(count, *values) if selection else []
    paginator: Paginator[Any] = Paginator(shown, per_page)
    found = paginator.get_page(page)
    students = [MatrixStudent(*row) for row in found]
    _with_songs(cohort, stages, students)
    this_page: Page[MatrixStudent] = Page(students, found.number, paginator)

    def current_order(statuses: list[str]) -> int:
        return next(
            (
                s.order
                for s, status in zip(stages, statuses, strict=True)
                if status != Status.APPROVED
            ),
            after_last,
        )

    def inactive(student: MatrixStudent) -> bool:
        moments = (t for t in (student.joined_at, student.last_activity) if t)
        last = max(moments, default=None)
        return last is None or last < cutoff

    url_for = record_url_maker(stages)
    due_on = [deadlines.get(stage.pk) for stage in stages]
    rows = []
    for student in students:
        flagged = inactive(student)
        for position, song in enumerate(student.songs or _NO_SONG):
            statuses: list[str] = song.statuses if song else [Status.NOT_STARTED] * len(stages)
            cells = [
                Cell(
                    stage,
                    status,
                    late=past_due[index] and status != Status.APPROVED,
                    due_on=due_on[index],
                    url=url_for(song.pk, index) if song else "",
                )
                for index, (stage, status) in enumerate(zip(stages, statuses, strict=True))
            ]
            rows.append(
                Row(
                    student,
                    song,
                    position == 0,
                    cells,
                    current_order(statuses),
                    song.last_activity if song else None,
                    flagged,
                )
            )
    return Matrix(
        stages,
        rows,
        _counts(selection, values, stages, past_due),
        inactive_days,
        paginator.count if everyone else student_count(cohort.pk),
        paginator.count,
        this_page,
    )


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


def _owner_name() -> Expression:
    """The record's student's display name, as User.display_name writes it."""
    return Coalesce(
        NullIf(
            Trim(Concat("song__owner__first_name", Value(" "), "song__owner__last_name")),
            Value(""),
        ),
        "song__owner__username",
        output_field=CharField(),
    )


def _approval_days(cohort_pk: int) -> QuerySet[Any]:
    """(stage key, days, student, position, approvals) of the approvals analytics reads:
    per stage, the middle one or two of the durations in order and the slowest."""
    # The days each approval took, per stage (the database works them out).
    # The status is read in the expression rather than filtered on: filtered, the
    # database can pick the index on status and read every approved record of every
    # cohort once per song.
    approvals = (
        StageRecord.objects.filter(song__cohort_id=cohort_pk)
        .annotate(
            days=Case(When(status=Status.APPROVED, then=DaysBetween("started_at", "approved_at")))
        )
        .filter(days__isnull=False)
        .order_by()
    )
    # One pass over each stage's durations in order, longest last and of equal ones the
    # name that sorts last: the middle row (or the two middle ones) gives the median, the
    # last row the slowest.
    by_stage = [F("stage_id")]
    return (
        approvals.annotate(
            name=_owner_name(),
            position=Window(
                RowNumber(),
                partition_by=by_stage,
                order_by=[F("days").asc(), BinaryOrder("name").asc()],
            ),
            total=Window(Count("pk"), partition_by=by_stage),
        )
        .alias(
            wanted=Case(
                When(
                    Q(position__gte=F("total") / 2, position__lte=F("total") / 2 + 1)
                    | Q(position=F("total")),
                    then=Value(True),
                ),
                default=Value(False),
            )
        )
        .filter(wanted=True)
        .values_list("stage_id", "days", "name", "position", "total")
    )


# Analytics' questions that hang on the cohort alone, built once.
_APPROVAL_DAYS: Statement[tuple[int, float, str, int, int]] = Statement(_approval_days)
_SENT_BACK: Statement[tuple[int, int]] = Statement(
    # Every send-back counts, not only the stages still sent back now.
    lambda cohort_pk: (
        Review.objects.filter(record__song__cohort_id=cohort_pk, verdict=Verdict.CHANGES_REQUESTED)
        .order_by()
        .values("record__stage_id")
        .annotate(n=Count("pk"))
        .values_list("record__stage_id", "n")
    )
)
_TURNAROUNDS: Statement[tuple[Any, ...]] = Statement(
    lambda cohort_pk: Review.objects.filter(
        record__song__cohort_id=cohort_pk, submitted_at__isnull=False
    ).values_list(
        "created_at", "submitted_at", "coach__first_name", "coach__last_name", "coach__username"
    )
)


def _here_now(cohort_pk: int, cutoff: dt.datetime) -> QuerySet[Any]:
    """(stage key, songs there, songs there unchanged since `cutoff`): where each song is,
    its first record in stage order not approved."""
    open_records = StageRecord.objects.filter(song__cohort_id=cohort_pk).exclude(
        status=Status.APPROVED
    )
    earlier_open = open_records.filter(
        song_id=OuterRef("song_id"), stage__order__lt=OuterRef("stage__order")
    )
    return (
        open_records.exclude(Exists(earlier_open))
        .order_by()
        .values("stage_id")
        .annotate(here=Count("pk"), stale=Count("pk", filter=Q(updated_at__lt=cutoff)))
        .values_list("stage_id", "here", "stale")
    )


_HERE_NOW: Statement[tuple[int, int, int]] = Statement(_here_now)


def analytics(cohort: Cohort, *, now: dt.datetime, inactive_days: int) -> Analytics:
    """The cohort's figures, aggregated by the database: a handful of rows per stage come
    back, however many records the cohort has."""
    stages = catalogue()
    figures = {stage.pk: StageFigures(stage) for stage in stages}
    cutoff = now - dt.timedelta(days=inactive_days)
    middle: dict[int, list[float]] = defaultdict(list)
    for stage_pk, days, name, position, total in _APPROVAL_DAYS(cohort.pk):
        figures[stage_pk].approved = total
        if 0 <= position * 2 - total <= 2:
            middle[stage_pk].append(days)
        if position == total:
            figures[stage_pk].slowest_days = round(days, 1)
            figures[stage_pk].slowest_student = name
    for stage_pk, values in middle.items():
        figures[stage_pk].median_days = round(statistics.median(values), 1)
    for stage_pk, here, stale in _HERE_NOW(cohort.pk, cutoff):
        figures[stage_pk].here_now = here
        figures[stage_pk].inactive_here = stale

    for stage_pk, sent_back in _SENT_BACK(cohort.pk):
        figures[stage_pk].changes_requested = sent_back

    turnarounds: list[float] = []
    per_coach: dict[str, list[float]] = defaultdict(list)
    for created, submitted, first, last, username in _TURNAROUNDS(cohort.pk):
        assert submitted is not None  # the query keeps only submitted reviews
        hours = (created - submitted).total_seconds() / 3600
        turnarounds.append(hours)
        per_coach[f"{first} {last}".strip() or username].append(hours)
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


_EXPORT_CHUNK = 500
"""Records the export reads at a time: with chunks of 2,000 rows it held 2.1-2.8 MB at
2,000 students against 1.3 MB at 300; chunks of 500 hold about 1 MB at either."""

_EXPORT_STUDENTS: Statement[tuple[int, str, str, str, str]] = Statement(
    lambda cohort_pk: (
        Membership.objects.filter(cohort_id=cohort_pk, role=Role.STUDENT)
        .order_by("user__first_name", "user__last_name", "user__username", "user_id")
        .values_list(
            "user_id", "user__first_name", "user__last_name", "user__username", "user__email"
        )
    )
)


def _export_students(cohort: Cohort) -> list[tuple[int, str]]:
    """The cohort's students by name: each one's key and the fields that start their rows
    (name and e-mail, made safe for a spreadsheet and quoted). Read whole before the
    records stream, which holds the connection until it ends: some 350 bytes a student at
    the peak (tests/bench/bench_pages.py)."""
    students = []
    for pk, first, last, user, email in _EXPORT_STUDENTS(cohort.pk):
        name = MatrixStudent(pk, first, last, user, "", None).display_name
        students.append(
            (pk, f"{_quoted(spreadsheet_safe(name))},{_quoted(spreadsheet_safe(email))},")
        )
    return students


def _export_records(cohort_pk: int) -> QuerySet[StageRecord, tuple[Any, ...]]:
    """Every record of the cohort's students, in the students' order (as _export_students
    reads them), then the matrix's order of songs, with what the export writes of each."""
    # The latest analysed bounce of every record of the cohort, found in one pass over the
    # cohort's bounces rather than looked up again for each of its thousands of records.
    latest = (
        Bounce.objects.filter(record__song__cohort_id=cohort_pk, analysis_state=AnalysisState.DONE)
        .annotate(
            newest=Window(RowNumber(), partition_by=F("record_id"), order_by=F("version").desc())
        )
        .filter(newest=1)
        .order_by()
        .values("pk")
    )
    reviews = (
        Review.objects.filter(record=OuterRef("pk"))
        .order_by()
        .values("record")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        StageRecord.objects.filter(
            song__cohort_id=cohort_pk,
            song__owner__memberships__cohort_id=cohort_pk,
            song__owner__memberships__role=Role.STUDENT,
        )
        .annotate(
            # Typed as a plain Field, the numbers come as the database driver gives them
            # (int, float, None): Django's converter per value of a row, on thousands of
            # rows, cost more than writing them.
            # A stage never submitted has had no review: only the others are counted.
            review_rounds=Case(
                When(round=0, then=Value(0)),
                default=Subquery(reviews[:1]),
                output_field=Field(),
            ),
            bounce=FilteredRelation("bounces", condition=Q(bounces__pk__in=Subquery(latest))),
            # The database writes the timestamps as text: turning thousands of them into
            # datetimes and back cost most of the export's time.
            started_text=IsoMinutes("started_at"),
            submitted_text=IsoMinutes("submitted_at"),
            approved_text=IsoMinutes("approved_at"),
        )
        .order_by(
            "song__owner__first_name",
            "song__owner__last_name",
            "song__owner__username",
            "song__owner_id",
            "-song__updated_at",
            "-song_id",
            "stage__order",
        )
        .values_list(
            "song__owner_id",
            "song_id",
            "song__title",
            "stage_id",
            "status",
            "started_text",
            "submitted_text",
            "approved_text",
            "review_rounds",
            "bounce__version",
            "bounce__integrated_lufs",
            "bounce__true_peak_dbtp",
            "bounce__loudness_range_lu",
        )
    )


_EXPORT_RECORDS: Statement[tuple[Any, ...]] = Statement(_export_records)


def _quoted(value: object) -> str:
    """A field as csv.QUOTE_ALL writes it: in double quotes, a quote inside doubled."""
    return '"' + str(value).replace('"', '""') + '"'


def _fields(values: Sequence[object]) -> str:
    return ",".join(_quoted(value) for value in values)


def _line(values: Sequence[object]) -> str:
    return _fields(values) + "\r\n"


def export_lines(cohort: Cohort, *, today: dt.date) -> Iterator[str]:
    """The export as CSV lines: a header, then one row per student, song and stage (a
    student without a song: one row per stage). Every field is quoted and every text made
    safe for a spreadsheet.

    The records, thousands of them, stream from one query in the students' order, read
    in chunks (`Statement.iterator`), so their memory does not grow with the cohort; the
    students, read before them, are held. Each text is quoted once (a student's name and e-mail,
    a song's title, a stage's columns for each status); what a record adds (its times as
    the database writes them, its numbers) holds no quote to double."""
    stages = catalogue()
    deadlines = schedule(cohort.pk)
    students = _export_students(cohort)
    records = _EXPORT_RECORDS.iterator(_EXPORT_CHUNK, cohort.pk)
    # Order, stage, status, late and due date: what a row takes from its stage and status.
    stage_fields = {
        (stage.pk, status.value): _fields(
            [
                stage.order,
                spreadsheet_safe(stage.name),
                status.value,
                "yes"
                if stage.pk in deadlines
                and deadlines[stage.pk] < today
                and status != Status.APPROVED
                else "no",
                deadlines[stage.pk].isoformat() if stage.pk in deadlines else "",
            ]
        )
        for stage in stages
        for status in Status
    }
    unstarted = [stage_fields[stage.pk, Status.NOT_STARTED.value] for stage in stages]
    yield _line(EXPORT_HEADER)
    record = next(records, None)
    for student_pk, student in students:
        if record is None or record[0] != student_pk:
            for fields in unstarted:
                yield f'{student}"",{fields},"","","","0","","","",""\r\n'
            continue
        song_pk, title = None, ""
        while record is not None and record[0] == student_pk:
            (
                _,
                song,
                song_title,
                stage_pk,
                status,
                started,
                submitted,
                approved,
                rounds,
                version,
                lufs,
                peak,
                lra,
            ) = record
            if song != song_pk:
                song_pk, title = song, _quoted(spreadsheet_safe(song_title))
            yield (
                f"{student}{title},{stage_fields[stage_pk, status]},"
                f'"{started or ""}","{submitted or ""}","{approved or ""}","{rounds or 0}",'
                f'"{f"v{version}" if version else ""}","{"" if lufs is None else lufs}",'
                f'"{"" if peak is None else peak}","{"" if lra is None else lra}"\r\n'
            )
            record = next(records, None)


def export_csv(cohort: Cohort, *, today: dt.date, rows_per_chunk: int = 500) -> Iterator[str]:
    """The export as CSV text in chunks of rows (export_lines)."""
    lines = export_lines(cohort, today=today)
    while chunk := "".join(itertools.islice(lines, rows_per_chunk)):
        yield chunk


class DaysBetween(Func):
    """The days from one timestamp to another as a float, as
    `(end - start).total_seconds() / 86400` gives them; NULL when either is NULL."""

    output_field = Field()  # the driver's float as it is, no converter per value

    def __init__(self, start: str | Expression, end: str | Expression) -> None:
        super().__init__(end, start)  # written as end - start

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s))::double precision / 86400)",
            arg_joiner=" - ",
            **extra,
        )


class BinaryOrder(Func):
    """Text compared code point by code point, as Python compares strings, whatever the
    database's collation."""

    def __init__(self, expression: str | Expression) -> None:
        super().__init__(expression, output_field=CharField())

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s COLLATE BINARY)")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template='(%(expressions)s COLLATE "C")')


class IsoMinutes(Func):
    """A timestamp as `datetime.isoformat(timespec="minutes")` writes it in UTC, the time
    zone Django stores and reads them in ("2026-03-01T09:30+00:00"); NULL stays NULL."""

    output_field = CharField()

    def __init__(self, expression: str | Expression) -> None:
        super().__init__(expression)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps SQLite's timestamps as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]".
        return self.as_sql(
            compiler,
            connection,
            template="(strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M', %(expressions)s) || '+00:00')",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=(
                "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI\"+00:00\"')"
            ),
            **extra,
        )


# Where a spreadsheet could start a cell: the start of the field, or after any character
# some program splits on (comma, semicolon, pipe, tab, a line break), spaces allowed; and
# what it would then run as a formula.
_CELL_START = re.compile(r"(^|[,;|\t\r\n])( *)(?=[=+\-@\t\r])")
_RISKY = re.compile(r"[=+\-@\t\r]")


def spreadsheet_safe(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR where a cell could
    start, whichever separator it splits on) gets an apostrophe there; numbers stay
    numbers. The export also quotes every field."""
    if isinstance(value, str) and _RISKY.search(value):
        return _CELL_START.sub(r"\1\2'", value)
    return value
