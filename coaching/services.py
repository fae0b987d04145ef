"""Coaching workflows: submissions, reviews, comments and the notifications they send."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.urls import reverse
from django.utils import timezone

from coaching import activity, voice
from coaching.models import (
    ActionMark,
    Cohort,
    Comment,
    Mark,
    Notification,
    Review,
    ReviewDraft,
    Role,
    StageDeadline,
    User,
    Verdict,
)
from coaching.statements import Statement
from songs import quota
from songs.analysis.units import clock
from songs.models import Bounce, Song
from stages.balance import BALANCE_MAX, BALANCE_MIN
from stages.models import Stage, StageRecord, StageRuleError, Status

logger = logging.getLogger(__name__)


class CoachingError(Exception):
    """A coaching action the rules refuse. The message is written for the person acting."""


class ApprovalBlocked(CoachingError):
    """An approval refused while blocking comments are open (the page already lists them)."""


class VoiceNoteRefused(CoachingError):
    """A voice note refused for its content, length or size; the text typed with it is kept."""


# --- Notifications -------------------------------------------------------------------------


Mail = tuple[str, str, str, list[str]]


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    message: str,
    url: str,
    actor: User | None = None,
    details: str = "",
    batched: bool = False,
) -> list[Notification]:
    """Tell people in the app at once, and by e-mail: sent once the transaction commits, or
    (`batched`, for comments) together with the others of the same sitting."""
    people = {person.pk: person for person in recipients if actor is None or person.pk != actor.pk}
    later = batched and settings.COMMENT_MAIL_SITTING_S > 0
    later = later and not settings.CELERY_TASK_ALWAYS_EAGER
    notes = Notification.objects.bulk_create(
        Notification(
            recipient=person,
            kind=kind,
            message=message[:300],
            url=url,
            mail_due=later and bool(person.email),
        )
        for person in people.values()
    )
    if later:
        return notes
    body = f"{message}\n\n{details}\n" if details else f"{message}\n"
    mails = [
        (
            f"Stagecoach: {message[:120]}",
            f"{body}\nOpen it here: {settings.SITE_URL}{url}\n",
            settings.DEFAULT_FROM_EMAIL,
            [person.email],
        )
        for person in people.values()
        if person.email
    ]
    if mails:
        transaction.on_commit(functools.partial(_send, tuple(mails)))
    return notes


def send_comment_mail(*, now: dt.datetime | None = None) -> int:
    """E-mail each reader the comments of a sitting that has ended, as one message: no new
    comment for COMMENT_MAIL_SITTING_S, or the first waiting three times that. Returns the
    number of e-mails sent."""
    now = now or timezone.now()
    sitting = dt.timedelta(seconds=settings.COMMENT_MAIL_SITTING_S)
    due = Notification.objects.filter(mail_due=True).select_related("recipient")
    by_reader: dict[int, list[Notification]] = {}
    for note in due.order_by("created_at", "pk"):
        by_reader.setdefault(note.recipient_id, []).append(note)
    mails: list[Mail] = []
    sent: list[int] = []
    for notes in by_reader.values():
        if notes[-1].created_at > now - sitting and notes[0].created_at > now - 3 * sitting:
            continue  # the sitting goes on
        mails.append(_digest(notes))
        sent += [note.pk for note in notes]
    if mails:
        _send(tuple(mails))
        Notification.objects.filter(pk__in=sent).update(mail_due=False, mailed_at=now)
    return len(mails)


def _digest(notes: list[Notification]) -> Mail:
    count = len(notes)
    things = "comment" if count == 1 else "comments"
    subject = f"Stagecoach: {count} new {things}"
    lines = [f"{note.message}\n  {settings.SITE_URL}{note.url}" for note in notes]
    body = "\n\n".join(lines)
    return (subject, f"{body}\n", settings.DEFAULT_FROM_EMAIL, [notes[0].recipient.email])


def _send(mails: tuple[tuple[str, str, str, list[str]], ...]) -> None:
    try:
        send_mass_mail(mails, fail_silently=False)
    except Exception:  # a mail server outage must not undo or break the action itself
        logger.exception("Could not send %d notification e-mail(s)", len(mails))


def coaches_of(record: StageRecord) -> list[User]:
    return list(
        User.objects.filter(
            memberships__cohort_id=record.song.cohort_id, memberships__role=Role.COACH
        ).distinct()
    )


# --- Submission and review ------------------------------------------------------------------


def submit_record(*, record: StageRecord, by: User) -> bool:
    """The student submits a stage for review; the cohort's coaches are told."""
    with transaction.atomic():
        changed = record.submit()
        if changed:
            activity.log(
                actor=by,
                verb="submitted",
                message=f"{by.display_name} submitted {record.stage.name} of “{record.song.title}” "
                f"(round {record.round}).",
                song=record.song,
            )
            notify(
                recipients=coaches_of(record),
                kind=Notification.Kind.SUBMITTED,
                message=f"{by.display_name} submitted {record.stage.name} of “{record.song.title}” "
                f"for review (round {record.round}).",
                url=reverse("coaching:review", args=[record.pk]),
                actor=by,
            )
    return changed


def blocking_comments(record: StageRecord) -> list[Comment]:
    return list(Comment.objects.unresolved().filter(record=record, blocking=True))


def review_record(
    *,
    record: StageRecord,
    coach: User,
    verdict: str,
    summary: str,
    coach_balance: int,
    balance_comment: str,
    marks: Mapping[int, str],
) -> Review:
    """A coach's verdict on the current round: approve (locks the stage) or send it back."""
    record.song.ensure_open()
    if not BALANCE_MIN <= coach_balance <= BALANCE_MAX:
        raise CoachingError(f"Place the work on the scale from {BALANCE_MIN} to +{BALANCE_MAX}.")
    with transaction.atomic():
        locked = (
            StageRecord.objects.select_for_update(of=("self",))
            .select_related("stage", "song")
            .get(pk=record.pk)
        )
        if locked.status != Status.SUBMITTED:
            raise CoachingError(
                f"{locked.stage.name} is {locked.get_status_display().lower()}, not waiting "
                "for a review."
            )
        if verdict == Verdict.APPROVED and (blocking := blocking_comments(locked)):
            raise ApprovalBlocked(
                f"{len(blocking)} blocking comment{'s' if len(blocking) != 1 else ''} "
                "still open: resolve them, or request changes instead."
            )
        actions = {action.pk: action for action in locked.stage.core_actions.all()}
        if set(marks) - set(actions) or any(m not in Mark.values for m in marks.values()):
            raise CoachingError("Mark only this stage's core actions.")
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    record=locked,
                    round=locked.round,
                    coach=coach,
                    verdict=verdict,
                    summary=summary,
                    coach_balance=coach_balance,
                    balance_comment=balance_comment,
                    self_balance=locked.self_balance,
                    submitted_at=locked.submitted_at,
                )
        except IntegrityError:
            raise CoachingError("This round has already been reviewed.") from None
        # The round is reviewed: every draft of it (anyone's) has served its purpose.
        ReviewDraft.objects.filter(record=locked, round=locked.round).delete()
        ActionMark.objects.bulk_create(
            ActionMark(review=review, action=actions[pk], mark=mark) for pk, mark in marks.items()
        )
        try:
            if verdict == Verdict.APPROVED:
                locked.approve()
            else:
                locked.request_changes()
        except StageRuleError as exc:
            raise CoachingError(str(exc)) from None
        what = f"{locked.stage.name} of “{locked.song.title}”"
        if verdict == Verdict.APPROVED:
            done = f"{coach.display_name} approved {what}"
        else:
            done = f"{coach.display_name} sent {what} back with changes to make"
        activity.log(
            actor=coach,
            verb=verdict,
            message=f"{done} (round {locked.round}).",
            song=locked.song,
        )
        notify(
            recipients=[locked.song.owner],
            kind=Notification.Kind.REVIEWED,
            message=f"{done}.",
            url=reverse("stages:record", args=[locked.song_id, locked.stage.slug]) + "#reviews",
            actor=coach,
            details=f"{coach.display_name}'s summary:\n{summary}",
        )
    record.refresh_from_db()
    return review


# --- Review drafts --------------------------------------------------------------------------


def review_draft(*, record: StageRecord, coach: User) -> ReviewDraft | None:
    """The coach's review of the current round as typed so far, if there is one."""
    return ReviewDraft.objects.filter(record=record, round=record.round, coach=coach).first()


def save_review_draft(*, record: StageRecord, coach: User, data: Mapping[str, str]) -> ReviewDraft:
    """Keep the coach's review of the current round as typed so far (one draft per coach and
    round); sending the review deletes it. Refused once the song is settled, or once the
    round is no longer waiting for a review."""
    record.song.ensure_open()
    if record.status != Status.SUBMITTED:
        raise CoachingError(
            f"{record.stage.name} is {record.get_status_display().lower()}, not waiting for a "
            "review: the draft was not saved."
        )
    draft, _ = ReviewDraft.objects.update_or_create(
        record=record, round=record.round, coach=coach, defaults={"data": dict(data)}
    )
    return draft


# --- The review queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """Which part of the queue a coach works through: a cohort, a stage, a student (each
    optional). Review pages carry them in their links, so the order stays the queue's."""

    cohort: int | None = None
    stage: str = ""
    student: int | None = None

    @property
    def query_string(self) -> str:
        """The filters as a query string to append to a URL ("?cohort=3"), or ""."""
        chosen = {"cohort": self.cohort, "stage": self.stage, "student": self.student}
        query = urlencode({name: value for name, value in chosen.items() if value})
        return f"?{query}" if query else ""


def review_queue(*, coach: User, filters: QueueFilters) -> QuerySet[StageRecord]:
    """The submissions waiting for `coach`, oldest first, as the queue lists them: those
    of the cohorts they coach (course admins: all), never their own, on songs still at
    work (StageRecord.objects.reviewable_by(...).awaiting_review(), with the filters)."""
    # The song's side is asked per submitted record, in a subquery the database cannot
    # turn into a join: the query then starts from the (status, submitted_at) index and
    # reads only what waits, never a cohort's thousands of songs. As a join, a planner
    # without statistics on the songs (a freshly filled table) starts from the songs.
    song_rules = Q(
        pk=OuterRef("song_id"),
        archived_at__isnull=True,
        released_at__isnull=True,
        cohort__archived_at__isnull=True,
    ) & ~Q(owner=coach)
    if not coach.is_course_admin:
        # Cohort.objects.coached_by(coach) as a join, cheaper than a subquery in a subquery;
        # a person is a member of a cohort once, so it keeps one row per song.
        song_rules &= Q(cohort__memberships__user=coach, cohort__memberships__role=Role.COACH)
    if filters.cohort:
        song_rules &= Q(cohort_id=filters.cohort)
    if filters.student:
        song_rules &= Q(owner_id=filters.student)
    open_song = Song.objects.filter(song_rules).order_by().values("pk")
    record_rules = Q(status=Status.SUBMITTED, open_song__isnull=False)
    if filters.stage:
        record_rules &= Q(stage__slug=filters.stage)
    waiting = StageRecord.objects.alias(open_song=Subquery(open_song)).filter(record_rules)
    return waiting.order_by("submitted_at", "pk")


def with_due_dates(
    records: QuerySet[StageRecord], *, today: dt.date | None = None
) -> QuerySet[StageRecord]:
    """Records with `due_on` (the cohort's date for the stage, or None) and `late` (that date
    has passed and the stage is not approved), in the same query."""
    today = today or timezone.localdate()
    # One deadline per cohort and stage: the model's ordering (two joins) would sort one row.
    due = (
        StageDeadline.objects.filter(
            cohort_id=OuterRef("song__cohort_id"), stage_id=OuterRef("stage_id")
        )
        .order_by()
        .values("due_on")[:1]
    )
    return records.annotate(due_on=Subquery(due)).annotate(
        late=ExpressionWrapper(
            Q(due_on__lt=today) & ~Q(status=Status.APPROVED), output_field=BooleanField()
        )
    )


@dataclass(frozen=True)
class QueueRow:
    """A submission as the queue's table shows it."""

    pk: int
    submitted_at: dt.datetime | None
    round: int
    due_on: dt.date | None
    late: bool
    student: str
    song: str
    stage: Stage
    cohort: Cohort


@dataclass(frozen=True)
class QueuePage:
    """Some rows of the queue, and how many wait and are late in all of it."""

    rows: list[QueueRow]
    total: int
    late: int


def _chosen(filters: QueueFilters) -> tuple[int | None, str | None, int | None]:
    """The filters as a statement's arguments: None for each one not chosen."""
    return filters.cohort or None, filters.stage or None, filters.student or None


def _waiting(
    coach: User, cohort: int | None, stage: str | None, student: int | None
) -> QuerySet[StageRecord]:
    """review_queue for a statement's arguments (the filters as `_chosen` gives them)."""
    filters = QueueFilters(cohort=cohort, stage=stage or "", student=student)
    return review_queue(coach=coach, filters=filters)


def _queue_rows(coach: User, today: dt.date, *chosen: Any) -> QuerySet[Any]:
    return (
        with_due_dates(_waiting(coach, *chosen), today=today)
        .annotate(total=Window(Count("pk")), total_late=Window(Count("pk", filter=Q(late=True))))
        .values_list(
            "pk",
            "submitted_at",
            "round",
            "due_on",
            "late",
            "song__owner__first_name",
            "song__owner__last_name",
            "song__owner__username",
            "song__title",
            "stage_id",
            "song__cohort_id",
            "total",
            "total_late",
            named=True,
        )
    )


# A statement per coach's shape and filters given (an absent filter is None).
_QUEUE_ROWS: Statement[Any] = Statement(_queue_rows)
_QUEUE_KEYS: Statement[int] = Statement(
    lambda coach, *chosen: _waiting(coach, *chosen).values_list("pk", flat=True)
)


def queue_page(
    *,
    coach: User,
    filters: QueueFilters,
    offset: int,
    limit: int,
    stages: Mapping[int, Stage],
    cohorts: Mapping[int, Cohort],
    today: dt.date | None = None,
) -> QueuePage:
    """`limit` rows of the coach's queue (review_queue with these filters and due dates)
    from `offset`, as its table shows them, and the counts over the whole queue, in one
    query: the counts are window functions, which see every row before the page is cut.
    Plain values: a page's rows need no model instances. Past the end no row carries the
    counts: they are 0.

    The stages and cohorts are named from the page's own lists of them (its filters'
    choices: every stage, the cohorts the coach oversees that are not archived, so every
    waiting record's), not joined again for each row."""
    today = today or timezone.localdate()
    rows = _QUEUE_ROWS.slice(offset, offset + limit, coach, today, *_chosen(filters))
    return QueuePage(
        rows=[
            QueueRow(
                pk=row.pk,
                submitted_at=row.submitted_at,
                round=row.round,
                due_on=row.due_on,
                late=row.late,
                # User.display_name
                student=f"{row.song__owner__first_name} {row.song__owner__last_name}".strip()
                or row.song__owner__username,
                song=row.song__title,
                stage=stages[row.stage_id],
                cohort=cohorts[row.song__cohort_id],
            )
            for row in rows
        ],
        total=rows[0].total if rows else 0,
        late=rows[0].total_late if rows else 0,
    )


@dataclass(frozen=True)
class QueuePlace:
    """Where a record sits in a coach's queue, and the submissions either side of it."""

    total: int
    position: int | None = None  # from 1; None when the record is not waiting in this queue
    previous: int | None = None
    next: int | None = None
    skip_to: int | None = None  # the next one, or after the last the oldest other one waiting


def queue_place(*, record: StageRecord, coach: User, filters: QueueFilters) -> QueuePlace:
    """The record's place in the queue (with these filters) and its neighbours, in one query."""
    waiting = _QUEUE_KEYS(coach, *_chosen(filters))
    if record.pk not in waiting:
        return QueuePlace(total=len(waiting), skip_to=waiting[0] if waiting else None)
    index = waiting.index(record.pk)
    following = waiting[index + 1] if index + 1 < len(waiting) else None
    oldest_other = next((pk for pk in waiting if pk != record.pk), None)
    return QueuePlace(
        total=len(waiting),
        position=index + 1,
        previous=waiting[index - 1] if index else None,
        next=following,
        skip_to=following or oldest_other,
    )


# --- Comments -------------------------------------------------------------------------------


def may_review(user: User, record: StageRecord) -> bool:
    return StageRecord.objects.reviewable_by(user).filter(pk=record.pk).exists()


def add_comment(
    *,
    record: StageRecord,
    author: User,
    body: str,
    bounce: Bounce | None = None,
    parent: Comment | None = None,
    at_s: float | None = None,
    until_s: float | None = None,
    blocking: bool = False,
    voice_note: UploadedFile[bytes] | None = None,
) -> Comment:
    """A comment: text, a voice note (a recording, checked by its content), or both."""
    record.song.ensure_open()
    body = body.strip()
    if not body and voice_note is None:
        raise CoachingError("Write something first.")
    if bounce is not None and bounce.record_id != record.pk:
        raise CoachingError("That bounce belongs to another stage.")
    if parent is not None:
        if parent.record_id != record.pk:
            raise CoachingError("That comment belongs to another stage.")
        parent = parent.parent or parent  # threads stay one level deep
        bounce, at_s, until_s, blocking = parent.bounce, None, None, False
    if at_s is not None:
        if bounce is None:
            raise CoachingError("A time only makes sense on a bounce.")
        if at_s < 0 or (bounce.duration_s is not None and at_s > bounce.duration_s + 0.5):
            raise CoachingError("That moment is outside the bounce.")
        if until_s is not None and until_s <= at_s:
            until_s = None
    if blocking and not may_review(author, record):
        raise CoachingError("Only a coach can mark a comment as blocking.")
    note = _voice_note(voice_note) if voice_note is not None else None
    # A student's own voice notes count towards their storage quota; a coach's do not.
    if (
        note is not None
        and author.pk == record.song.owner_id
        and (refused := quota.refusal(owner=author, adding_bytes=note.size_bytes))
    ):
        raise VoiceNoteRefused(refused)
    comment = Comment(
        record=record,
        bounce=bounce,
        parent=parent,
        author=author,
        body=body,
        at_s=at_s,
        until_s=until_s,
        blocking=blocking,
    )
    if note is not None:
        comment.voice_content_type = note.content_type
        comment.voice_duration_s = note.duration_s
        comment.voice_size_bytes = note.size_bytes
        # Stored under a generated name (coaching.models.voice_upload_to); only the
        # extension of the container it was copied into is kept.
        comment.voice.save(f"note.{note.extension}", ContentFile(note.data), save=False)
    try:
        with transaction.atomic():
            if note is not None and author.pk == record.song.owner_id:
                refused = quota.locked_refusal(owner=author, adding_bytes=note.size_bytes)
                if refused:
                    raise VoiceNoteRefused(refused)
            comment.save()
    except Exception:
        if comment.voice:  # no row holds the stored note: do not leave it behind
            comment.voice.delete(save=False)
        raise
    _notify_comment(comment)
    return comment


def _voice_note(upload: UploadedFile[bytes]) -> voice.VoiceNote:
    if upload.file is None:
        raise VoiceNoteRefused("The recording is empty: nothing was recorded. Record it again.")
    try:
        return voice.prepare(upload.file, size_bytes=upload.size)
    except voice.VoiceRefused as exc:
        raise VoiceNoteRefused(str(exc)) from None


def _notify_comment(comment: Comment) -> None:
    record = comment.record
    owner = record.song.owner
    if comment.author_id != owner.pk:
        recipients = [owner]
    elif comment.parent is not None:
        recipients = [comment.parent.author]
    else:
        recipients = coaches_of(record)
    where = f"{record.stage.name} of “{record.song.title}”"
    if comment.bounce is not None:
        where = f"{comment.bounce.label} of {where}"
    moment = f" at {comment.moment_label}" if comment.moment_label else ""
    who = comment.author.display_name
    if comment.parent is not None:
        whose = "your" if comment.parent.author_id in {r.pk for r in recipients} else "the"
        said = f"{who} replied to {whose} comment on {where}"
    else:
        said = f"{who} commented on {where}{moment}"
    url = (
        reverse("songs:bounce", args=[comment.bounce_id])
        if comment.bounce_id
        else reverse("stages:record", args=[record.song_id, record.stage.slug])
    )
    text = comment.body[:120]
    if comment.voice:
        spoken = f"a voice note ({clock(comment.voice_duration_s or 0)})"
        text = f"{text} (with {spoken})" if text else spoken
    notify(
        recipients=recipients,
        kind=Notification.Kind.COMMENTED,
        message=f"{said}: {text}",
        url=f"{url}#comment-{comment.pk}",
        actor=comment.author,
        batched=True,
    )


def resolve_comment(*, comment: Comment, by: User, resolved: bool = True) -> None:
    comment.record.song.ensure_open()
    if comment.parent_id is not None:
        raise CoachingError("Resolve the thread, not a reply.")
    if comment.blocking and not may_review(by, comment.record):
        raise CoachingError("Only a coach can resolve a blocking comment.")
    comment.resolved_at = timezone.now() if resolved else None
    comment.resolved_by = by if resolved else None
    comment.save(update_fields=["resolved_at", "resolved_by"])
