from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from coaching.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request every view behind @login_required receives (for type checkers)."""

    user: User
    htmx: HtmxDetails
