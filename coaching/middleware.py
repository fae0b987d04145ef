"""htmx requests whose session has ended go to the log-in page as a whole page."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


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
