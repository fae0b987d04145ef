"""The one harness for tests that start the app's own processes: gunicorn, Celery workers,
a private redis-server, a private PostgreSQL, the nginx front server, each on a free port
of its own.

Nothing here imports Django, so the load test (`tests/load/run.py`, a plain script) and the
pipeline tests (`tests/pipeline/`, Django test cases) start processes the same way. Every
start waits for the process to be ready (it answers a ping, or says so in its log), never
for a fixed time; the timeouts are only how long to wait before giving up, and are generous
so a machine whose cores are busy with something else still passes.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple, TypeVar

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 180.0
"""How long a process may take to become ready before the test gives up on it."""

T = TypeVar("T")


def _ephemeral_ports() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)  # Linux's default


def free_port() -> int:
    """A port nothing on this machine holds, on any address, picked at random below the
    kernel's ephemeral range. A port the kernel hands out (bind to port 0) comes from that
    range, where any outgoing connection may take it between our release and the server's
    bind; below it only another such pick can, which `start_on_free_ports` then survives."""
    ephemeral = _ephemeral_ports()
    candidates = range(10000, ephemeral.start) if ephemeral.start > 12000 else ephemeral
    while True:
        port = random.choice(candidates)
        with socket.socket() as sock:
            try:
                sock.bind(("", port))
            except OSError:
                continue
            return port


class PortTaken(AssertionError):
    """The process exited because another had taken its port since it was picked."""


PORT_TAKEN = ("Address already in use", "Connection in use")
"""How nginx, redis-server and moto (the first) and gunicorn (the second) say so."""


def start_on_free_ports(start: Callable[[], T], *, attempts: int = 3) -> T:
    """`start()`, which picks free ports itself, again (with new ports) if its process
    exited because one of them was taken meanwhile."""
    for _ in range(attempts - 1):
        with contextlib.suppress(PortTaken):
            return start()
    return start()


def wait_for(condition: Callable[[], T], *, timeout: float, what: str) -> T:
    """Poll `condition` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def app_env(*, database_url: str, broker_url: str, media_root: str, **extra: str) -> dict[str, str]:
    """The environment of the app's own processes: this machine's environment without any
    of the app's settings, then the given database, broker and media, then `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "STAGECOACH_"))
    }
    env |= {
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_MEDIA_ROOT": media_root,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


def production_settings(static_root: str) -> dict[str, str]:
    """Settings as in docker-compose.yml (debug off, whitenoise), over plain HTTP."""
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "test-only-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": static_root,
    }


def manage(env: Mapping[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        check=True,
        capture_output=True,
    )


class Process:
    """A child process in a session of its own, its output in a log file, stopped (or
    killed) when the block ends."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str]) -> None:
        self.name = name
        self.log_path = Path(tempfile.mkstemp(prefix=f"stagecoach-{name}-", suffix=".log")[1])
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=dict(env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready: Callable[[], object], *, what: str) -> None:
        """Wait until `ready` holds; fail at once, with the log, if the process exits."""
        wait_for(lambda: ready() or not self.running, timeout=START_TIMEOUT_S, what=what)
        if not self.running:
            output = self.output()
            self.stop()
            error = PortTaken if any(sign in output for sign in PORT_TAKEN) else AssertionError
            raise error(f"{self.name} exited:\n{output}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, no acknowledgements."""
        if self.running:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.running:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect (to HTTPS, say) is an answer: the server is up


def _answers_http(url: str, context: ssl.SSLContext | None = None) -> bool:
    opener = urllib.request.build_opener(_NoRedirects, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=2) as response:
            return bool(response.status)
    except urllib.error.HTTPError:
        return True  # it answered, with an error page (or a redirect): it is up
    except OSError:
        return False


def gunicorn(
    env: Mapping[str, str], *, workers: int = 2, timeout_s: int = 120, quiet: bool = False
) -> tuple[Process, str]:
    """gunicorn as the Dockerfile starts it, on a free port; ready once it answers HTTP."""
    return start_on_free_ports(lambda: _gunicorn(env, workers, timeout_s, quiet))


def _gunicorn(
    env: Mapping[str, str], workers: int, timeout_s: int, quiet: bool
) -> tuple[Process, str]:
    port = free_port()
    args = [
        str(BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        str(timeout_s),
    ]
    if quiet:
        args += ["--log-level", "warning"]
    server = Process("gunicorn", args, env)
    base = f"http://127.0.0.1:{port}"
    server.wait_until(lambda: _answers_http(base + "/accounts/login/"), what="gunicorn")
    return server, base


NGINX_START = ROOT / "deploy" / "nginx" / "start"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 (and its key), made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


class FrontServer(NamedTuple):
    process: Process
    base: str
    """The HTTPS address, e.g. https://127.0.0.1:40123."""
    http_base: str
    certificate: Path


def nginx(upstream: str, app: Mapping[str, str], workdir: Path) -> FrontServer:
    """The front server as docker-compose starts it: deploy/nginx/start renders the shipped
    deploy/nginx/stagecoach.conf with the environment and runs nginx in the foreground,
    here with a prefix under `workdir`, free ports, a self-signed certificate and the app's
    own upload and media settings from `app`. Ready once it answers over HTTPS."""
    cert, key = self_signed_certificate(workdir)
    return start_on_free_ports(lambda: _nginx(upstream, app, workdir, cert, key))


def _nginx(
    upstream: str, app: Mapping[str, str], workdir: Path, cert: Path, key: Path
) -> FrontServer:
    https_port = free_port()
    http_port = next(port for port in iter(free_port, None) if port != https_port)
    shared = ("STAGECOACH_MAX_UPLOAD_MB", "STAGECOACH_VOICE_MAX_MB", "DJANGO_MEDIA_ROOT")
    env = {key: value for key, value in os.environ.items() if not key.startswith("NGINX_")}
    env |= {name: app[name] for name in shared + ("STAGECOACH_MEDIA_ACCEL_PREFIX",) if name in app}
    env |= {
        "NGINX_PREFIX": str(workdir / "nginx"),
        "NGINX_BIN": shutil.which("nginx") or "/usr/sbin/nginx",
        "NGINX_UPSTREAM": upstream,
        "NGINX_HTTP_PORT": str(http_port),
        "NGINX_HTTPS_PORT": str(https_port),
        "NGINX_HTTPS_PUBLIC_PORT": str(https_port),
        "NGINX_TLS_CERT": str(cert),
        "NGINX_TLS_KEY": str(key),
        "NGINX_WORKER_PROCESSES": "2",
    }
    if os.geteuid() == 0:
        # Started as root (as on the CI machine), nginx would drop its workers to nobody,
        # who may not read the media gunicorn (root here) wrote; compose runs nginx as the
        # app's own user instead, which needs no such line.
        env["NGINX_USER"] = "root"
    server = Process("nginx", ["/bin/sh", str(NGINX_START)], env)
    base = f"https://127.0.0.1:{https_port}"
    context = ssl.create_default_context(cafile=str(cert))
    server.wait_until(lambda: _answers_http(base + "/static/", context), what="nginx")
    return FrontServer(server, base, f"http://127.0.0.1:{http_port}", cert)


def celery_worker(
    name: str,
    env: Mapping[str, str],
    *,
    concurrency: int = 1,
    beat: bool = False,
    niceness: int = 0,
) -> Process:
    """A Celery worker for the app, ready once it has connected to the broker and says so
    ("<name>@<host> ready.", which it logs at INFO); under `nice -n niceness` if given, as
    docker-compose.yml runs it beside the web processes."""
    args = [
        *(["nice", "-n", str(niceness)] if niceness else []),
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
    worker.wait_until(lambda: "ready." in worker.output(), what=f"worker {name}")
    return worker


def celery_beat(env: Mapping[str, str]) -> Process:
    """Celery beat on its own, as docker-compose.yml starts it; ready once it has started
    its scheduler (it says so at INFO). It needs no broker to start: a send that finds the
    broker down is logged and tried again at the next tick."""
    schedule = Path(tempfile.mkdtemp(prefix="stagecoach-beat-")) / "schedule"
    args = [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO"]
    args += ["--schedule", str(schedule)]
    beat = Process("beat", args, env)
    beat.wait_until(lambda: "beat: Starting..." in beat.output(), what="celery beat")
    return beat


def publish(
    bounce_ids: int | list[int],
    env: Mapping[str, str],
    *,
    task: str = "songs.tasks.analyse_bounce",
    task_id: str | None = None,
) -> None:
    """Publish analysis tasks from a separate process, as the web process would (with
    `task_id`, each under that id: the same task delivered again)."""
    ids = [bounce_ids] if isinstance(bounce_ids, int) else bounce_ids
    code = (
        "import django; django.setup(); import songs.tasks; from celery import current_app; "
        f"task = current_app.tasks[{task!r}]; "
        f"[task.apply_async((i,), retry=False, task_id={task_id!r}) for i in {ids!r}]"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=dict(env),
        check=True,
        capture_output=True,
        timeout=START_TIMEOUT_S,
    )


class PrivateRedis:
    """A redis-server of the caller's own on a free port, which it may stop and start;
    the machine's Redis is never touched."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no"]
        self.process = Process("redis", args, os.environ)
        self.process.wait_until(self.answers, what="the private redis-server")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def __enter__(self) -> PrivateRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not versions:
        raise RuntimeError(
            "PostgreSQL's server binaries are not installed (apt-get install postgresql)."
        )
    return versions[-1].parent


class PrivatePostgres:
    """A throwaway PostgreSQL cluster owned by the postgres user, on its own port (the
    machine's server is never touched). Needs root, to run the server as postgres."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "pg"
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/stagecoach"

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, cwd="/tmp"
        )

    def start(self) -> None:
        self._as_postgres(
            str(_pg_bin() / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres"
        )
        self._pg_ctl("start")
        subprocess.run(
            [str(_pg_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
            + ["-U", "postgres", "stagecoach"],
            check=True,
        )

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=100"
        )
        # -w: pg_ctl itself waits until the server accepts connections.
        self._as_postgres(
            str(_pg_bin() / "pg_ctl"),
            "-D",
            str(self.dir),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            action,
            *extra,
        )

    def restart(self) -> float:
        """Restart the server (fast shutdown, as an operator would); returns the seconds
        it was away."""
        started = time.monotonic()
        self._pg_ctl("restart", "-m", "fast")
        return time.monotonic() - started

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop", "-m", "immediate")


class S3Server:
    """A real S3-protocol server over HTTP on a free port of its own: moto's standalone
    server (`moto_server`), a separate process the app talks to with boto3 as it would to
    any object store. Nothing in it is shared with the machine or another run."""

    ACCESS_KEY = "stagecoach-test"
    SECRET_KEY = "stagecoach-test-secret"
    REGION = "us-east-1"

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.process: Process | None = None

    @staticmethod
    def binary() -> Path | None:
        found = BIN / "moto_server"
        if found.exists():
            return found
        which = shutil.which("moto_server")
        return Path(which) if which else None

    def start(self) -> None:
        binary = self.binary()
        if binary is None:
            raise RuntimeError("moto_server is not installed (pip install 'moto[server]').")
        args = [str(binary), "-H", "127.0.0.1", "-p", str(self.port)]
        self.process = Process("s3", args, os.environ)
        # Ready once it answers S3's ListBuckets over HTTP (any answer: it is up).
        self.process.wait_until(
            lambda: _answers_http(self.endpoint_url + "/"), what="the S3 server (moto_server)"
        )

    def env(self, bucket: str) -> dict[str, str]:
        """The app's settings for media in `bucket` on this server (README: Configuration)."""
        return {
            "STAGECOACH_S3_BUCKET": bucket,
            "STAGECOACH_S3_ENDPOINT_URL": self.endpoint_url,
            "STAGECOACH_S3_REGION": self.REGION,
            "STAGECOACH_S3_ACCESS_KEY_ID": self.ACCESS_KEY,
            "STAGECOACH_S3_SECRET_ACCESS_KEY": self.SECRET_KEY,
            "STAGECOACH_S3_ADDRESSING_STYLE": "path",
        }

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def __enter__(self) -> S3Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
