"""Claims on work a Celery task owes a row (a bounce's analysis, a reference's): who holds
it, their last sign of life, and whether a task for it sits in the broker.

A task claims the row with one conditional UPDATE (compare-and-set), so of two deliveries
of the same work only one can hold the claim; the holder renews `heartbeat_at` from a
thread while it works, and stores its result only while the claim is still its own. A claim
whose heartbeat has gone quiet belongs to a worker that died: the sweep publishes the work
again and the next delivery takes the claim over.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import models
from django.utils import timezone


def new_claim_token() -> str:
    return uuid.uuid4().hex


class ClaimedWork(models.Model):
    claim_token = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="The task holding the work owed now; empty while nobody holds it.",
    )
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The holder's last sign of life; a quiet claim is taken over.",
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a task for the work owed now reached the broker; empty when none "
        "did (the broker was down) or a task has claimed it since.",
    )

    class Meta:
        abstract = True

    @staticmethod
    def claim_is_free(*, now: dt.datetime, stale_after_s: float) -> models.Q:
        """Nobody holds the claim, or its holder has been silent for `stale_after_s`."""
        silent_since = now - dt.timedelta(seconds=stale_after_s)
        return (
            models.Q(claim_token="")
            | models.Q(heartbeat_at__isnull=True)
            | models.Q(heartbeat_at__lt=silent_since)
        )

    @staticmethod
    def unsent(*, now: dt.datetime, republish_after_s: float) -> models.Q:
        """No task for the work is in the broker: none reached it, or the one that did has
        waited `republish_after_s` unclaimed (the broker lost it, say)."""
        return models.Q(published_at__isnull=True) | models.Q(
            published_at__lt=now - dt.timedelta(seconds=republish_after_s)
        )

    @classmethod
    def stamp_published(cls, pk: int) -> dt.datetime:
        """Note that a task is on its way (before it is sent, so a fast worker's claim,
        which clears the stamp, always comes after it); returns the stamp."""
        now = timezone.now()
        cls._base_manager.filter(pk=pk).update(published_at=now)
        return now

    @classmethod
    def unstamp_published(cls, pk: int, stamp: dt.datetime) -> None:
        """The send failed: the work is unpublished again, for the sweep."""
        cls._base_manager.filter(pk=pk, published_at=stamp).update(published_at=None)

    @classmethod
    def renew_claim(cls, pk: int, token: str) -> bool:
        """The holder's heartbeat; False once the claim is no longer `token`'s."""
        renewed = cls._base_manager.filter(pk=pk, claim_token=token).update(
            heartbeat_at=timezone.now()
        )
        return bool(renewed)

    def give_up_claim(self, claim: str) -> None:
        """The holder stops without a result (an error its task retries): the claim is
        free at once for the retry, which Celery has already sent."""
        type(self)._base_manager.filter(pk=self.pk, claim_token=claim).update(
            claim_token="", heartbeat_at=None, published_at=timezone.now()
        )

    def _take_claim(self, claimable: models.Q, **changes: Any) -> str | None:
        """Hold the claim if the row still matches `claimable`: one UPDATE, so two
        deliveries cannot both succeed; `changes` are applied with it. Returns the token."""
        token = new_claim_token()
        now = timezone.now()
        taken = (
            type(self)
            ._base_manager.filter(claimable, pk=self.pk)
            .update(claim_token=token, heartbeat_at=now, published_at=None, **changes)
        )
        if not taken:
            return None
        self.refresh_from_db()
        return token

    def _save_claimed(self, claim: str | None, fields: list[str]) -> bool:
        """Save `fields`, only while the claim is still `claim`'s (None: unconditionally).
        Returns whether it saved; a holder whose claim was taken over saves nothing."""
        if claim is None:
            self.save(update_fields=fields)
            return True
        values = {name: getattr(self, name) for name in fields}
        saved = type(self)._base_manager.filter(pk=self.pk, claim_token=claim).update(**values)
        if not saved:
            self.refresh_from_db()
        return bool(saved)
