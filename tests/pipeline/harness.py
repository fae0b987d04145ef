"""The production shape for a Django test: the app's own processes (started by
tests/processes.py) pointed at this test run's PostgreSQL database and its own keys in the
machine's Redis (or a private redis-server). The test must be a TransactionTestCase, so its rows
are committed and visible to the other processes.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

import redis
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files import File
from django.db import connection
from django.test import TransactionTestCase

from coaching.models import Cohort, Membership, Role
from songs.models import Bounce
from stages.models import StageRecord, Status
from tests.base import ensure_stage_catalogue, long_wav, make_song, make_user
from tests.processes import app_env, manage, production_settings
from tests.services import require_service

REDIS_TEST_DB_URL = "redis://127.0.0.1:6379/14"
ATTEMPT_MINUTES = (12, 24, 24)
"""The lengths of the bounces a test tries, until what it does comes while the work runs."""
T = TypeVar("T")

RUN_KEY_PREFIX = f"stagecoach-test-{os.getpid()}:"
"""Before every key this run's processes put in the machine's Redis: two runs on one
machine (a developer's and CI's, say) share its database, never each other's tasks."""


def service_env(broker_url: str = REDIS_TEST_DB_URL, **extra: str) -> dict[str, str]:
    """The environment of the app's own processes, pointed at this test's database."""
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return app_env(
        database_url=f"postgres://{user}@{host}:{port}/{db['NAME']}",
        broker_url=broker_url,
        media_root=str(settings.MEDIA_ROOT),
        DATABASE_CONN_MAX_AGE="0",
        **{"STAGECOACH_BROKER_KEY_PREFIX": RUN_KEY_PREFIX, **extra},
    )


def production_env(broker_url: str = REDIS_TEST_DB_URL, **extra: str) -> dict[str, str]:
    """Settings as in docker-compose.yml (debug off, whitenoise), with static files
    collected, over plain HTTP."""
    static_root = tempfile.mkdtemp(prefix="stagecoach-static-")
    env = service_env(broker_url, **production_settings(static_root), **extra)
    manage(env, "collectstatic", "--no-input", "-v0")
    return env


def flush_redis(url: str = REDIS_TEST_DB_URL, prefix: str = RUN_KEY_PREFIX) -> None:
    """Delete this run's keys (queues, bindings, unacknowledged tasks), and no one else's."""
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)


class ServicesTestCase(TransactionTestCase):
    """Rows committed for the app's own processes: a student, "ada" (password
    "password-ada", hashed as production hashes it), with a song whose `open_stage` is
    in progress."""

    open_stage = "mixing"

    def setUp(self) -> None:
        require_service("postgres")
        require_service("redis")
        super().setUp()
        ensure_stage_catalogue()
        flush_redis()
        cohort = Cohort.objects.create(name="Autumn")
        self.student = make_user("ada")
        self.student.password = PBKDF2PasswordHasher().encode("password-ada", "fixed-salt")
        self.student.save(update_fields=["password"])
        Membership.objects.create(user=self.student, cohort=cohort, role=Role.STUDENT)
        self.song = make_song(self.student, cohort, title="Paper Lanterns")
        self.record = self.song.records.get(stage__slug=self.open_stage)
        StageRecord.objects.filter(pk=self.record.pk).update(status=Status.IN_PROGRESS)

    def bounce(self, pk: int) -> Bounce:
        return Bounce.everything.get(pk=pk)

    def long_bounce(self, minutes: float = 12) -> Bounce:
        """A bounce long enough for its analysis to be caught while it runs."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "long.wav")
            long_wav(path, minutes=minutes)
            bounce = Bounce(
                record=self.record,
                version=Bounce.everything.filter(record=self.record).count() + 1,
                original_name="long.wav",
                size_bytes=os.path.getsize(path),
                sha256="0" * 64,
                audio_format="wav",
                uploaded_by=self.student,
            )
            with open(path, "rb") as handle:
                bounce.file.save("long.wav", File(handle), save=True)
        return bounce

    def while_it_runs(
        self, minutes: Sequence[float], attempt: Callable[[Bounce], T | None], what: str
    ) -> tuple[Bounce, T]:
        """`attempt(bounce)` on a long bounce, and again on each longer one in `minutes` for
        as long as it returns None: on a loaded machine the work can be over before the
        test, itself waiting for a core, does what it must do while the work runs (kill the
        worker, send a second delivery). Such a try proves nothing either way, so it does
        not count. The bounce (read again) and what the attempt returned."""
        for length in minutes:
            bounce = self.long_bounce(length)
            result = attempt(bounce)
            if result is not None:
                return self.bounce(bounce.pk), result
            # Out of play, so that the next try's sweep has no unfinished pass of it to send.
            Bounce.everything.filter(pk=bounce.pk).delete()
        raise AssertionError(f"{what} came after the work was over, on bounces of {minutes} min")


class WebClient:
    """A student's browser reduced to HTTP: logs in through the login form, then sends
    uploads as the stage page's form does (htmx, CSRF header, a one-time request key)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.get(f"{base_url}/accounts/login/", timeout=30).raise_for_status()
        token = self.session.cookies["csrftoken"]
        answer = self.session.post(
            f"{base_url}/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            timeout=30,
        )
        answer.raise_for_status()
        if "sessionid" not in self.session.cookies:
            raise AssertionError(f"logging in as {username} failed:\n{answer.text[:2000]}")

    def upload(self, path: str, data: bytes, *, note: str = "") -> float:
        """Upload a bounce to the stage page at `path`; returns the seconds the answer took."""
        key = str(uuid.uuid4())
        started = time.monotonic()
        answer = self.session.post(
            f"{self.base_url}{path}bounces/",
            data={"note": note or key, "request_key": key},
            files={"file": ("take.wav", data, "audio/wav")},
            headers={"HX-Request": "true", "X-CSRFToken": self.session.cookies["csrftoken"]},
            timeout=60,
        )
        seconds = time.monotonic() - started
        answer.raise_for_status()
        if "is uploaded" not in answer.text:
            raise AssertionError(f"the upload was refused:\n{answer.text[:2000]}")
        return seconds
