"""`make loadtest`: the production shape under load, then PostgreSQL restarted under load.

Starts a private PostgreSQL cluster (never the machine's), builds a 300-student cohort,
serves it with gunicorn (debug off), and drives 50 concurrent virtual users through the
students' and coaches' main journeys with locust for 60 s. Then it does it again and
restarts PostgreSQL 20 s in: requests during the restart must fail cleanly (an error
page, not a hang), the app must recover by itself, and no write the server accepted may
be missing afterwards. Figures go to stdout and bench-results/loadtest.json; the exit
status is non-zero when a target is missed.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USERS, SPAWN_RATE, DURATION_S, STUDENTS = 50, 25, 60, 300
FAULT_AT_S = 20
P95_TARGET_MS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not versions:
        sys.exit("PostgreSQL's server binaries are not installed (apt-get install postgresql).")
    return versions[-1].parent


class PrivatePostgres:
    """A throwaway cluster owned by the postgres user, on its own port."""

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
            str(pg_bin() / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres"
        )
        self._pg_ctl("start")
        subprocess.run(
            [
                str(pg_bin() / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "stagecoach",
            ],
            check=True,
        )

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=100"
        )
        self._as_postgres(
            str(pg_bin() / "pg_ctl"),
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
        started = time.monotonic()
        self._pg_ctl("restart", "-m", "fast")
        return time.monotonic() - started

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop", "-m", "immediate")


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def app_env(database_url: str, workdir: Path, broker_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "STAGECOACH_"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "load-test-only-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "STAGECOACH_LOGIN_THROTTLING": "false",
    }
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


def locust(env: dict[str, str], base: str, prefix: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "tests/load/locustfile.py"),
            "--headless",
            "-u",
            str(USERS),
            "-r",
            str(SPAWN_RATE),
            "-t",
            f"{DURATION_S}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def summary(prefix: Path) -> dict:
    with open(f"{prefix}_stats.csv") as stats, open(f"{prefix}_failures.csv") as errors:
        rows, failures = list(csv.DictReader(stats)), list(csv.DictReader(errors))
    aggregate = next(r for r in rows if r["Name"] == "Aggregated")
    return {
        "requests": int(aggregate["Request Count"]),
        "failures": int(aggregate["Failure Count"]),
        "throughput_rps": round(float(aggregate["Requests/s"]), 1),
        "p50_ms": float(aggregate["50%"]),
        "p95_ms": float(aggregate["95%"]),
        "p99_ms": float(aggregate["99%"]),
        "max_ms": float(aggregate["Max Response Time"]),
        "per_page": {
            r["Name"]: {"requests": int(r["Request Count"]), "p95_ms": float(r["95%"])}
            for r in rows
            if r["Name"] != "Aggregated"
        },
        "failure_kinds": {f["Error"]: int(f["Occurrences"]) for f in failures},
    }


def lost_writes(env: dict[str, str], accepted: Path) -> dict:
    """Check every write the server accepted is in the database."""
    code = f"""
import json, django
django.setup()
from songs.models import Bounce
from stages.models import StageRecord
journals, later, bounces = {{}}, {{}}, []
for line in open({str(accepted)!r}):
    item = json.loads(line)
    if "journal" in item:
        journals[item["record"]] = item["journal"]
        later[item["record"]] = set()
    elif "attempt" in item:
        later.setdefault(item["record"], set()).add(item["attempt"])
    else:
        bounces.append(item["bounce"])
stored = dict(StageRecord.objects.filter(pk__in=journals).values_list("pk", "journal"))
# The last accepted text must be there, or a text sent after it (whose answer was lost).
lost_journals = [pk for pk, text in journals.items()
                 if stored.get(pk) != text and stored.get(pk) not in later.get(pk, set())]
present = set(Bounce.objects.filter(note__in=bounces).values_list("note", flat=True))
print(json.dumps({{"journals_checked": len(journals), "journals_lost": len(lost_journals),
                  "uploads_checked": len(bounces), "uploads_lost": len(set(bounces) - present)}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def still_answers(base: str, session: str) -> bool:
    request = urllib.request.Request(base + "/", headers={"Cookie": f"sessionid={session}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def main() -> int:
    if os.geteuid() != 0:
        sys.exit("make loadtest starts a private PostgreSQL as the postgres user: run it as root.")
    workdir = Path(tempfile.mkdtemp(prefix="stagecoach-load-"))
    os.chmod(workdir, 0o755)
    postgres = PrivatePostgres(workdir)
    server = redis = worker = None
    try:
        postgres.start()
        redis_port = free_port()
        redis = start(
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            os.environ.copy(),
            workdir / "redis.log",
        )
        env = app_env(postgres.url, workdir, f"redis://127.0.0.1:{redis_port}/0")
        print(
            f"Private PostgreSQL on port {postgres.port}; migrating and building "
            f"{STUDENTS} students…",
            flush=True,
        )
        manage(env, "migrate", "--no-input")
        manage(env, "collectstatic", "--no-input")
        cast_path = workdir / "cast.json"
        subprocess.run(
            [sys.executable, "-m", "tests.load.cast", str(cast_path), str(STUDENTS)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        sys.path.insert(0, str(ROOT))
        from songs.demo import encode, synthesise

        wav = workdir / "take.wav"
        wav.write_bytes(encode(synthesise(seconds=0.5)))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "4",
                "--timeout",
                "30",
                "--log-level",
                "warning",
            ],
            env,
            workdir / "gunicorn.log",
        )
        # Uploads are analysed by a Celery worker, as in production, not in the web process.
        worker = start(
            [str(BIN / "celery"), "-A", "config", "worker", "-c", "1", "--loglevel", "WARNING"],
            env,
            workdir / "worker.log",
        )
        time.sleep(4)
        cast = json.loads(cast_path.read_text())
        results = {}
        for run in ("steady", "postgres restart"):
            accepted = workdir / f"accepted-{run.replace(' ', '-')}.jsonl"
            accepted.touch()
            load_env = env | {
                "STAGECOACH_LOAD_CAST": str(cast_path),
                "STAGECOACH_LOAD_ACCEPTED": str(accepted),
                "STAGECOACH_LOAD_WAV": str(wav),
            }
            prefix = workdir / run.replace(" ", "-")
            print(f"Run '{run}': {USERS} users for {DURATION_S} s…", flush=True)
            swarm = locust(load_env, base, prefix)
            outage = None
            if run == "postgres restart":
                time.sleep(FAULT_AT_S)
                outage = round(postgres.restart(), 2)
            swarm.wait(timeout=DURATION_S + 60)
            result = summary(prefix)
            result["recovered"] = still_answers(base, cast["students"][0]["session"])
            result |= lost_writes(env, accepted)
            if outage is not None:
                result["postgres_restart_s"] = outage
            results[run] = result
    finally:
        for process in (server, worker, redis):
            stop(process)
        postgres.stop()

    steady, fault = results["steady"], results["postgres restart"]
    print(
        "\nLoad test: 300-student cohort, gunicorn (4 workers) on PostgreSQL, a Celery worker "
        "on Redis, 50 users, 60 s"
    )
    for name, r in results.items():
        print(
            f"  {name:<17} {r['requests']:>6} requests  {r['throughput_rps']:>6} req/s  "
            f"p50 {r['p50_ms']:.0f} ms  p95 {r['p95_ms']:.0f} ms  p99 {r['p99_ms']:.0f} ms  "
            f"max {r['max_ms']:.0f} ms  errors {r['failures']}"
        )
    print(
        f"  restart took {fault.get('postgres_restart_s')} s; errors during it: "
        f"{fault['failure_kinds'] or 'none'}; recovered: {fault['recovered']}"
    )
    print(
        f"  writes checked after the restart run: {fault['journals_checked']} journals, "
        f"{fault['uploads_checked']} uploads; lost: {fault['journals_lost']} journals, "
        f"{fault['uploads_lost']} uploads"
    )
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "loadtest.json").write_text(json.dumps(results, indent=2))

    problems = []
    if steady["failures"]:
        problems.append(f"{steady['failures']} errors in the steady run")
    if steady["p95_ms"] >= P95_TARGET_MS:
        problems.append(f"steady p95 {steady['p95_ms']:.0f} ms is not under {P95_TARGET_MS} ms")
    if not fault["recovered"]:
        problems.append("the app did not recover after PostgreSQL restarted")
    if fault["max_ms"] > 15_000:
        problems.append("a request hung during the restart")
    if any("500" not in kind for kind in fault["failure_kinds"]):
        problems.append(f"failures other than an error page: {fault['failure_kinds']}")
    if fault["journals_lost"] or fault["uploads_lost"] or steady["journals_lost"]:
        problems.append("accepted writes were lost")
    for problem in problems:
        print("FAILED:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
