"""The comment threads, markers and snippets that the bounce, stage and review pages show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from coaching import voice
from coaching.forms import CommentForm
from coaching.models import Comment, Snippet, User
from coaching.services import may_review
from coaching.statements import Statement
from songs.analysis import Status
from songs.models import Bounce
from songs.targets import audio_targets
from stages.models import StageRecord

PALETTE_SIZE = 6  # person-0 … person-5 in app.css


@dataclass(frozen=True)
class Marker:
    comment: Comment
    carried: bool  # from an earlier version, still unresolved
    person: int  # the author's colour on this page


@dataclass(frozen=True)
class Person:
    user: User
    colour: int


def people_of(comments: list[Comment]) -> dict[int, Person]:
    """A colour for everyone who wrote a thread here, in the order they first wrote, so a
    new comment never recolours the people before it (the palette repeats after six)."""
    people: dict[int, Person] = {}
    for comment in sorted(comments, key=lambda c: c.created_at):
        if comment.author_id not in people:
            people[comment.author_id] = Person(comment.author, len(people) % PALETTE_SIZE)
    return people


def _threads(comments: QuerySet[Comment], *, on_bounces: bool = True) -> QuerySet[Comment]:
    """Top-level comments with their replies, by moment; `on_bounces`: with the bounce
    each is on (a carried thread names its version)."""
    replies = Prefetch("replies", queryset=Comment.objects.select_related("author"))
    threads = comments.filter(parent__isnull=True).select_related("author", "resolved_by")
    if on_bounces:
        # A thread shows its bounce's label, never its report.
        threads = threads.select_related("bounce").defer("bounce__report", "bounce__music")
    return threads.prefetch_related(replies).order_by("at_s", "created_at")


def _bounce_threads(bounce_pk: int, record_pk: int, version: int) -> QuerySet[Comment]:
    """Threads on the version, and the unresolved ones on the stage's earlier versions."""
    carried_here = Q(
        record_id=record_pk,
        resolved_at__isnull=True,
        bounce__version__lt=version,
        bounce__hidden_at__isnull=True,  # a version set aside takes its threads along
    )
    # Both kinds in one query, in the same order; the caller splits them.
    return _threads(Comment.objects.filter(Q(bounce_id=bounce_pk) | carried_here))


_BOUNCE_THREADS: Statement[Comment] = Statement(_bounce_threads)
_RECORD_THREADS: Statement[Comment] = Statement(
    lambda record_pk: _threads(
        Comment.objects.filter(record_id=record_pk, bounce__isnull=True), on_bounces=False
    )
)


def bounce_threads(bounce: Bounce, user: User) -> dict[str, Any]:
    """Threads on this version, plus unresolved ones from earlier versions of the same
    stage, shown at the same moment so nothing a coach asked for gets lost."""
    both = _BOUNCE_THREADS(bounce.pk, bounce.record_id, bounce.version)
    own = [comment for comment in both if comment.bounce_id == bounce.pk]
    carried = [comment for comment in both if comment.bounce_id != bounce.pk]
    people = people_of(own + carried)
    markers = [Marker(c, False, people[c.author_id].colour) for c in own if c.at_s is not None]
    markers += [Marker(c, True, people[c.author_id].colour) for c in carried if c.at_s is not None]
    return {
        "bounce": bounce,
        "threads": own,
        "carried": carried,
        "markers": markers,
        "people": people,
        "comment_form": CommentForm(initial={"bounce": bounce.pk}),
        "snippets": snippets_for(user, bounce),
        "may_block": _may_block(user, bounce.record),
    } | _openness(bounce.record)


def record_threads(record: StageRecord, user: User) -> dict[str, Any]:
    """Comments on the stage as a whole (not on a bounce)."""
    return {
        "record_threads": _RECORD_THREADS(record.pk),
        "record_comment_form": CommentForm(),
        "may_block": _may_block(user, record),
    } | _openness(record)


def _may_block(user: User, record: StageRecord) -> bool:
    """Whether `user` may mark a comment blocking: a reviewer of the record. Nobody reviews
    their own song, and someone with no coach's tools reviews nothing (the navigation asks
    that already), so only a coach's view of another's song asks the database."""
    if record.song.owner_id == user.pk or not user.coaches_anyone():
        return False
    return may_review(user, record)


def _openness(record: StageRecord) -> dict[str, Any]:
    """Whether the conversation takes new comments: not once the song is settled; and the
    limits of a voice note, which the recorder states and keeps to."""
    reason = record.song.read_only_reason
    return {"can_comment": not reason, "read_only_reason": reason, "voice_limits": voice.limits()}


def snippets_for(user: User, bounce: Bounce | None) -> list[Snippet]:
    """A coach's own snippets, and the ready ones for checks this bounce did not pass."""
    if not user.coaches_anyone():
        return []
    failing: set[str] = set()
    if bounce is not None:
        failing = {
            c.id for c in bounce.judge(audio_targets()) if c.status in {Status.WARN, Status.FAIL}
        }
    offered = Snippet.objects.filter(
        Q(coach=user, check_id="")
        | Q(coach=user, check_id__in=failing)
        | Q(coach__isnull=True, check_id__in=failing)
    )
    return list(offered.order_by("coach_id", "title"))
