from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def roles(request: HttpRequest) -> dict[str, Any]:
    """Whether to show the coach's navigation; asked only if a template reads it."""

    def coaches() -> bool:
        user = request.user
        return user.is_authenticated and user.coaches_anyone()

    return {"nav_is_coach": SimpleLazyObject(coaches)}


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """The Content Security Policy nonce under the name django-htmx's script tag reads."""
    return {"csp_nonce": getattr(request, "csp_nonce", None)}
