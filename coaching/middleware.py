"""Request plumbing: htmx requests whose session has ended go to the log-in page as a whole
page, and a change of something settled gets the one refusal page."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from coaching.models import ReadOnly


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
