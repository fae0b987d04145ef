"""Reference tracks' workflows: attach, analyse (both passes), retry, remove.

Like a bounce, a reference is recognised by its content and kept under a generated name;
unlike a bounce, a refused file leaves nothing behind, and the analysis is one task that
runs the loudness pass and then the musical pass.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import KombuError

from coaching import activity
from coaching.models import User
from songs import quota
from songs.analysis import AnalysisError, analyse, analyse_music
from songs.analysis.formats import ACCEPTED_LABELS, sniff
from songs.analysis.units import size as format_size
from songs.models import AnalysisState, MusicState, ReferenceTrack, Song
from songs.services import UploadRejected, clean_original_name, holding
from songs.targets import audio_targets

ANALYSE_TASK = "songs.tasks.analyse_reference"
"""Named, not imported, as services.ANALYSE_TASK is (songs.tasks imports this module)."""
MISSING_FILE = (
    "The reference's file is missing from storage. Remove it and attach the record again."
)

logger = logging.getLogger(__name__)

__all__ = [
    "ANALYSE_TASK",
    "UploadRejected",
    "analyse_reference",
    "fail_reference",
    "remove_reference",
    "request_analysis",
    "retry_reference",
    "upload_reference",
]


def upload_reference(
    *, song: Song, uploaded_by: User, upload: UploadedFile[bytes], title: str
) -> ReferenceTrack:
    """Keep a released record beside the song, and queue its analysis.

    Refused (UploadRejected, with the reason for the student) unless it is audio the engine
    takes, by content, within the bounce's size limit; a refusal stores nothing. The same
    file attached to the song twice (a double-clicked submit) is kept once.
    """
    song.ensure_open()
    limit = settings.BOUNCE_MAX_UPLOAD_BYTES
    original_name = clean_original_name(upload.name or "") or "reference"
    if upload.file is None or upload.size is None or upload.size == 0:
        raise UploadRejected(f"“{original_name}” is empty. Choose the record's audio file.")
    if upload.size > limit:
        raise UploadRejected(
            f"This file is {format_size(upload.size)}; reference tracks can be up to "
            f"{format_size(limit)}."
        )
    if refused := quota.refusal(owner=song.owner, adding_bytes=upload.size):
        raise UploadRejected(refused)
    audio_format = sniff(upload.file)
    if audio_format is None:
        raise UploadRejected(
            f"“{original_name}” is not an audio file Stagecoach can take. Attach the record as "
            f"{ACCEPTED_LABELS}; the file name does not matter, its content does."
        )
    checksum = hashlib.sha256()
    for chunk in upload.chunks():
        checksum.update(chunk)
    upload.seek(0)

    with transaction.atomic():
        # The song's row is the lock two requests of the same double click meet at.
        locked = Song.objects.select_for_update().get(pk=song.pk)
        existing = ReferenceTrack.objects.filter(song=locked, sha256=checksum.hexdigest()).first()
        if existing is not None:
            return existing
        if refused := quota.locked_refusal(owner=song.owner, adding_bytes=upload.size):
            raise UploadRejected(refused)
        reference = ReferenceTrack(
            song=locked,
            title=title.strip(),
            original_name=original_name,
            size_bytes=upload.size,
            sha256=checksum.hexdigest(),
            audio_format=audio_format,
            uploaded_by=uploaded_by,
        )
        reference.file.save(original_name, upload, save=False)
        try:
            reference.save()
        except BaseException:
            reference.file.delete(save=False)
            raise
        request_analysis(reference)
        activity.log(
            actor=uploaded_by,
            verb="reference_added",
            message=f"{uploaded_by.display_name} set “{reference.title}” beside "
            f"“{locked.title}” as a reference.",
            song=locked,
        )
    return reference


def request_analysis(reference: ReferenceTrack) -> None:
    """Publish the analysis once the current transaction commits. The row ("queued") is
    the record that the work is owed; if the broker is down, it stays queued."""
    transaction.on_commit(functools.partial(publish_analysis, reference.pk))


def publish_analysis(reference_id: int) -> bool:
    """Send the analysis once, without retrying; a failed send leaves the reference
    unpublished, for the sweep (as services.publish_analysis does for bounces)."""
    stamp = ReferenceTrack.stamp_published(reference_id)
    try:
        current_app.tasks[ANALYSE_TASK].apply_async((reference_id,), retry=False)
    except (KombuError, OSError) as exc:
        ReferenceTrack.unstamp_published(reference_id, stamp)
        logger.warning("Broker unavailable; reference %s stays queued: %s", reference_id, exc)
        return False
    return True


def sweep_references(*, now: dt.datetime | None = None) -> list[int]:
    """Publish again every reference analysis that looks lost, as services.sweep_analyses
    does for bounces: either pass owed, no task on its way for it, and nobody alive
    holding it."""
    now = now or timezone.now()
    lost = (
        ReferenceTrack.unsent(now=now, republish_after_s=settings.ANALYSIS_REPUBLISH_AFTER_S)
        & ReferenceTrack.claim_is_free(now=now, stale_after_s=settings.ANALYSIS_STUCK_AFTER_S)
        & (
            Q(analysis_state__in=[AnalysisState.QUEUED, AnalysisState.RUNNING])
            | Q(analysis_state=AnalysisState.DONE, music_state=MusicState.QUEUED)
        )
    )
    waiting = ReferenceTrack.objects.filter(lost).values_list("pk", flat=True)
    return [reference_id for reference_id in waiting if publish_analysis(reference_id)]


def analyse_reference(*, reference_id: int) -> ReferenceTrack | None:
    """Run both passes on a reference and store them: the loudness report with its peaks,
    then the music. Each failure is kept with its reason (the owner may try again).

    Safe to run more than once: the delivery that claims the work runs it and any other
    does nothing while the claim's holder is alive; a pass already stored is not run
    again, so a task delivered again after its worker died finishes what the first one
    started. Storage and database errors propagate, so the task can retry them.
    """
    reference = ReferenceTrack.objects.filter(pk=reference_id).first()
    if reference is None:
        return None
    claim = reference.claim_analysis(stale_after_s=settings.ANALYSIS_STUCK_AFTER_S)
    if claim is None:
        logger.info(
            "reference %s: its analysis is claimed by a live task or over; this delivery "
            "does nothing.",
            reference_id,
        )
        return reference
    with holding(reference, claim):
        if reference.analysis_state == AnalysisState.RUNNING and not _loudness_pass(
            reference, claim
        ):
            return reference
        if (
            reference.analysis_state == AnalysisState.DONE
            and reference.music_state == MusicState.QUEUED
        ):
            _music_pass(reference, claim)
    return reference


def _loudness_pass(reference: ReferenceTrack, claim: str) -> bool:
    try:
        with reference.file.open("rb") as handle:
            report = analyse(handle, targets=audio_targets())
    except AnalysisError as exc:
        reference.mark_failed(exc.reason, claim=claim)
        return False
    except FileNotFoundError:
        reference.mark_failed(MISSING_FILE, claim=claim)
        return False
    previous = reference.peaks.name
    storage = reference.peaks.storage
    peaks = storage.save(
        reference.peaks.field.generate_filename(reference, "peaks.json"),
        ContentFile(json.dumps(report.peaks_dict(), separators=(",", ":")).encode()),
    )
    if not reference.store_report(report, peaks_name=peaks, claim=claim):
        storage.delete(peaks)  # another task took the claim over: its result stands
        return False
    if previous and previous != peaks:
        storage.delete(previous)
    return True


def _music_pass(reference: ReferenceTrack, claim: str) -> None:
    try:
        with reference.file.open("rb") as handle:
            music = analyse_music(handle, targets=audio_targets())
    except AnalysisError as exc:
        reference.music_failed(exc.reason, claim=claim)
        return
    except FileNotFoundError:
        reference.music_failed(MISSING_FILE, claim=claim)
        return
    reference.store_music(music, claim=claim)


def fail_reference(*, reference_id: int, reason: str) -> None:
    """The task's last word (a time limit, storage out of reach): whichever pass was owed
    is failed with `reason`."""
    reference = ReferenceTrack.objects.filter(pk=reference_id).first()
    if reference is None:
        return
    if reference.analysis_state != AnalysisState.DONE:
        reference.mark_failed(reason)
    elif reference.music_state == MusicState.QUEUED:
        reference.music_failed(reason)


def retry_reference(*, reference: ReferenceTrack) -> bool:
    """Analyse a failed reference again, both passes. Anything else is left as it is (a
    second click finds it queued). Returns whether it was queued."""
    reference.song.ensure_open()
    if not reference.can_retry:
        return False
    reference.requeue()
    request_analysis(reference)
    return True


def remove_reference(*, reference: ReferenceTrack, by: User) -> None:
    """Take a reference off its song, with its files (once the deletion commits)."""
    song = reference.song
    song.ensure_open()
    names = [name for name in (reference.file.name, reference.peaks.name) if name]
    storage = reference.file.storage
    with transaction.atomic():
        reference.delete()
        activity.log(
            actor=by,
            verb="reference_removed",
            message=f"{by.display_name} removed the reference “{reference.title}” from "
            f"“{song.title}”.",
            song=song,
        )
        transaction.on_commit(functools.partial(_delete_files, storage, names))


def _delete_files(storage: Storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)
