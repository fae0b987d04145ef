"""A student's storage quota (STAGECOACH_STUDENT_QUOTA_MB): what their stored files add up
to, and the refusal of an upload that would take them over it.

What counts is every file kept for them: their bounces (set-aside versions too, which stay
in storage), their songs' reference tracks and covers, and the voice notes they recorded
themselves. A coach's voice notes on a student's song are the coach's, not the student's.
Every upload service asks `refusal()` before it stores anything, and `locked_refusal()`
again in the transaction that saves the row: two uploads of one student at the same moment
are then checked one after the other, so together they cannot pass a quota each fits alone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from coaching.models import Comment, User
from songs.analysis.units import size as format_size
from songs.models import Bounce, ReferenceTrack, Song


def storage_size(size_bytes: int) -> str:
    """Sizes of storage with a decimal where it tells: "1.5 GB", "9.7 MB", "340 MB"."""
    if size_bytes >= 1024**3:
        return f"{size_bytes / 1024**3:.1f} GB"
    if 1024**2 <= size_bytes < 100 * 1024**2:
        return f"{size_bytes / 1024**2:.1f} MB"
    return format_size(size_bytes)


@dataclass(frozen=True)
class Usage:
    used_bytes: int
    quota_bytes: int  # 0: no quota

    @property
    def percent(self) -> int:
        if not self.quota_bytes:
            return 0
        return min(100, round(100 * self.used_bytes / self.quota_bytes))

    @property
    def high_bytes(self) -> int:
        """Where the meter turns to a warning: nine tenths full."""
        return self.quota_bytes * 9 // 10

    @property
    def left_bytes(self) -> int:
        return max(0, self.quota_bytes - self.used_bytes)

    @property
    def used_label(self) -> str:
        return storage_size(self.used_bytes)

    @property
    def quota_label(self) -> str:
        return storage_size(self.quota_bytes)


def _total(rows: QuerySet[Model], owner: str, size: str) -> Coalesce:
    summed = rows.filter(**{owner: OuterRef("pk")}).order_by().values(owner)
    return Coalesce(Subquery(summed.annotate(total=Sum(size)).values("total")), 0)


# No user has this key: the statement below is built around it, and each call puts the
# asking user's key where it stands.
_ANY_USER = -1


@functools.cache
def _used_bytes_statement(vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The SQL of used_bytes(), built by the ORM once per process (and database kind).

    Four correlated sums take the ORM longer to compile (about 3 ms) than the database to
    run (under 1 ms), and every page of a student's board and every upload asks for them.
    """
    totals = (
        User.objects.filter(pk=_ANY_USER)
        .annotate(
            bounces=_total(Bounce.everything.all(), "record__song__owner", "size_bytes"),
            references=_total(ReferenceTrack.objects.all(), "song__owner", "size_bytes"),
            covers=_total(Song.objects.all(), "owner", "artwork_size_bytes"),
            voice_notes=_total(Comment.objects.all(), "author", "voice_size_bytes"),
        )
        .values_list("bounces", "references", "covers", "voice_notes")
    )
    sql, params = totals.query.sql_with_params()
    assert params.count(_ANY_USER) == 1, "the user's key appears once, in the outer filter"
    return sql, tuple(params)


def used_bytes(user: User) -> int:
    """The bytes stored for `user`, in one query."""
    sql, params = _used_bytes_statement(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk if param == _ANY_USER else param for param in params])
        totals = cursor.fetchone()
    return sum(int(value or 0) for value in totals or ())


def usage(user: User) -> Usage:
    return Usage(used_bytes=used_bytes(user), quota_bytes=settings.STUDENT_QUOTA_BYTES)


def refusal(*, owner: User, adding_bytes: int, replacing_bytes: int = 0) -> str:
    """Why `owner` may not store `adding_bytes` more (a sentence for them), or "" if they
    may. `replacing_bytes` is what the upload frees (a cover replaced)."""
    quota = settings.STUDENT_QUOTA_BYTES
    if quota <= 0:
        return ""
    used = used_bytes(owner) - replacing_bytes
    if used + adding_bytes <= quota:
        return ""
    used = max(0, used)
    return (
        f"This file is {format_size(adding_bytes)}, and {storage_size(used)} of your "
        f"{storage_size(quota)} of storage are in use ({storage_size(max(0, quota - used))} "
        "left), so it does not fit. Remove reference "
        "tracks you no longer need, upload a compressed export (FLAC is lossless at about "
        "half the size of WAV), or ask your course admin for more room."
    )


def locked_refusal(*, owner: User, adding_bytes: int, replacing_bytes: int = 0) -> str:
    """`refusal()`, asked with `owner`'s row locked until the caller's transaction ends.

    Call it inside `transaction.atomic()`, just before saving the row that counts the
    new bytes: a second upload of the same owner waits here until the first is committed
    (or rolled back), and then counts it. Other owners' uploads do not wait.
    """
    if settings.STUDENT_QUOTA_BYTES <= 0:
        return ""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked_refusal() holds its lock for a transaction: call it in one")
    list(User.objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True))
    return refusal(owner=owner, adding_bytes=adding_bytes, replacing_bytes=replacing_bytes)
