"""Media storage, whichever holds it: the errors a storage raises, the ranged reads an
object store offers (songs/s3.py, loaded only when a bucket is configured), and deleting
rows together with their stored files.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import Storage
from django.db import router, transaction
from django.db.models import FileField, Model, QuerySet
from django.db.models.deletion import Collector
from django.http import HttpRequest

logger = logging.getLogger(__name__)

STORE_UNREACHABLE: tuple[type[Exception], ...] = (BotoCoreError, ClientError)
"""What the S3 client raises when the store is out of reach or answers an error (a
missing object is FileNotFoundError instead, from django-storages)."""
STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, *STORE_UNREACHABLE)
"""What a storage call raises when the store is out of reach or answers an error: local
disk raises OSError, the S3 client its own errors (none of them an OSError)."""


@runtime_checkable
class RangedStorage(Protocol):
    """A storage that reads part of a file without opening all of it (songs.s3)."""

    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]: ...


def delete_with_files(objects: QuerySet[Any] | Sequence[Model]) -> None:
    """Delete `objects` and, once the deletion commits, every stored file of theirs and of
    the rows it cascades to (a song's bounces, waveforms, peaks, references, cover and
    comments' voice notes). Django deletes rows only, never files, on any storage.

    Files go after the commit, so a deletion rolled back leaves every file its rows name;
    one that cannot be deleted then costs space, never correctness (no row names it).
    """
    if not objects:
        return
    model = objects.model if isinstance(objects, QuerySet) else type(objects[0])
    using = router.db_for_write(model)
    with transaction.atomic(using=using):
        origin = objects if isinstance(objects, QuerySet) else objects[0]
        collector = Collector(using=using, origin=origin)
        collector.collect(objects)
        files = _stored_files(collector)
        collector.delete()
        transaction.on_commit(functools.partial(_delete_files, files), using=using)


def _stored_files(collector: Collector) -> list[tuple[Storage, str]]:
    files: list[tuple[Storage, str]] = []
    groups: list[tuple[type[Model], Iterable[Model]]] = list(collector.data.items())
    # Rows deleted in one query without being loaded (nothing cascades from them).
    groups += [(query.model, query) for query in collector.fast_deletes]
    for model, rows in groups:
        fields = [f for f in model._meta.concrete_fields if isinstance(f, FileField)]
        if not fields:
            continue
        for row in rows:
            for field in fields:
                name = getattr(row, field.attname)
                if name:
                    files.append((field.storage, str(name)))
    return files


def _delete_files(files: list[tuple[Storage, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except STORAGE_ERRORS:
            logger.warning("Could not delete %s from media storage", name, exc_info=True)


class DeletesStoredFilesMixin:
    """For the admin of a model whose deletion reaches stored files: deleting one row or a
    selection takes the files with it (`delete_with_files`)."""

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        delete_with_files([obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        delete_with_files(queryset)
