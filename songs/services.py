"""Workflows that span models or touch files: starting a song, uploading a bounce."""

from __future__ import annotations

import hashlib
import re
import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max

from coaching.models import User
from songs.analysis.formats import ACCEPTED_LABELS, sniff
from songs.models import Bounce, Song
from songs.uploads import format_size
from stages.models import Stage, StageRecord

_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")


class UploadRejected(Exception):
    """An upload Stagecoach will not keep. The message is written for the student."""


def create_song(*, song: Song, request_key: uuid.UUID | None = None) -> Song:
    """Save a new song with its seven stage records, all or nothing.

    A repeat with the same request key (a double-clicked submit) returns the first song.
    """
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
    except IntegrityError:
        if request_key is None:
            raise
        song.pk = None
        return Song.objects.get(owner=song.owner, request_key=request_key)
    return song


def clean_original_name(name: str) -> str:
    """The student's file name, kept as data only: no path, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub("", name).strip()
    return name[:255] or "bounce"


def upload_bounce(
    *,
    record: StageRecord,
    uploaded_by: User,
    upload: UploadedFile,
    note: str = "",
    request_key: uuid.UUID | None = None,
) -> Bounce:
    """Keep an uploaded audio file as the record's next version (v1, v2, ...).

    The type is decided by the file's content. A repeat with the same request key returns
    the bounce the first request stored.
    """
    limit = settings.BOUNCE_MAX_UPLOAD_BYTES
    original_name = clean_original_name(upload.name or "")
    if upload.size is None or upload.size == 0:
        raise UploadRejected(f"“{original_name}” is empty. Export the bounce again and retry.")
    if upload.size > limit:
        raise UploadRejected(
            f"This file is {format_size(upload.size)}; bounces can be up to {format_size(limit)}."
        )
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
        locked = StageRecord.objects.select_for_update(of=("self",)).select_related("stage")
        locked = locked.get(pk=record.pk)
        if request_key is not None:
            existing = Bounce.objects.filter(record=locked, request_key=request_key).first()
            if existing is not None:
                return existing
        if not locked.is_editable:
            raise UploadRejected(
                f"{locked.stage.name} is {locked.get_status_display().lower()}; bounces can be "
                "added while a stage is in progress or has changes requested."
            )
        latest = locked.bounces.aggregate(latest=Max("version"))["latest"] or 0
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
                existing = Bounce.objects.filter(record=locked, request_key=request_key).first()
                if existing is not None:
                    return existing
            raise UploadRejected(
                "Another upload to this stage arrived at the same moment; please try again."
            ) from None
        except BaseException:
            bounce.file.delete(save=False)
            raise
    return bounce
