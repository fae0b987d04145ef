"""Start the production shape natively for a test: gunicorn, Celery workers, Redis.

Everything talks to the test run's own PostgreSQL database (so the test must be a
TransactionTestCase: its rows are committed and visible to the other processes) and to
a Redis database or a private redis-server on a port of its own; the machine's Redis
server is never stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test import TransactionTestCase

from coaching.models import Cohort, Membership, Role
from stages.models import Status
from tests.base import ensure_stage_catalogue, make_song, make_user
from tests.services import require_service

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_TEST_DB_URL = "redis://127.0.0.1:6379/14"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def service_env(broker_url: str = REDIS_TEST_DB_URL, **extra: str) -> dict[str, str]:
    """The environment of the app's own processes, pointed at this test's database."""
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    database_url = (
        f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "STAGECOACH_"))
    }
    env |= {
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }
    env |= extra
    return env


class Process:
    """A child process with its output in a log file, stopped (or killed) on exit."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.log_path = Path(tempfile.mkstemp(prefix=f"stagecoach-{name}-", suffix=".log")[1])
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, no acknowledgements."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def celery_worker(
    name: str, env: dict[str, str], *, concurrency: int = 1, beat: bool = False
) -> Process:
    args = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-n",
        f"{name}@%h",
        "-c",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        schedule = Path(tempfile.mkdtemp(prefix="stagecoach-beat-")) / "schedule"
        args += ["--beat", "--schedule", str(schedule)]
    worker = Process(name, args, env)
    wait_for(
        lambda: "ready." in worker.output() or worker.proc.poll() is not None,
        timeout=60,
        what=f"worker {name} to start",
    )
    if worker.proc.poll() is not None:
        raise AssertionError(f"worker {name} exited:\n{worker.output()}")
    return worker


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def production_env(broker_url: str = REDIS_TEST_DB_URL, **extra: str) -> dict[str, str]:
    """Settings as in docker-compose.yml (debug off, whitenoise), over plain HTTP."""
    static_root = tempfile.mkdtemp(prefix="stagecoach-static-")
    env = service_env(
        broker_url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="test-only-" + "k" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_STATIC_ROOT=static_root,
        **extra,
    )
    collectstatic(env)
    return env


def gunicorn(env: dict[str, str], *, workers: int = 2) -> tuple[Process, str]:
    port = free_port()
    server = Process(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
        ],
        env,
    )

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return server.proc.poll() is not None

    wait_for(answers, timeout=30, what="gunicorn to listen")
    if server.proc.poll() is not None:
        raise AssertionError(f"gunicorn exited:\n{server.output()}")
    return server, f"http://127.0.0.1:{port}"


class PrivateRedis:
    """A redis-server of the test's own on a free port, which the test may stop."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = Process(
            "redis",
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            os.environ.copy(),
        )
        wait_for(
            lambda: "Ready to accept connections" in self.process.output(),
            timeout=20,
            what="the private redis-server",
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


def flush_redis(url: str = REDIS_TEST_DB_URL) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def publish(bounce_ids: int | list[int], env: dict[str, str]) -> None:
    """Publish analysis tasks from a separate process, as the web process would."""
    ids = [bounce_ids] if isinstance(bounce_ids, int) else bounce_ids
    code = (
        "import django; django.setup(); from songs.tasks import analyse_bounce; "
        f"[analyse_bounce.apply_async((i,), retry=False) for i in {ids!r}]"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


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
        type(self.record).objects.filter(pk=self.record.pk).update(status=Status.IN_PROGRESS)
