from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from coaching.models import User

logger = logging.getLogger(__name__)


class AuthenticatedHttpRequest(HttpRequest):
    """The request every view behind @login_required receives (for type checkers)."""

    user: User
    htmx: HtmxDetails


def search_text(request: HttpRequest, name: str = "q", *, limit: int = 100) -> str:
    """A text the user typed into a search or filter of a page's address, as the database
    can compare it: without surrounding space, at most `limit` characters, and without
    NUL characters, which no text column holds (PostgreSQL refuses them outright)."""
    return str(request.GET.get(name, "")).replace("\x00", "").strip()[:limit]


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent the request, for login throttling (django-axes) and the
    rate limits (django-ratelimit).

    Behind DJANGO_PROXY_COUNT proxies that each append the address they were connected
    from to X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`), the client's address
    is that many entries from the end; anything before it came from the client and may be
    forged. Without the header's entries (a request that bypassed the proxy), or with an
    entry that is no address, the peer's own address is used.
    """
    peer = str(request.META.get("REMOTE_ADDR") or "0.0.0.0")
    count: int = settings.PROXY_COUNT
    if count > 0:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if len(entries) >= count:
            try:
                return str(ipaddress.ip_address(entries[-count]))
            except ValueError:
                logger.warning("X-Forwarded-For names no address: %r", entries[-count])
    return peer
