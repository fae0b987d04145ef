"""The activity log: who changed what, when. Workflows call `log` as they change state."""

from __future__ import annotations

from typing import Protocol

from coaching.models import Activity, Cohort, User


class Work(Protocol):
    """What the log needs of a song (which lives in a layer above this one)."""

    @property
    def pk(self) -> int: ...

    @property
    def cohort_id(self) -> int: ...


def log(
    *,
    actor: User | None,
    verb: str,
    message: str,
    song: Work | None = None,
    cohort: Cohort | None = None,
) -> Activity:
    """Record one state change, on the song's cohort when no cohort is given."""
    cohort_id = cohort.pk if cohort is not None else song.cohort_id if song is not None else None
    return Activity.objects.create(
        actor=actor,
        verb=verb,
        message=message[:300],
        song_id=song.pk if song is not None else None,
        cohort_id=cohort_id,
    )
