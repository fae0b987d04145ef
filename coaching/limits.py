"""Rate limits (django-ratelimit, counting in the shared cache) and the one way a limited
request is answered: 429 with Retry-After, the page or fragment it asked for, a sentence
saying when to try again, and what the person typed still in the form.

The limits are settings (config/settings.py): password-reset e-mails per address and per
client, uploads per person. Windows are fixed hours, so "try again" names the minutes left
in the current one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

HOUR_S = 60 * 60


@dataclass(frozen=True)
class Limited:
    """A request over a limit: what to tell the person, and when they may try again."""

    message: str
    retry_after_s: int


def wait_phrase(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def _over(
    request: HttpRequest, *, group: str, key: str | Callable[[str, HttpRequest], str], per_hour: int
) -> int | None:
    """Count this request; the seconds until the window ends when it is over the limit.

    A cache that cannot be reached lets the request through (logged): an outage of Redis
    must not lock everyone out of uploading or resetting a password.
    """
    if per_hour <= 0:
        return None
    try:
        usage = get_usage(
            request, group=group, key=key, rate=f"{per_hour}/h", method="POST", increment=True
        )
    except Exception:
        logger.warning("Rate limit %s not counted: the cache did not answer.", group, exc_info=True)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    time_left = int(usage["time_left"])
    return time_left if time_left > 0 else HOUR_S


def upload_limited(request: HttpRequest, *, kept: str) -> Limited | None:
    """One more upload by this person (bounces, reference tracks and covers together).
    `kept` says what stays in the form, e.g. "Your note is kept"."""
    per_hour = settings.UPLOADS_PER_HOUR
    left = _over(request, group="uploads", key="user_or_ip", per_hour=per_hour)
    if left is None:
        return None
    return Limited(
        message=f"You have uploaded {per_hour} file{'' if per_hour == 1 else 's'} this hour, "
        f"the most Stagecoach takes from one person in an hour. Try again in "
        f"{wait_phrase(left)}: {kept}; the file has to be chosen again then.",
        retry_after_s=left,
    )


def password_reset_limited(request: HttpRequest, email: str) -> Limited | None:
    """One more password-reset request, counted for the address and for the client. The
    message is the same whether or not the address has an account."""
    address = email.strip().lower()
    per_address = settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR
    left = _over(
        request,
        group="password-reset-address",
        key=lambda group, request: address,
        per_hour=per_address,
    )
    if left is not None:
        return Limited(
            message=f"A reset link for this address was asked for {per_address} times this "
            "hour, so no more e-mails go to it for now: look for the ones already sent (and "
            f"in the spam folder), or try again in {wait_phrase(left)}.",
            retry_after_s=left,
        )
    per_client = settings.PASSWORD_RESETS_PER_CLIENT_PER_HOUR
    left = _over(request, group="password-reset-client", key="ip", per_hour=per_client)
    if left is not None:
        return Limited(
            message=f"More than {per_client} reset links were asked for from this network "
            f"this hour. Try again in {wait_phrase(left)}.",
            retry_after_s=left,
        )
    return None


def answer(response: HttpResponse, limited: Limited) -> HttpResponse:
    """Mark a rendered page or fragment as a limited answer. htmx swaps a 429 like a 200
    (templates/base.html's htmx-config), so the fragment's message shows in place."""
    response.status_code = 429
    response["Retry-After"] = str(limited.retry_after_s)
    response["Cache-Control"] = "no-store"
    return response
