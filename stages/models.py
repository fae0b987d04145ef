"""The seven stages (shipped as data) and each song's record of working through them.

A record belongs to a song (named by its label: songs sit in the layer above); who may
see a record is the coaching layer's one rule, applied along the record's path to its song.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.contrib.auth.models import AnonymousUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone

from coaching.links import KEY, url_parts
from coaching.models import Cohort, User, work_visible_to
from coaching.statements import Statement
from stages.balance import BALANCE_MAX, BALANCE_MIN

JOURNAL_MAX_CHARS = 20_000


class StageRuleError(Exception):
    """A change the stage rules do not allow. The message is written for the student."""


class Stage(models.Model):
    order = models.PositiveSmallIntegerField(unique=True)
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    theme = models.CharField(max_length=60)
    question = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="A few sentences shown on the stage page.")
    left_pole = models.CharField(max_length=40)
    right_pole = models.CharField(max_length=40)
    balance_note = models.TextField(
        blank=True, help_text="What goes wrong at each end of the balance point."
    )
    takeaway = models.CharField(max_length=200)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


_CATALOGUE: Statement[Stage] = Statement(lambda: Stage.objects.all())


def catalogue() -> list[Stage]:
    """The seven stages in course order: every board, matrix and queue lays out by them."""
    return _CATALOGUE()


def record_url_maker(stages: Sequence[Stage]) -> Callable[[int, int], str]:
    """The stage page's URL for a song and a stage's position in `stages`, without
    reversing a URL each time (a matrix has hundreds of cells, a board dozens of cards)."""
    # Reversed once, each stage's slug then put in its place.
    head, tail = url_parts("stages:record", KEY, "stage-slug")
    tails = [tail.replace("stage-slug", stage.slug) for stage in stages]
    return lambda song_pk, index: f"{head}{song_pk}{tails[index]}"


class CoreAction(models.Model):
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="core_actions")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=80)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["stage__order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "position"], name="core_action_position")
        ]

    def __str__(self) -> str:
        return self.title


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted for review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"


OPEN_STATUSES = frozenset({Status.IN_PROGRESS, Status.CHANGES_REQUESTED})
"""While a stage is in one of these, its owner works on it: ticks, journal, bounces."""


class StageRecordQuerySet(models.QuerySet["StageRecord"]):
    def visible_to(self, user: User | AnonymousUser) -> StageRecordQuerySet:
        return self.filter(work_visible_to(user, "song"))

    def reviewable_by(self, user: User | AnonymousUser) -> StageRecordQuerySet:
        """Records a coach reviews: those of the cohorts they coach (course admins: all),
        never their own. An archived cohort's records stay readable here; reviewing them
        is refused by the song's rule (Song.ensure_open)."""
        if not user.is_authenticated:
            return self.none()
        records = self.exclude(song__owner=user)  # nobody reviews their own work
        if user.is_course_admin:
            return records
        return records.filter(song__cohort__in=Cohort.objects.coached_by(user))

    def at_work(self) -> StageRecordQuerySet:
        """Records of songs still being worked on: not in an archived cohort, not released
        or set aside (the queryset form of Song.read_only_reason, for lists)."""
        return self.filter(
            song__cohort__archived_at__isnull=True,
            song__released_at__isnull=True,
            song__archived_at__isnull=True,
        )

    def awaiting_review(self) -> StageRecordQuerySet:
        """Submitted and waiting on songs at work: what a review queue lists."""
        return self.filter(status=Status.SUBMITTED).at_work()


class StageRecord(models.Model):
    song = models.ForeignKey("songs.Song", on_delete=models.CASCADE, related_name="records")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="records")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    completed_actions = models.ManyToManyField(CoreAction, blank=True, related_name="+")
    journal = models.TextField(blank=True, max_length=JOURNAL_MAX_CHARS)
    self_balance = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(BALANCE_MIN), MaxValueValidator(BALANCE_MAX)],
        help_text="The student's own place between the two poles: -5 (left) to +5 (right).",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)
    round = models.PositiveSmallIntegerField(
        default=0, help_text="How many times the stage has been submitted for review."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = StageRecordQuerySet.as_manager()

    class Meta:
        ordering = ["song", "stage__order"]
        constraints = [
            models.UniqueConstraint(fields=["song", "stage"], name="one_record_per_song_stage"),
            models.CheckConstraint(
                condition=models.Q(self_balance__gte=BALANCE_MIN, self_balance__lte=BALANCE_MAX)
                | models.Q(self_balance__isnull=True),
                name="self_balance_in_range",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.song} · {self.stage.name}"

    # --- Reading ----------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the stage is being worked on (in progress, or sent back with changes)."""
        return self.status in OPEN_STATUSES

    def editable_by(self, user: User | AnonymousUser) -> bool:
        """Whether `user` may work on this stage: the song's rule (see Song.editable_by)."""
        return self.song.editable_by(user)

    def previous_record(self) -> StageRecord | None:
        return (
            StageRecord.objects.filter(song_id=self.song_id, stage__order__lt=self.stage.order)
            .select_related("stage")
            .order_by("-stage__order")
            .first()
        )

    # --- State changes ----------------------------------------------------------------
    # Each change first asks whether the song may change at all (Song.ensure_open: not in
    # an archived cohort, not released or set aside), then locks the row, checks the rule
    # against the stored state (not the copy the caller holds); repeats of a change already
    # made are quiet no-ops, so a double-clicked button does no harm.

    def start(self) -> bool:
        self.song.ensure_open()
        with transaction.atomic():
            locked = self._lock()
            if locked.status in OPEN_STATUSES:
                return False
            if locked.status != Status.NOT_STARTED:
                raise StageRuleError(f"{self.stage.name} is {locked.get_status_display().lower()}.")
            previous = locked.previous_record()
            if previous and previous.status in {Status.NOT_STARTED, Status.IN_PROGRESS}:
                raise StageRuleError(
                    f"Submit {previous.stage.name} for review before you start {self.stage.name}."
                )
            locked.status = Status.IN_PROGRESS
            locked.started_at = timezone.now()
            locked.save(update_fields=["status", "started_at", "updated_at"])
        self._take(locked, "status", "started_at", "updated_at")
        return True

    def submit(self) -> bool:
        self.song.ensure_open()
        with transaction.atomic():
            locked = self._lock()
            if locked.status == Status.SUBMITTED:
                return False
            if locked.status not in OPEN_STATUSES:
                raise StageRuleError(
                    f"{self.stage.name} is {locked.get_status_display().lower()} and cannot be"
                    " submitted."
                )
            missing = locked.missing_for_submission()
            if missing:
                raise StageRuleError("Before you submit, " + " and ".join(missing) + ".")
            locked.status = Status.SUBMITTED
            locked.submitted_at = timezone.now()
            locked.round += 1
            locked.save(update_fields=["status", "submitted_at", "round", "updated_at"])
        self._take(locked, "status", "submitted_at", "round", "updated_at")
        return True

    def missing_for_submission(self) -> list[str]:
        total = len(self.stage.core_actions.all())
        done = self.completed_actions.count()
        missing = []
        if done < total:
            missing.append(f"tick all {total} core actions ({done} of {total} done)")
        if self.self_balance is None:
            missing.append(
                f"place yourself between {self.stage.left_pole} and {self.stage.right_pole}"
            )
        return missing

    def reopen(self) -> bool:
        self.song.ensure_open()
        with transaction.atomic():
            locked = self._lock()
            if locked.status in OPEN_STATUSES:
                return False
            if locked.status not in {Status.SUBMITTED, Status.APPROVED}:
                raise StageRuleError(f"{self.stage.name} has not been started yet.")
            locked.status = Status.IN_PROGRESS
            locked.reopened_count += 1
            locked.save(update_fields=["status", "reopened_count", "updated_at"])
        self._take(locked, "status", "reopened_count", "updated_at")
        return True

    def approve(self) -> bool:
        return self._decide(Status.APPROVED)

    def request_changes(self) -> bool:
        return self._decide(Status.CHANGES_REQUESTED)

    def _decide(self, verdict: Status) -> bool:
        self.song.ensure_open()
        with transaction.atomic():
            locked = self._lock()
            if locked.status == verdict:
                return False
            if locked.status != Status.SUBMITTED:
                raise StageRuleError(f"{self.stage.name} is not waiting for a review.")
            locked.status = verdict
            fields = ["status", "updated_at"]
            if verdict == Status.APPROVED:
                locked.approved_at = timezone.now()
                fields.append("approved_at")
            locked.save(update_fields=fields)
        self._take(locked, *fields)
        return True

    # --- Editing while in progress ----------------------------------------------------

    def set_action_done(self, action: CoreAction, done: bool) -> None:
        self._require_editable()
        if action.stage_id != self.stage_id:
            raise StageRuleError("That core action belongs to another stage.")
        if done:
            self.completed_actions.add(action)
        else:
            self.completed_actions.remove(action)
        self.save(update_fields=["updated_at"])

    def write_journal(self, text: str) -> None:
        self._require_editable()
        if len(text) > JOURNAL_MAX_CHARS:
            raise StageRuleError(
                f"The journal holds up to {JOURNAL_MAX_CHARS:,} characters; this is {len(text):,}."
            )
        self.journal = text
        self.save(update_fields=["journal", "updated_at"])

    def place_balance(self, value: int) -> None:
        self._require_editable()
        if not BALANCE_MIN <= value <= BALANCE_MAX:
            raise StageRuleError(f"Choose a place from {BALANCE_MIN} to +{BALANCE_MAX}.")
        self.self_balance = value
        self.save(update_fields=["self_balance", "updated_at"])

    def _require_editable(self) -> None:
        self.song.ensure_open()
        current = StageRecord.objects.values_list("status", flat=True).get(pk=self.pk)
        if current not in OPEN_STATUSES:
            self.status = current
            hints: dict[str, str] = {
                Status.NOT_STARTED: "Start the stage first.",
                Status.SUBMITTED: "It is waiting for review; reopen it to change it.",
                Status.APPROVED: "It is approved; reopen it to change it.",
            }
            hint = hints.get(current, "")
            raise StageRuleError(f"{self.stage.name} cannot be changed now. {hint}".strip())

    def _lock(self) -> StageRecord:
        return (
            StageRecord.objects.select_for_update(of=("self",))
            .select_related("stage")
            .get(pk=self.pk)
        )

    def _take(self, other: StageRecord, *fields: str) -> None:
        for field in fields:
            setattr(self, field, getattr(other, field))
