"""Release workflows: saving the release details (which re-judge the song's bounces) and
releasing a song once readiness says so."""

from __future__ import annotations

from django.db import transaction

from songs import services
from songs.analysis import Status
from songs.models import DeliveryProfile, ReleaseRuleError, Song
from songs.release.readiness import readiness_for
from songs.targets import audio_targets


def save_release_details(
    *, song: Song, artist_name: str, isrc: str, delivery_profile: DeliveryProfile | None
) -> None:
    """Save artist, ISRC and profile (raises IsrcTaken), then judge the song's bounces by
    the new rulebook: tags, ISRC and delivery format depend on all three."""
    with transaction.atomic():
        song.set_release_details(
            artist_name=artist_name, isrc=isrc, delivery_profile=delivery_profile
        )
        song.__dict__.pop("release_profile", None)  # the profile may have changed
        services.rejudge(song=song)


def release_song(*, song: Song) -> bool:
    """Mark `song` released if every readiness item passes, judged on fresh data.

    Raises ReleaseRuleError naming what is not ready. Returns False if it already was.
    """
    with transaction.atomic():
        Song.objects.select_for_update().filter(pk=song.pk).first()
        fresh = (
            Song.objects.select_related("owner", "cohort", "delivery_profile")
            .get(pk=song.pk)
            .load_work(newest_first=False)
        )
        if fresh.is_released:
            return False
        current = readiness_for(fresh, targets=audio_targets())
        if not current.ready:
            missing = ", ".join(
                item.label.lower() for item in current.items if item.status != Status.PASS
            )
            raise ReleaseRuleError(f"Not ready to release yet. Still to pass: {missing}.")
        changed = fresh.mark_released()
    song.released_at = fresh.released_at
    return changed
