"""The production shape behind the front server: gunicorn as the Dockerfile starts it (three
sync workers, debug off, settings as docker-compose.yml gives them behind nginx) and nginx
started by deploy/nginx/start with the shipped config, both once per test class."""

from __future__ import annotations

import functools
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

from tests.frontserver.client import Session
from tests.pipeline.harness import ServicesTestCase, service_env
from tests.processes import FrontServer, Process, gunicorn, manage, nginx, production_settings
from tests.services import require_service


@functools.cache
def collected_static() -> str:
    """The static files, collected once for the whole run (collectstatic takes a while)."""
    static_root = tempfile.mkdtemp(prefix="stagecoach-static-")
    manage(service_env(**production_settings(static_root)), "collectstatic", "--no-input", "-v0")
    return static_root


def front_env() -> dict[str, str]:
    """The app's settings as compose gives them behind nginx, static files collected."""
    settings = production_settings(collected_static()) | {
        "DJANGO_SECURE_COOKIES": "true",
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "DJANGO_BEHIND_TLS_PROXY": "true",
        "DJANGO_PROXY_COUNT": "1",
        "STAGECOACH_MEDIA_SERVE": "x-accel-redirect",
        "STAGECOACH_MEDIA_ACCEL_PREFIX": "/protected-media/",
        "STAGECOACH_MAX_UPLOAD_MB": "250",
        "STAGECOACH_VOICE_MAX_MB": "10",
    }
    return service_env(**settings)


class FrontServerTestCase(ServicesTestCase):
    """nginx in front of gunicorn, on this test run's database; `self.session` is a client of
    nginx over HTTPS (trusting the test's certificate), not yet logged in."""

    app_env: ClassVar[dict[str, str]]
    web: ClassVar[Process]
    web_base: ClassVar[str]
    front: ClassVar[FrontServer]
    workdir: ClassVar[Path]

    @classmethod
    def setUpClass(cls) -> None:
        require_service("nginx")
        require_service("postgres")
        require_service("redis")
        super().setUpClass()
        cls.workdir = Path(tempfile.mkdtemp(prefix="stagecoach-front-"))
        cls.addClassCleanup(shutil.rmtree, cls.workdir, True)
        cls.app_env = front_env()
        cls.web, cls.web_base = gunicorn(cls.app_env, workers=3, timeout_s=30, quiet=True)
        cls.addClassCleanup(cls.web.stop)
        cls.front = nginx(cls.web_base.removeprefix("http://"), cls.app_env, cls.workdir)
        cls.addClassCleanup(cls.front.process.stop)

    def setUp(self) -> None:
        super().setUp()
        self.session = Session(self.front.base, cafile=self.front.certificate)

    def record_path(self) -> str:
        return f"/songs/{self.song.pk}/stages/{self.open_stage}/"


# --- Slow clients and the latency everyone else sees --------------------------------------


class SlowUploads:
    """`count` logged-in clients each POSTing an upload that declares 100,000 bytes and
    sending one byte a second, until stopped."""

    def __init__(self, session: Session, path: str, count: int) -> None:
        self.session, self.path, self.count = session, path, count
        self.sockets = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def _trickle(self) -> None:
        while not self._stop.wait(1.0):  # one byte a second: the attack's own pace
            for sock in self.sockets:
                try:
                    sock.sendall(b"a")
                except OSError:
                    continue

    def __enter__(self) -> SlowUploads:
        headers = self.session.headers(
            **{"Content-Type": "multipart/form-data; boundary=x", "Content-Length": "100000"}
        )
        head = f"POST {self.path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        for _ in range(self.count):
            sock = self.session.open_socket(timeout=30)
            sock.sendall(head.encode() + b"\r\n-")
            self.sockets.append(sock)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


THINK_S = 0.1


def page_latencies(
    session: Session, path: str, *, seconds: float, users: int = 3, timeout: float = 5.0
) -> list[float]:
    """Seconds each GET of `path` took, `users` at a time for `seconds`; a request that
    fails or takes over `timeout` counts as `timeout`."""
    latencies: list[float] = []
    lock = threading.Lock()
    over = threading.Event()
    timer = threading.Timer(seconds, over.set)
    timer.start()

    def user() -> None:
        while not over.is_set():
            started = time.monotonic()
            try:
                response, _ = session.request("GET", path, timeout=timeout)
                took = time.monotonic() - started if response.status == 200 else timeout
            except OSError:
                took = timeout
            with lock:
                latencies.append(min(took, timeout))
            # A person reading, not a benchmark: ten pages a second at most; the pause ends
            # at once when the measurement does.
            over.wait(THINK_S)

    threads = [threading.Thread(target=user) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timer.cancel()
    return latencies


def p95(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=20)[-1]
