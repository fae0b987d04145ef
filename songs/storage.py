"""The S3 media storage: django-storages' backend, plus ranged reads for songs/media.py.

django-storages opens an object by downloading all of it (into a temporary file that
spills to disk, see `max_memory_size` in config/settings.py), which is right for the
engine's decode but wasteful for a player asking for 64 KB in the middle of a bounce.
`read_range` asks the object store for those bytes only, and streams them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

CHUNK_BYTES = 64 * 1024

STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError)
"""What a storage call raises when the store is out of reach or answers an error: local
disk raises OSError, the S3 client its own errors (none of them an OSError)."""


class MediaS3Storage(S3Storage):  # type: ignore[misc]  # django-storages is untyped
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
