"""Serve a stored file to someone a view has already checked may have it.

Media is never published under a URL; each file leaves through a view that looked the
object up in a permission-scoped queryset. In production the web server can send the
bytes instead (X-Accel-Redirect for nginx, X-Sendfile for Apache).

With media in an S3 bucket the view streams it too, answering range requests with a
ranged GET to the store, rather than redirecting to a presigned URL: the bytes keep this
response's `nosniff` and sandboxing CSP (a presigned object answers with the store's
headers), the page's CSP stays `'self'` with no store origin to allow, the bucket needs no
CORS rules and no address the browser can reach, and a link never outlives the
permission check that made it. The price is a web worker busy for as long as a transfer
lasts; the player asks for ranges, so that is short for everything but a full download.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

from songs.storage import RangedStorage

CHUNK_BYTES = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def protected_file_response(
    request: HttpRequest,
    stored: FieldFile,
    *,
    content_type: str,
    filename: str,
    as_attachment: bool,
) -> HttpResponseBase:
    response: HttpResponseBase
    if settings.MEDIA_SERVE == "x-accel-redirect":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_PREFIX + _stored_name(stored)
    elif settings.MEDIA_SERVE == "x-sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = stored.path
    else:
        response = _stream(request, stored, content_type)
    disposition = content_disposition_header(as_attachment, filename)
    if disposition is not None:  # None only for an inline file without a name
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, max-age=3600"
    # Even if a browser were tricked into rendering the bytes, nothing in them may run.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _stored_name(stored: FieldFile) -> str:
    """The file's name in its storage. The views serve only fields that hold a file."""
    if not stored.name:
        raise ValueError("There is no stored file to serve.")
    return stored.name


def _stream(request: HttpRequest, stored: FieldFile, content_type: str) -> HttpResponseBase:
    size = stored.size
    start, end = 0, size - 1
    status = 200
    wanted = _RANGE.match(request.headers.get("Range", "").strip())
    if wanted and (wanted[1] or wanted[2]) and size > 0:
        if wanted[1]:
            start = int(wanted[1])
            end = min(int(wanted[2]), size - 1) if wanted[2] else size - 1
        else:  # "bytes=-N": the last N bytes
            start = max(size - int(wanted[2]), 0)
        if start > end or start >= size:
            refused = HttpResponse(status=416, content_type=content_type)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        status = 206

    response = StreamingHttpResponse(
        _read(stored, start, end - start + 1), status=status, content_type=content_type
    )
    response["Content-Length"] = str(max(end - start + 1, 0))
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _read(stored: FieldFile, start: int, length: int) -> Iterator[bytes]:
    storage = stored.storage
    if isinstance(storage, RangedStorage):
        # One ranged GET for just these bytes; opening the object would download it whole.
        yield from storage.read_range(_stored_name(stored), start, length)
        return
    with storage.open(_stored_name(stored), "rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK_BYTES, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
