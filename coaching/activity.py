"""The activity log: who changed what, when. Workflows call `log` as they change state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coaching.models import Activity, Cohort, User

if TYPE_CHECKING:
    from songs.models import Song


def log(
    *,
    actor: User | None,
    verb: str,
    message: str,
    song: Song | None = None,
    cohort: Cohort | None = None,
) -> Activity:
    if cohort is None and song is not None:
        cohort = song.cohort
    return Activity.objects.create(
        actor=actor, verb=verb, message=message[:300], song=song, cohort=cohort
    )
