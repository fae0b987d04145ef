"""Which real services the test run uses, loaded as a pytest plugin before Django starts.

The suite runs against PostgreSQL when one answers on 127.0.0.1:5432 (as on the
development machines and in CI), and falls back to SQLite on a laptop without one.
Tests that need a service call `require_service`: it skips with a loud reason when the
service is missing, and fails instead when CI is set, so CI can never pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import sys
import tempfile
from functools import cache
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@cache
def available(service: str) -> bool:
    if service == "postgres":
        return os.environ.get("DATABASE_URL", POSTGRES_URL).startswith("postgres") and _answers(
            "127.0.0.1", 5432
        )
    if service == "redis":
        return _answers("127.0.0.1", 6379)
    if service == "s3":
        # A local S3-protocol server the tests start themselves (tests/processes.py).
        return importlib.util.find_spec("moto") is not None and (
            shutil.which("moto_server", path=os.path.dirname(sys.executable)) is not None
            or shutil.which("moto_server") is not None
        )
    if service == "nginx":
        # Debian's nginx, with envsubst and openssl (deploy/nginx/start, the test certificate).
        nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        return nginx is not None and all(shutil.which(tool) for tool in ("envsubst", "openssl"))
    if service == "chromium":
        return Path(CHROMIUM).exists() or shutil.which("chromium") is not None
    raise ValueError(f"unknown service {service!r}")


def require_service(service: str) -> None:
    """Skip (or, under CI, fail) the calling test when `service` is not available here."""
    if available(service):
        return
    unavailable(f"{service} is not available on this machine")


def unavailable(message: str) -> None:
    """Skip loudly, saying why, or fail under CI: for a service that is missing, or that
    is installed but could not be started."""
    if IN_CI:
        pytest.fail(f"{message}, and CI requires it", pytrace=False)
    pytest.skip(f"!!! SKIPPED: {message}; this test did not run")


# --- Set up before Django reads its settings ----------------------------------------------

if "DATABASE_URL" not in os.environ and available("postgres"):
    os.environ["DATABASE_URL"] = POSTGRES_URL
_media = os.environ.get("DJANGO_MEDIA_ROOT") or tempfile.mkdtemp(prefix="stagecoach-test-media-")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel workers inherit the first process's folder: each gets one of its own.
    _media = os.path.join(_media, os.environ["PYTEST_XDIST_WORKER"])
    os.makedirs(_media, exist_ok=True)
os.environ["DJANGO_MEDIA_ROOT"] = _media


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = os.environ.get("DATABASE_URL", "sqlite (embedded default)")
    lines = [f"stagecoach: database {database}; media {os.environ['DJANGO_MEDIA_ROOT']}"]
    if not database.startswith("postgres"):
        lines.append("stagecoach: !!! PostgreSQL not reachable: the suite runs on SQLite")
    return lines


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Hashing passwords properly costs a third of a second per user; tests make many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A test database of this run's own, so two runs on one machine (a developer's and
    # CI's, say) never create and drop each other's.
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        settings.DATABASES["default"]["TEST"]["NAME"] = f"test_stagecoach_{os.getpid()}"
    if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI is set but PostgreSQL does not answer on 127.0.0.1:5432")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Rate limits count in the cache (locmem here): every test starts with none used."""
    from django.core.cache import cache

    cache.clear()


def pytest_unconfigure(config: pytest.Config) -> None:
    media = os.environ.get("DJANGO_MEDIA_ROOT", "")
    if "stagecoach-test-media-" in media:
        shutil.rmtree(media, ignore_errors=True)
