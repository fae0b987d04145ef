"""Request plumbing: htmx requests whose session has ended go to the log-in page as a whole
page, a change of something settled gets the one refusal page, and a database that is
away for a moment (a restart, a failover) gets a retry or a "try again" page, never a 500;
so does an object store out of reach."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from coaching.models import ReadOnly
from songs.storage import STORE_UNREACHABLE

logger = logging.getLogger(__name__)


class HtmxLoginRedirectMiddleware:
    """Without this, htmx would follow the log-in redirect and swap the log-in page into
    a small fragment (the journal's "saved" note, say). The browser navigates instead,
    back to the page the person was on once they have logged in again; a form with
    unsaved text asks before the page is left."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        login_url = resolve_url(settings.LOGIN_URL)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and not request.user.is_authenticated
            and urlsplit(response["Location"]).path == login_url
        ):
            page = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
            return HttpResponseClientRedirect(f"{login_url}?{urlencode({'next': page})}")
        return response


class ReadOnlyMiddleware:
    """The one answer to a change of something settled (coaching.models.ReadOnly): a page
    that says why, with status 403, and nothing changed. An htmx request reloads its page
    instead, which then shows the reason and no longer offers the change."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ReadOnly):
            return None
        reason = str(exception)
        if getattr(request, "htmx", False):
            messages.error(request, reason)
            response = HttpResponse(reason, status=403, content_type="text/plain; charset=utf-8")
            response["HX-Refresh"] = "true"
            return response
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        return render(request, "read_only.html", {"reason": reason, "back": back}, status=403)


DATABASE_RETRY_AFTER_S = 5
"""What the "try again" page asks for: about how long a PostgreSQL restart takes."""

DATABASE_WAIT_S = 3.0
"""How long a page being read waits for the database to answer again before the "try
again" page: a restart is usually back within a second."""

DATABASE_POLL_S = 0.1


def _note_database_error(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Mark the request when what went wrong was the database connection (sent by Django
    while the exception is being handled, wherever it was raised: a view or a middleware)."""
    if request is not None and isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        request.database_down = True  # type: ignore[attr-defined]


def _database_answers() -> bool:
    """A fresh connection that answers a query. Inside a transaction (a test's, say) the
    connection is not this code's to close, so it is only asked."""
    try:
        if not connection.in_atomic_block:
            close_old_connections()
            connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except (OperationalError, InterfaceError):
        return False
    return True


class DatabaseOutageMiddleware:
    """While the database is away, nobody meets a 500. A page being read (GET, HEAD) waits
    up to a few seconds for the database to answer again and is then served, which is all
    a restart usually needs; a change is never sent twice, and whatever cannot reach the
    database gets a 503 with Retry-After, saying nothing was saved, with the fields that
    were sent ready to send again (a file has to be chosen again)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_note_database_error, dispatch_uid="database-outage")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "database_down", False):
            return response
        if request.method in {"GET", "HEAD"}:
            give_up = time.monotonic() + DATABASE_WAIT_S
            while time.monotonic() < give_up:
                if not _database_answers():
                    time.sleep(DATABASE_POLL_S)  # polling for readiness, bounded above
                    continue
                request.database_down = False  # type: ignore[attr-defined]
                response = self.get_response(request)
                if not getattr(request, "database_down", False):
                    return response
        else:
            _database_answers()  # leave a good connection for the next request
        return self._try_again(request)

    @staticmethod
    def _try_again(request: HttpRequest) -> HttpResponse:
        return try_again_page(request, what="its database")


class StorageOutageMiddleware:
    """An object store out of reach (or answering errors) gets the same "try again" page
    as the database (503, Retry-After, the sent fields ready to send again), not a 500.
    Only the S3 client's errors: local disk raises OSError, which means more than an
    outage. The error is still logged, as a 500 would be."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, STORE_UNREACHABLE):
            return None
        logger.error("Media storage error on %s", request.path, exc_info=exception)
        return try_again_page(request, what="its file store")


def try_again_page(request: HttpRequest, *, what: str) -> HttpResponse:
    """503 with Retry-After: Stagecoach cannot reach `what` ("its database") just now."""
    if getattr(request, "htmx", False):
        # htmx leaves the page as it is on an error, so what was typed stays there.
        response = HttpResponse(
            f"Stagecoach cannot reach {what} for a moment: nothing was saved. "
            "Try again in a few seconds.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    else:
        resend = request.method == "POST"
        fields = (
            [(name, value) for name, values in request.POST.lists() for value in values]
            if resend
            else []
        )
        page = render_to_string(
            "database_down.html",
            {
                "what": what,
                "resend": resend,
                "action": request.get_full_path(),
                "fields": fields,
                "had_files": resend and bool(request.FILES),
                "retry_after_s": DATABASE_RETRY_AFTER_S,
            },
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response
