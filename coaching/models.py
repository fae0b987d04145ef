"""People and cohorts (one account per person; the role comes from cohort membership), and
the records coaching leaves: reviews, comments, snippets, notifications, activity.

This is the lowest layer of the app: it imports no other app. Models of the layers above
(a stage record, a bounce, a song) are named here only by their labels, and the rule for
whose work a person may see is written once, as a filter any of those models applies
along its path to the song (`work_visible_to`).
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, AnonymousUser, UserManager
from django.core import signing
from django.db import models
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from coaching.statements import Statement
from songs.analysis.units import clock
from stages.balance import BALANCE_MAX, BALANCE_MIN

INVITE_SALT = "stagecoach.invite"


class ReadOnly(Exception):
    """A change refused because what it touches is settled: an archived cohort, or a song
    released or set aside. The message says why, for the person acting; one middleware
    turns it into the refusal page (coaching.middleware.ReadOnlyMiddleware)."""


def _new_key() -> str:
    return secrets.token_urlsafe(32)


class StagecoachUserManager(UserManager["User"]):
    def viewable_students(self, viewer: User | AnonymousUser) -> QuerySet[User]:
        """People whose student work `viewer` may look at: themselves, the students of the
        cohorts they coach, everyone for a course admin."""
        if not viewer.is_authenticated:
            return self.none()
        if viewer.is_course_admin:
            return self.all()
        students = Membership.objects.filter(
            cohort__in=Cohort.objects.coached_by(viewer), role=Role.STUDENT
        )
        return self.filter(models.Q(pk=viewer.pk) | models.Q(pk__in=students.values("user")))


class User(AbstractUser):
    is_course_admin = models.BooleanField(
        "course admin",
        default=False,
        help_text="Runs cohorts: sees every cohort, its students, songs and progress.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message="Another account already uses this e-mail address.",
            )
        ]

    objects: ClassVar[StagecoachUserManager] = StagecoachUserManager()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def coaches_anyone(self) -> bool:
        """Whether this person has a coach's tools: the queue, snippets, cohort pages.
        Asked once per object: a request's user answers the navigation and the page alike."""
        cached: bool | None = self.__dict__.get("_coaches_anyone")
        if cached is None:
            cached = self.is_course_admin or bool(_COACHED_COHORT(self))
            self.__dict__["_coaches_anyone"] = cached
        return cached

    def studies_in_an_active_cohort(self) -> bool:
        """Whether this person is a student of a cohort still running: who may start a
        song. Asked once per object, as coaches_anyone is."""
        cached: bool | None = self.__dict__.get("_studies_in_an_active_cohort")
        if cached is None:
            cached = bool(_ACTIVE_STUDENT_COHORT(self))
            self.__dict__["_studies_in_an_active_cohort"] = cached
        return cached

    def student_cohorts(self) -> CohortQuerySet:
        return Cohort.objects.filter(memberships__user=self, memberships__role=Role.STUDENT)


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    COACH = "coach", "Coach"


class CohortQuerySet(models.QuerySet["Cohort"]):
    def coached_by(self, user: User | AnonymousUser) -> CohortQuerySet:
        """The cohorts `user` is a coach of (course admins coach only where they are members)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user, memberships__role=Role.COACH)

    def visible_to(self, user: User | AnonymousUser) -> CohortQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_course_admin:
            return self.all()
        return self.filter(pk__in=Membership.objects.filter(user=user).values("cohort"))

    def overseen_by(self, user: User | AnonymousUser) -> CohortQuerySet:
        """Cohorts whose progress `user` may follow: course admins all, coaches theirs."""
        if not user.is_authenticated:
            return self.none()
        if user.is_course_admin:
            return self.all()
        return self.coached_by(user).distinct()

    def managed_by(self, user: User | AnonymousUser) -> CohortQuerySet:
        """Cohorts `user` may change (enrol, schedule, archive): course admins only."""
        if not user.is_authenticated or not user.is_course_admin:
            return self.none()
        return self.all()

    def active(self) -> CohortQuerySet:
        return self.filter(archived_at__isnull=True)


class Cohort(models.Model):
    name = models.CharField(max_length=120)
    course = models.CharField(max_length=120, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="Membership", related_name="cohorts")

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def read_only_reason(self) -> str:
        """Why nothing in this cohort may change ("" while it is open): the one rule every
        change of a cohort, its people and its songs' work checks (see ensure_open)."""
        if self.archived_at is not None:
            return (
                f"The cohort “{self.name}” is archived: everything in it can be read, and "
                "nothing changed, until a course admin unarchives it."
            )
        return ""

    def editable_by(self, user: User | AnonymousUser) -> bool:
        """Whether `user` may change the cohort (its details, people, invites): a course
        admin, while it is open."""
        return user.is_authenticated and user.is_course_admin and not self.read_only_reason

    def ensure_open(self) -> None:
        """Raise ReadOnly unless the cohort is open; every workflow that changes the cohort
        or anything in it calls this first."""
        if reason := self.read_only_reason:
            raise ReadOnly(reason)


_COACHED_COHORT: Statement[int] = Statement(
    lambda user: Cohort.objects.coached_by(user).values_list("pk", flat=True)[:1]
)
_ACTIVE_STUDENT_COHORT: Statement[int] = Statement(
    lambda user: user.student_cohorts().active().values_list("pk", flat=True)[:1]
)


class Membership(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "user"], name="membership_once_per_cohort")
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.cohort}"


def work_visible_to(user: User | AnonymousUser, song: str = "") -> models.Q:
    """Whose work `user` may see, as a filter on a song or on anything under one.

    The owner, the coaches of the song's cohort and course admins see a song and all that
    hangs off it. `song` is the lookup path from the filtered model to its song ("" for a
    song itself, "record__song" for a bounce), so the one rule serves every model.
    """
    prefix = f"{song}__" if song else ""
    if not user.is_authenticated:
        return models.Q(pk__in=[])
    if user.is_course_admin:
        return models.Q()
    return models.Q(**{f"{prefix}owner": user}) | models.Q(
        **{f"{prefix}cohort__in": Cohort.objects.coached_by(user)}
    )


class StageDeadline(models.Model):
    """The cohort's schedule: the date each stage should be approved by."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="deadlines")
    stage = models.ForeignKey("stages.Stage", on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField()

    class Meta:
        ordering = ["cohort", "stage__order"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "stage"], name="one_deadline_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.cohort}: {self.stage.name} by {self.due_on:%d %b %Y}"


class InviteQuerySet(models.QuerySet["Invite"]):
    def usable(self) -> InviteQuerySet:
        return self.filter(
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            uses__lt=models.F("max_uses"),
            cohort__archived_at__isnull=True,
        )


class Invite(models.Model):
    """A link that enrols whoever follows it into a cohort, with a role."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invites")
    role = models.CharField(max_length=16, choices=Role.choices)
    key = models.CharField(max_length=43, unique=True, default=_new_key, editable=False)
    expires_at = models.DateTimeField()
    max_uses = models.PositiveIntegerField(default=200)
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InviteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} invite to {self.cohort}"

    @property
    def token(self) -> str:
        return signing.dumps({"invite": self.pk, "key": self.key}, salt=INVITE_SALT)

    @property
    def state(self) -> str:
        if self.cohort.is_archived:
            return "cohort archived"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        if self.uses >= self.max_uses:
            return "used up"
        return "active"

    def take_one_use(self) -> bool:
        """Count one use, unless the invite has run out meanwhile (checked in the UPDATE)."""
        taken = Invite.objects.usable().filter(pk=self.pk).update(uses=models.F("uses") + 1)
        return bool(taken)


# --- Reviews ------------------------------------------------------------------------------


class Verdict(models.TextChoices):
    APPROVED = "approved", "Approve"
    CHANGES_REQUESTED = "changes_requested", "Request changes"


class Mark(models.TextChoices):
    DONE_WELL = "done_well", "Done well"
    NEEDS_WORK = "needs_work", "Needs work"


class Review(models.Model):
    """A coach's verdict on one round (one submission) of a stage record."""

    record = models.ForeignKey(
        "stages.StageRecord", on_delete=models.CASCADE, related_name="reviews"
    )
    round = models.PositiveSmallIntegerField()
    coach = models.ForeignKey(User, on_delete=models.PROTECT, related_name="reviews_given")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    summary = models.TextField(max_length=5000)
    coach_balance = models.SmallIntegerField(
        help_text=f"Where the coach places the work between the poles: {BALANCE_MIN} to "
        f"+{BALANCE_MAX}."
    )
    balance_comment = models.TextField("why there", max_length=2000)
    # The student's own placement when they submitted this round, kept for tendencies.
    self_balance = models.SmallIntegerField(null=True, blank=True)
    # When the round was submitted, kept for the coach's turnaround.
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record", "-round"]
        constraints = [
            models.UniqueConstraint(fields=["record", "round"], name="one_review_per_round"),
            models.CheckConstraint(
                condition=models.Q(coach_balance__gte=BALANCE_MIN, coach_balance__lte=BALANCE_MAX),
                name="coach_balance_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record} · round {self.round} · {self.get_verdict_display()}"


class ReviewDraft(models.Model):
    """A coach's review of one round as it is being written, saved as it is typed and given
    back when the coach returns; gone once the review is sent."""

    record = models.ForeignKey(
        "stages.StageRecord", on_delete=models.CASCADE, related_name="review_drafts"
    )
    round = models.PositiveSmallIntegerField()
    coach = models.ForeignKey(User, on_delete=models.CASCADE, related_name="review_drafts")
    data = models.JSONField(default=dict, help_text="The verdict form's fields as typed.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record", "round", "coach"], name="one_draft_per_coach_and_round"
            )
        ]

    def __str__(self) -> str:
        return f"Draft by {self.coach} of {self.record} round {self.round}"


class ActionMark(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="marks")
    action = models.ForeignKey("stages.CoreAction", on_delete=models.PROTECT, related_name="+")
    mark = models.CharField(max_length=12, choices=Mark.choices)

    class Meta:
        ordering = ["action__position"]
        constraints = [
            models.UniqueConstraint(fields=["review", "action"], name="one_mark_per_action")
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.get_mark_display()}"


# --- Comments -----------------------------------------------------------------------------


class CommentQuerySet(models.QuerySet["Comment"]):
    def visible_to(self, user: User | AnonymousUser) -> CommentQuerySet:
        return self.filter(work_visible_to(user, "record__song"))

    def unresolved(self) -> CommentQuerySet:
        return self.filter(parent__isnull=True, resolved_at__isnull=True)


def voice_upload_to(instance: Comment, filename: str) -> str:
    # The stored name is generated; nothing of the browser's file name is kept.
    extension = filename.rsplit(".", 1)[-1][:5] if "." in filename else "webm"
    return f"voice/{instance.record_id}/{secrets.token_hex(16)}.{extension}"


class Comment(models.Model):
    """A remark on a stage record, optionally on a bounce at a moment (or a range) in it.

    Threads are one level deep: replies hang off the comment that opened the thread.
    """

    record = models.ForeignKey(
        "stages.StageRecord", on_delete=models.CASCADE, related_name="comments"
    )
    bounce = models.ForeignKey(
        "songs.Bounce", null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField(max_length=5000, blank=True)
    # A spoken comment, recorded in the browser: stored under a generated name and served
    # only through the comment's own permission-checked view.
    voice = models.FileField(upload_to=voice_upload_to, max_length=200, blank=True)
    voice_content_type = models.CharField(max_length=40, blank=True)
    voice_duration_s = models.FloatField(null=True, blank=True)
    voice_size_bytes = models.PositiveIntegerField(null=True, blank=True)
    at_s = models.FloatField(null=True, blank=True, help_text="Seconds into the bounce.")
    until_s = models.FloatField(null=True, blank=True, help_text="End of a marked range.")
    blocking = models.BooleanField(
        default=False, help_text="The stage cannot be approved while this stays unresolved."
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["record", "resolved_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(at_s__isnull=True) | models.Q(at_s__gte=0),
                name="comment_time_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(until_s__isnull=True)
                | models.Q(at_s__isnull=False, until_s__gt=models.F("at_s")),
                name="comment_range_forwards",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.record}: {self.body[:40]}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def moment_label(self) -> str:
        """The marked moment as m:ss, or a range m:ss–m:ss; empty when there is none."""
        if self.at_s is None:
            return ""
        label = clock(self.at_s)
        return f"{label}–{clock(self.until_s)}" if self.until_s is not None else label


class Snippet(models.Model):
    """A ready piece of feedback a coach inserts into a comment and edits.

    Without a coach it belongs to everyone; with a `check_id` it is offered when that
    analysis check did not pass on the bounce being discussed.
    """

    coach = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="snippets"
    )
    check_id = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=80)
    body = models.TextField(max_length=2000)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def check_label(self) -> str:
        return self.check_id.replace("_", " ")


# --- Activity -----------------------------------------------------------------------------


class Activity(models.Model):
    """One state change: who did what, when, to which song or cohort."""

    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=40)
    message = models.CharField(max_length=300)
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.CASCADE, related_name="activity"
    )
    song = models.ForeignKey(
        "songs.Song", null=True, blank=True, on_delete=models.CASCADE, related_name="activity"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "activity"
        indexes = [
            models.Index(fields=["cohort", "-created_at"]),
            models.Index(fields=["song", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.message


# --- Notifications ------------------------------------------------------------------------


class Notification(models.Model):
    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submission"
        REVIEWED = "reviewed", "Review"
        COMMENTED = "commented", "Comment"

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Comments are e-mailed together once a sitting ends (coaching.services.send_comment_mail);
    # until then the notification is owed an e-mail.
    mail_due = models.BooleanField(default=False)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["mail_due", "recipient"]),
        ]

    def __str__(self) -> str:
        return self.message
