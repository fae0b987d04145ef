from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from coaching.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request every view behind @login_required receives (for type checkers)."""

    user: User
    htmx: HtmxDetails


def client_ip(request: HttpRequest) -> str | None:
    """The address of whoever sent the request, for login throttling (django-axes).

    Behind DJANGO_PROXY_COUNT proxies that each append the address they were connected
    from to X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`), the client's address
    is that many entries from the end; anything before it came from the client and may be
    forged. Without the header's entries (a request that bypassed the proxy) the peer's
    own address is used.
    """
    count: int = settings.PROXY_COUNT
    if count > 0:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if len(entries) >= count:
            return entries[-count]
    peer: str | None = request.META.get("REMOTE_ADDR")
    return peer
