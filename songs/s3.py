"""The S3 media backend: django-storages' S3Storage, plus ranged reads for songs/media.py.

Imported only when a bucket is configured (config/settings.py names it by its path), so a
process on local disk never loads boto3. django-storages opens an object by downloading
all of it (into a temporary file that spills to disk past `max_memory_size`), which is
right for the engine's decode but wasteful for a player asking for 64 KB in the middle of
a bounce: `read_range` asks the object store for those bytes only, and streams them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.config import Config
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

CHUNK_BYTES = 64 * 1024


class MediaS3Storage(S3Storage):  # type: ignore[misc]  # django-storages is untyped
    def __init__(self, *, timeout_s: int = 10, **options: Any) -> None:
        # A request must not hang on an object store out of reach: a page answers with
        # "try again", a task goes to its retries (songs/tasks.py).
        options.setdefault(
            "client_config",
            Config(
                s3={"addressing_style": options.get("addressing_style") or "auto"},
                signature_version="s3v4",
                connect_timeout=timeout_s,
                read_timeout=timeout_s * 6,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        super().__init__(**options)

    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]:
        """Bytes start..start+length-1 of the object, in chunks, from one ranged GET."""
        if length <= 0:
            return
        key = self._normalize_name(clean_name(name))
        answer: dict[str, Any] = self.connection.meta.client.get_object(
            Bucket=self.bucket_name, Key=key, Range=f"bytes={start}-{start + length - 1}"
        )
        body = answer["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()
