"""Workflows that span models or touch files: starting a song, uploading a bounce,
analysing it, and judging it again when its song's rulebook changes."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import Max
from django.utils import timezone
from kombu.exceptions import KombuError

from coaching import activity
from coaching.models import User
from songs import quota
from songs.analysis import STAGE_SLUGS, AnalysisError, analyse, analyse_music, detected_fields
from songs.analysis.formats import ACCEPTED_LABELS, sniff
from songs.analysis.units import size as format_size
from songs.models import AnalysisState, Bounce, MusicState, ReferenceTrack, Song
from songs.targets import audio_targets
from stages.models import Stage, StageRecord

ANALYSE_TASK = "songs.tasks.analyse_bounce"
"""The task is named, not imported: songs.tasks wraps these services, so it imports this
module, and a Celery task is found by its name in any case."""
MUSIC_TASK = "songs.tasks.analyse_music"
"""The second pass (tempo, key, tuning, tonal balance, width), after the loudness report."""

logger = logging.getLogger(__name__)

MAX_NAME_CHARS = 255
"""The most of a file's name kept (the upload forms refuse longer names in the browser)."""

_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")


class UploadRejected(Exception):
    """An upload Stagecoach will not keep. The message is written for the student."""


def create_song(*, song: Song, request_key: uuid.UUID | None = None) -> Song:
    """Save a new song with its seven stage records, all or nothing.

    A repeat with the same request key (a double-clicked submit) returns the first song.
    """
    song.cohort.ensure_open()
    if request_key is not None:
        existing = Song.objects.filter(owner=song.owner, request_key=request_key).first()
        if existing is not None:
            return existing
    song.request_key = request_key
    try:
        with transaction.atomic():
            song.save()
            StageRecord.objects.bulk_create(
                StageRecord(song=song, stage=stage) for stage in Stage.objects.order_by("order")
            )
            activity.log(
                actor=song.owner,
                verb="song_started",
                message=f"{song.owner.display_name} started “{song.title}”.",
                song=song,
            )
    except IntegrityError:
        if request_key is None:
            raise
        song.pk = None
        return Song.objects.get(owner=song.owner, request_key=request_key)
    return song


def save_song_details(*, song: Song) -> Song:
    """Save the student's edit of a song. The title is what a master's tags are checked
    against, so the song's bounces are judged again."""
    song.ensure_open()
    with transaction.atomic():
        song.save()
        rejudge(song=song)
    return song


def fill_song_from_music(*, bounce: Bounce) -> list[str]:
    """Fill the song's empty tempo and key from what the musical pass heard with
    confidence (never over what the student chose). Returns the fields filled."""
    song = bounce.record.song
    song.ensure_open()
    music = bounce.music_report
    if music is None:
        return []
    detected = detected_fields(music)
    filled = [name for name, value in detected.items() if value and not getattr(song, name)]
    for name in filled:
        setattr(song, name, detected[name])
    if filled:
        save_song_details(song=song)
    return filled


def clean_original_name(name: str) -> str:
    """The student's file name, kept as data only: no path, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub("", name).strip()
    return name[:MAX_NAME_CHARS] or "bounce"


def upload_bounce(
    *,
    record: StageRecord,
    uploaded_by: User,
    upload: UploadedFile[bytes],
    note: str = "",
    request_key: uuid.UUID | None = None,
) -> Bounce:
    """Keep an uploaded audio file as the record's next version (v1, v2, ...).

    The type is decided by the file's content. A repeat with the same request key returns
    the bounce the first request stored.
    """
    record.song.ensure_open()
    limit = settings.BOUNCE_MAX_UPLOAD_BYTES
    original_name = clean_original_name(upload.name or "")
    if upload.file is None or upload.size is None or upload.size == 0:
        raise UploadRejected(f"“{original_name}” is empty. Export the bounce again and retry.")
    if upload.size > limit:
        raise UploadRejected(
            f"This file is {format_size(upload.size)}; bounces can be up to {format_size(limit)}."
        )
    if refused := quota.refusal(owner=record.song.owner, adding_bytes=upload.size):
        raise UploadRejected(refused)
    audio_format = sniff(upload.file)
    if audio_format is None:
        raise UploadRejected(
            f"“{original_name}” is not an audio file Stagecoach can take. Export the bounce as "
            f"{ACCEPTED_LABELS}; the file name does not matter, its content does."
        )
    checksum = hashlib.sha256()
    for chunk in upload.chunks():
        checksum.update(chunk)
    upload.seek(0)

    with transaction.atomic():
        locked = (
            StageRecord.objects.select_for_update(of=("self",))
            .select_related("stage")
            .get(pk=record.pk)
        )
        if request_key is not None:
            existing = Bounce.everything.filter(record=locked, request_key=request_key).first()
            if existing is not None:
                return existing
        if not locked.is_open:
            raise UploadRejected(
                f"{locked.stage.name} is {locked.get_status_display().lower()}; bounces can be "
                "added while a stage is in progress or has changes requested."
            )
        if refused := quota.locked_refusal(owner=record.song.owner, adding_bytes=upload.size):
            raise UploadRejected(refused)
        # Versions set aside keep their numbers: the next upload comes after them all.
        everything = Bounce.everything.filter(record=locked)
        latest = everything.aggregate(latest=Max("version"))["latest"] or 0
        bounce = Bounce(
            record=locked,
            version=latest + 1,
            original_name=original_name,
            size_bytes=upload.size,
            sha256=checksum.hexdigest(),
            audio_format=audio_format,
            note=note,
            uploaded_by=uploaded_by,
            request_key=request_key,
        )
        bounce.file.save(original_name, upload, save=False)
        try:
            with transaction.atomic():
                bounce.save()
        except IntegrityError:
            bounce.file.delete(save=False)
            if request_key is not None:
                existing = Bounce.everything.filter(record=locked, request_key=request_key).first()
                if existing is not None:
                    return existing
            raise UploadRejected(
                "Another upload to this stage arrived at the same moment; please try again."
            ) from None
        except BaseException:
            bounce.file.delete(save=False)
            raise
        request_analysis(bounce)
        activity.log(
            actor=uploaded_by,
            verb="bounce_uploaded",
            message=f"{uploaded_by.display_name} uploaded {bounce.label} to {locked.stage.name} "
            f"of “{locked.song.title}”.",
            song=locked.song,
        )
    return bounce


# --- Analysis ---------------------------------------------------------------------------


def request_analysis(bounce: Bounce) -> None:
    """Publish the bounce's analysis once the current transaction commits.

    The database row (state "queued") is the record that the work is owed; if the broker
    cannot take the task now, the row says it was not published and the next sweep
    publishes it, so the request never waits for the broker.
    """
    transaction.on_commit(functools.partial(publish_analysis, bounce.pk))


def publish_analysis(bounce_id: int, task: str = ANALYSE_TASK) -> bool:
    """Send the task for the bounce's pass owed now, once, without retrying (a broker that
    is down refuses at once; see CELERY_BROKER_TRANSPORT_OPTIONS). Returns whether it went;
    a send that failed leaves the bounce unpublished, for the sweep."""
    stamp = Bounce.stamp_published(bounce_id)
    try:
        current_app.tasks[task].apply_async((bounce_id,), retry=False)
    except (KombuError, OSError) as exc:
        Bounce.unstamp_published(bounce_id, stamp)
        logger.warning("Broker unavailable; bounce %s waits for the sweep: %s", bounce_id, exc)
        return False
    return True


@contextlib.contextmanager
def heartbeat(renew: Callable[[], bool], *, every_s: float) -> Iterator[None]:
    """Renew a claim every `every_s` from a thread while the block runs, so the sweep can
    tell a live analysis (however long) from one whose worker died. `renew` returns False
    once the claim is someone else's; the block's own result is then refused when stored.
    """
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every_s):
                try:
                    if not renew():
                        logger.warning(
                            "The claim was taken over; this analysis's result will not be kept."
                        )
                        return
                except DatabaseError as exc:
                    logger.warning("A heartbeat could not reach the database: %s", exc)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name="analysis-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every_s)


@contextlib.contextmanager
def holding(work: Bounce | ReferenceTrack, claim: str) -> Iterator[None]:
    """Run the block as the holder of `claim`: with its heartbeat, and giving the claim up
    if the block raises (its task retries storage and database errors, and the retry must
    be able to claim the work at once)."""
    renew = functools.partial(type(work).renew_claim, work.pk, claim)
    with heartbeat(renew, every_s=settings.ANALYSIS_HEARTBEAT_S):
        try:
            yield
        except BaseException:
            with contextlib.suppress(DatabaseError):
                work.give_up_claim(claim)
            raise


def request_music(bounce: Bounce) -> None:
    """Publish the musical pass once the loudness report is committed; like the first
    pass, a lost publish is picked up by the sweep."""
    transaction.on_commit(functools.partial(publish_analysis, bounce.pk, MUSIC_TASK))


def rerun_analysis(bounce: Bounce) -> None:
    """Analyse again from scratch (after a failure, or after the targets changed)."""
    bounce.record.song.ensure_open()
    bounce.requeue()
    request_analysis(bounce)


def analyse_bounce(*, bounce_id: int, task_id: str) -> Bounce | None:
    """Run the engine on a bounce and store its report, or the reason it failed.

    Safe to run more than once for the same bounce: a finished bounce is left alone, and
    a second task finds the first one's claim. Storage and database errors propagate, so
    the task can retry them; a file the engine cannot read is a final "failed".
    """
    bounce = (
        Bounce.objects.select_related(
            "record__stage", "record__song__owner", "record__song__delivery_profile"
        )
        .filter(pk=bounce_id)
        .first()
    )
    if bounce is None:
        return None
    claim = bounce.claim_analysis(
        task_id=task_id,
        max_attempts=settings.ANALYSIS_MAX_ATTEMPTS,
        stale_after_s=settings.ANALYSIS_STUCK_AFTER_S,
    )
    if claim is None:
        logger.info(
            "bounce %s: its analysis is claimed by a live task or over; this delivery does "
            "nothing.",
            bounce_id,
        )
        return bounce
    with holding(bounce, claim):
        stored = _analyse_claimed(bounce, claim)
    if stored:
        # Once this claim is over, so the musical pass's claim never meets its heartbeat.
        request_music(bounce)
    return bounce


def _analyse_claimed(bounce: Bounce, claim: str) -> bool:
    """The loudness pass under `claim`; returns whether its report was stored."""
    slug = bounce.record.stage.slug
    try:
        # From a bucket, opening downloads the object into a temporary file that spills to
        # disk past 2.5 MB (config/settings.py, max_memory_size): the engine seeks all over
        # the file (headers, chunks, tags), which over HTTP would be a request per seek,
        # and memory stays flat in the file's length.
        with bounce.file.open("rb") as handle:
            report = analyse(
                handle,
                targets=audio_targets(),
                stage=slug if slug in STAGE_SLUGS else None,
                delivery=bounce.record.song.delivery(),
            )
    except AnalysisError as exc:
        bounce.mark_failed(exc.reason, claim=claim)
        return False
    except FileNotFoundError:
        bounce.mark_failed(
            "The uploaded file is missing from storage. Upload the bounce again as a new version.",
            claim=claim,
        )
        return False

    previous = [name for name in (bounce.waveform.name, bounce.peaks.name) if name]
    storage = bounce.waveform.storage
    picture = storage.save(
        bounce.waveform.field.generate_filename(bounce, "waveform.png"),
        ContentFile(report.waveform_png),
    )
    peaks = storage.save(
        bounce.peaks.field.generate_filename(bounce, "peaks.json"),
        ContentFile(json.dumps(report.peaks_dict(), separators=(",", ":")).encode()),
    )
    if not bounce.store_report(report, waveform_name=picture, peaks_name=peaks, claim=claim):
        # Another task took the claim over (this one looked dead): its result stands.
        storage.delete(picture)
        storage.delete(peaks)
        return False
    for name in previous:
        if name not in {picture, peaks}:
            storage.delete(name)
    return True


def analyse_music_of(*, bounce_id: int) -> Bounce | None:
    """The second pass on an analysed bounce: measure the music, store it, and judge the
    bounce again (the musical checks read it). Runs once: a bounce whose music is in, or
    whose loudness report is not, is left alone."""
    bounce = (
        Bounce.objects.select_related("record__stage", "record__song__genre")
        .filter(pk=bounce_id, analysis_state=AnalysisState.DONE, music_state=MusicState.QUEUED)
        .first()
    )
    if bounce is None:
        return None
    claim = bounce.claim_music(stale_after_s=settings.ANALYSIS_STUCK_AFTER_S)
    if claim is None:
        logger.info(
            "bounce %s: its musical pass is claimed by a live task; this delivery does nothing.",
            bounce_id,
        )
        return bounce
    with holding(bounce, claim):
        try:
            with bounce.file.open("rb") as handle:
                music = analyse_music(handle, targets=audio_targets())
        except AnalysisError as exc:
            bounce.music_failed(exc.reason, claim=claim)
            return bounce
        except FileNotFoundError:
            bounce.music_failed("The uploaded file is missing from storage.", claim=claim)
            return bounce
        if bounce.store_music(music, claim=claim):
            bounce.store_checks(bounce.judge(audio_targets()))
    return bounce


def rejudge(*, song: Song) -> None:
    """Judge the song's analysed bounces again after its rulebook changed (title, artist,
    ISRC, delivery profile), so the stored verdicts and the counts lists show stay true.
    Nothing is decoded again: the checks are a function of the stored measurements."""
    bounces = Bounce.objects.filter(
        record__song=song, analysis_state=AnalysisState.DONE
    ).select_related("record__stage")
    targets = audio_targets()
    for bounce in bounces:
        bounce.record.song = song
        bounce.store_checks(bounce.judge(targets))


def fail_analysis(*, bounce_id: int, reason: str, retryable: bool = False) -> None:
    bounce = Bounce.objects.filter(pk=bounce_id).first()
    if bounce is not None and bounce.analysis_state != AnalysisState.DONE:
        bounce.mark_failed(reason, retryable=retryable)


def fail_music(*, bounce_id: int, reason: str) -> None:
    bounce = Bounce.objects.filter(pk=bounce_id, music_state=MusicState.QUEUED).first()
    if bounce is not None:
        bounce.music_failed(reason)


def hide_bounce(*, bounce: Bounce, by: User) -> bool:
    """Set a failed or unwanted version aside (kept in storage; staff can restore it)."""
    changed = bounce.hide(by=by)
    if changed:
        record = bounce.record
        activity.log(
            actor=by,
            verb="bounce_hidden",
            message=f"{by.display_name} set {bounce.label} of {record.stage.name} of "
            f"“{record.song.title}” aside.",
            song=record.song,
        )
    return changed


def sweep_analyses(*, now: dt.datetime | None = None) -> list[int]:
    """Publish again every pass that looks lost: owed, with no task on its way for it (the
    publish failed while the broker was down, or the task waited unclaimed too long), and
    nobody alive holding it (no claim, or its heartbeat went quiet: its worker died).
    Returns the bounce ids published."""
    now = now or timezone.now()
    lost = Bounce.unsent(
        now=now, republish_after_s=settings.ANALYSIS_REPUBLISH_AFTER_S
    ) & Bounce.claim_is_free(now=now, stale_after_s=settings.ANALYSIS_STUCK_AFTER_S)
    loudness = list(
        Bounce.objects.filter(
            lost, analysis_state__in=[AnalysisState.QUEUED, AnalysisState.RUNNING]
        ).values_list("pk", flat=True)
    )
    # The musical pass of every analysed bounce still waiting for it (its publish was lost,
    # its worker died, or the bounce was analysed before the pass existed), a batch at a time.
    unheard = list(
        Bounce.objects.filter(
            lost, analysis_state=AnalysisState.DONE, music_state=MusicState.QUEUED
        ).values_list("pk", flat=True)[: settings.MUSIC_SWEEP_BATCH]
    )
    published = [bounce_id for bounce_id in loudness if publish_analysis(bounce_id)]
    published += [bounce_id for bounce_id in unheard if publish_analysis(bounce_id, MUSIC_TASK)]
    return published
