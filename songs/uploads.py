"""Enforce the bounce size limit while the request streams in, not after it is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest


def format_size(size_bytes: int) -> str:
    if size_bytes >= 1024 * 1024:
        return f"{size_bytes / (1024 * 1024):.0f} MB"
    if size_bytes >= 1024:
        return f"{size_bytes / 1024:.0f} KB"
    return f"{size_bytes} bytes"


class SizeLimitUploadHandler(FileUploadHandler):
    """First in the handler chain: stops reading as soon as a file is over the limit.

    Django then closes (and so deletes) the partial temporary file; the view finds the
    reason on `request.upload_refused` and tells the student. Install it before anything
    reads request.POST (see `songs.views.upload_bounce`). `refusal` writes that reason from
    the size and the limit; the bounce's by default.

    The rest of the body is never read: Django's alternative (`connection_reset=False`)
    reads it line by line, and a body without a newline became one line in memory (600 MB
    took a worker from 226 MB to 1.5 GB). gunicorn sends the answer and then closes the
    connection gracefully (a FIN, a short drain), so the client still reads it; behind
    nginx a body over the limit never reaches gunicorn (deploy/nginx/stagecoach.conf).
    """

    def __init__(
        self,
        request: HttpRequest,
        limit_bytes: int,
        refusal: Callable[[int, int], str] | None = None,
    ) -> None:
        super().__init__(request)
        self.limit_bytes = limit_bytes
        self.refusal = refusal or bounce_too_large
        self.declared_bytes = 0
        self.received_bytes = 0
        request.upload_refused = ""  # type: ignore[attr-defined]

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, *args: Any) -> None:
        self.declared_bytes = content_length

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received_bytes = 0
        # A request declaring more than the limit (plus room for the form fields) is refused
        # before a single byte of the file is written anywhere.
        if self.declared_bytes > self.limit_bytes + 64 * 1024:
            self._refuse(self.declared_bytes)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received_bytes += len(raw_data)
        if self.received_bytes > self.limit_bytes:
            self._refuse(max(self.received_bytes, self.declared_bytes))
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self, size_bytes: int) -> None:
        assert self.request is not None  # the handler is always made with its request
        self.request.upload_refused = self.refusal(  # type: ignore[attr-defined]
            size_bytes, self.limit_bytes
        )
        # Stop reading here: the unread rest of the body is left to the server to discard.
        raise StopUpload(connection_reset=True)


def bounce_too_large(size_bytes: int, limit_bytes: int) -> str:
    return (
        f"This file is about {format_size(size_bytes)}; bounces can be up to "
        f"{format_size(limit_bytes)}. Export a shorter or compressed version "
        "(FLAC keeps full quality at about half the size of WAV)."
    )
