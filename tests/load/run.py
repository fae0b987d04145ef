"""`make loadtest`: the production shape under load, then PostgreSQL restarted under load.

Starts a private PostgreSQL cluster (never the machine's), builds a 300-student cohort,
serves it with gunicorn (debug off, 4 sync workers), and drives virtual users through the
students' and coaches' main journeys with locust: 50, 100, 200 and 400 users in turn, each
step on its own for a while, to find the knee. The target is the 100-user step: no errors
and p95 under 150 ms. Then 100 users again while PostgreSQL restarts 20 s in: no request
may answer 500 (a read is retried on a fresh connection, a change gets a 503 "try again"
page with Retry-After), the app recovers by itself, and no write the server accepted is
missing afterwards. Figures go to stdout and bench-results/loadtest.json; the exit status
is non-zero when a target is missed. STAGECOACH_LOAD_STEPS="50 100" runs fewer steps.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from songs.demo import encode, synthesise  # noqa: E402  (the checkout first: run as a script)
from tests.processes import (  # noqa: E402
    BIN,
    PrivatePostgres,
    PrivateRedis,
    app_env,
    celery_worker,
    gunicorn,
    manage,
    production_settings,
)

STEPS = [int(n) for n in os.environ.get("STAGECOACH_LOAD_STEPS", "50 100 200 400").split()]
STEP_S, FAULT_RUN_S, STUDENTS, WORKERS = 45, 60, 300, 4
TARGET_USERS, P95_TARGET_MS = 100, 150
FAULT_AT_S = 20
WORKER_NICENESS = 10


def load_env(database_url: str, workdir: Path, broker_url: str) -> dict[str, str]:
    return app_env(
        database_url=database_url,
        broker_url=broker_url,
        media_root=str(workdir / "media"),
        DJANGO_LOG_LEVEL="WARNING",
        # As compose runs it: the web workers share one cache (rate limits count there).
        STAGECOACH_CACHE_URL=broker_url.rsplit("/", 1)[0] + "/1",
        STAGECOACH_LOGIN_THROTTLING="false",
        # The load's students upload far more than a person would in an hour.
        STAGECOACH_UPLOADS_PER_HOUR="0",
        **production_settings(str(workdir / "static")),
    )


def locust(
    env: dict[str, str], base: str, prefix: Path, *, users: int, seconds: int
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "tests/load/locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(users // 2, 25)),
            "-t",
            f"{seconds}s",
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
        "failure_kinds": _kinds(failures),
    }


def _kinds(failures: list[dict[str, str]]) -> dict[str, int]:
    """Each kind of failure and how often it happened, over every page (locust writes a
    row per page and kind: three pages' 503s are three rows of one kind)."""
    kinds: dict[str, int] = {}
    for failure in failures:
        kinds[failure["Error"]] = kinds.get(failure["Error"], 0) + int(failure["Occurrences"])
    return kinds


def lost_writes(env: dict[str, str], accepted: Path) -> dict:
    """Check every write the server accepted is in the database."""
    code = f"""
import json, django
from math import inf
django.setup()
from songs.models import Bounce
from stages.models import StageRecord
# Per record, each text's line numbers: when it was sent, and when its save was answered.
sent, answered, bounces = {{}}, {{}}, []
for number, line in enumerate(open({str(accepted)!r})):
    item = json.loads(line)
    if "attempt" in item:
        sent.setdefault(item["record"], {{}})[item["attempt"]] = number
    elif "journal" in item:
        answered.setdefault(item["record"], {{}})[item["journal"]] = number
    else:
        bounces.append(item["bounce"])
stored = dict(StageRecord.objects.filter(pk__in=answered).values_list("pk", "journal"))
# The last text whose save was answered must be there, or one whose save may have been
# committed after it: one still unanswered when that last text was sent (its answer came
# later or never). Two virtual users may share a student, so saves to one record overlap.
lost_journals = []
for pk, texts in answered.items():
    last = max(texts, key=texts.get)
    overlapping = {{text for text in sent[pk] if texts.get(text, inf) > sent[pk][last]}}
    if stored.get(pk) not in {{last}} | overlapping:
        lost_journals.append(pk)
present = set(Bounce.objects.filter(note__in=bounces).values_list("note", flat=True))
print(json.dumps({{"journals_checked": len(answered), "journals_lost": len(lost_journals),
                  "uploads_checked": len(bounces), "uploads_lost": len(set(bounces) - present)}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def knee_of(results: dict) -> str:
    """The first step whose p95 is more than twice the lightest step's, or that has errors:
    where queueing for the workers starts to dominate."""
    steps = [r for name, r in results.items() if name.endswith(" users")]
    if not steps:
        return "no steps ran"
    floor = steps[0]["p95_ms"]
    for step in steps[1:]:
        if step["failures"] or step["p95_ms"] > 2 * floor:
            return (
                f"between {steps[steps.index(step) - 1]['users']} and {step['users']} users "
                f"(p95 {floor:.0f} ms at {steps[0]['users']}, {step['p95_ms']:.0f} ms at "
                f"{step['users']}; throughput levels at about "
                f"{max(r['throughput_rps'] for r in steps):.0f} req/s)"
            )
    return f"not reached by {steps[-1]['users']} users"


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
    redis = PrivateRedis()
    server = worker = None
    try:
        postgres.start()
        redis.start()
        env = load_env(postgres.url, workdir, redis.url)
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
        wav = workdir / "take.wav"
        wav.write_bytes(encode(synthesise(seconds=0.5)))
        server, base = gunicorn(env, workers=WORKERS, timeout_s=30, quiet=True)
        # Uploads are analysed by a Celery worker, as in production, not in the web process,
        # and, as docker-compose.yml runs it, at a lower priority than the pages.
        worker = celery_worker("load", env, niceness=WORKER_NICENESS)
        cast = json.loads(cast_path.read_text())
        results = {}
        runs = [(f"{users} users", users, STEP_S) for users in STEPS]
        runs.append(("postgres restart", TARGET_USERS, FAULT_RUN_S))
        for run, users, seconds in runs:
            accepted = workdir / f"accepted-{run.replace(' ', '-')}.jsonl"
            accepted.touch()
            swarm_env = env | {
                "STAGECOACH_LOAD_CAST": str(cast_path),
                "STAGECOACH_LOAD_ACCEPTED": str(accepted),
                "STAGECOACH_LOAD_WAV": str(wav),
            }
            prefix = workdir / run.replace(" ", "-")
            print(f"Run '{run}': {users} users for {seconds} s…", flush=True)
            swarm = locust(swarm_env, base, prefix, users=users, seconds=seconds)
            outage = None
            if run == "postgres restart":
                # The fault comes a set time into the run: the schedule of the experiment,
                # not a wait for something to be ready.
                time.sleep(FAULT_AT_S)
                outage = round(postgres.restart(), 2)
            swarm.wait(timeout=seconds + 60)
            result = summary(prefix) | {"users": users, "seconds": seconds}
            result["recovered"] = still_answers(base, cast["students"][0]["session"])
            result |= lost_writes(env, accepted)
            if outage is not None:
                result["postgres_restart_s"] = outage
            results[run] = result
    finally:
        for process in (server, worker):
            if process is not None:
                process.stop()
        redis.stop()
        postgres.stop()

    fault = results["postgres restart"]
    print(
        f"\nLoad test: {STUDENTS}-student cohort, gunicorn ({WORKERS} sync workers) on "
        f"PostgreSQL, a Celery worker on Redis, locust on the same machine"
    )
    for name, r in results.items():
        print(
            f"  {name:<17} {r['requests']:>6} requests  {r['throughput_rps']:>6} req/s  "
            f"p50 {r['p50_ms']:.0f} ms  p95 {r['p95_ms']:.0f} ms  p99 {r['p99_ms']:.0f} ms  "
            f"max {r['max_ms']:.0f} ms  errors {r['failures']}"
        )
    knee = knee_of(results)
    print(f"  knee: {knee}")
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
    target = results.get(f"{TARGET_USERS} users")
    if target is not None and target["failures"]:
        problems.append(f"{target['failures']} errors with {TARGET_USERS} users")
    if target is not None and target["p95_ms"] >= P95_TARGET_MS:
        problems.append(
            f"p95 {target['p95_ms']:.0f} ms with {TARGET_USERS} users is not under "
            f"{P95_TARGET_MS} ms"
        )
    if not fault["recovered"]:
        problems.append("the app did not recover after PostgreSQL restarted")
    if fault["max_ms"] > 15_000:
        problems.append("a request hung during the restart")
    # During the restart a change may be refused with 503 "try again", never a 500 or a
    # dropped connection.
    unclean = {kind: n for kind, n in fault["failure_kinds"].items() if "503" not in kind}
    if unclean:
        problems.append(f"failures other than a 503 try-again page: {unclean}")
    if any(r["journals_lost"] or r["uploads_lost"] for r in results.values()):
        problems.append("accepted writes were lost")
    for problem in problems:
        print("FAILED:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
