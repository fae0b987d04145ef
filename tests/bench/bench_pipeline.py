"""Pipeline benchmarks, run by `make bench`:

1. Throughput: N bounces through two Celery worker processes on Redis and PostgreSQL,
   as bounces per minute and as a ratio to running the engine directly, one file after
   another, in one process (the queue's overhead).
2. A 300 MB upload through gunicorn: the web worker's peak resident memory before and
   after, to show the upload streams to disk instead of being held in memory.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from django.db.models import Max, Min

from songs.analysis import analyse
from songs.models import AnalysisState, Bounce
from songs.targets import audio_targets
from stages.models import Status
from tests.base import (
    audio_bytes,
    long_wav,
    store_bounce,
)
from tests.pipeline.harness import ServicesTestCase, production_env, service_env
from tests.processes import celery_worker, gunicorn, publish, wait_for

BOUNCES = 24
BOUNCE_SECONDS = 60.0
UPLOAD_MINUTES = 30  # 44.1 kHz stereo 16-bit: about 318 MB


def peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1])


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


class PipelineBenchmark(ServicesTestCase):
    def test_two_workers_are_timed_against_the_engine_in_one_process(self) -> None:
        data = audio_bytes("WAV", seconds=BOUNCE_SECONDS)
        bounces = [store_bounce(self.record, data, f"mix-{i}.wav") for i in range(BOUNCES)]

        started = time.perf_counter()
        for bounce in bounces:
            with bounce.file.open("rb") as handle:
                analyse(handle, targets=audio_targets(), stage="mixing")
        direct_s = time.perf_counter() - started

        env = service_env()
        with celery_worker("bench-a", env), celery_worker("bench-b", env):
            started = time.perf_counter()
            publish([bounce.pk for bounce in bounces], env)
            wait_for(
                lambda: not Bounce.objects.exclude(analysis_state=AnalysisState.DONE).exists(),
                timeout=600,
                what="every bounce to be analysed",
            )
            queued_s = time.perf_counter() - started
        spans = Bounce.objects.aggregate(first=Min("analysis_started_at"), last=Max("analysed_at"))
        working_s = (spans["last"] - spans["first"]).total_seconds()
        print(f"\nPipeline throughput: {BOUNCES} bounces of {BOUNCE_SECONDS:.0f} s (WAV)")
        print(
            f"  engine directly, one process : {direct_s:6.2f} s  "
            f"{BOUNCES / direct_s * 60:7.1f} bounces/min"
        )
        print(
            f"  two workers on Redis         : {queued_s:6.2f} s  "
            f"{BOUNCES / queued_s * 60:7.1f} bounces/min  "
            f"(x{direct_s / queued_s:.2f} the direct rate, counting the publisher's start-up)"
        )
        print(
            f"  two workers, first claim to last report: {working_s:6.2f} s  "
            f"{BOUNCES / working_s * 60:7.1f} bounces/min  (x{direct_s / working_s:.2f})"
        )

    def test_a_300_mb_upload_keeps_the_web_process_memory_bounded(self) -> None:
        record = self.song.records.get(stage__slug="recording")
        type(record).objects.filter(pk=record.pk).update(status=Status.IN_PROGRESS)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "long-take.wav")
            long_wav(path, minutes=UPLOAD_MINUTES)
            size_mb = os.path.getsize(path) / 1e6
            env = production_env(STAGECOACH_MAX_UPLOAD_MB="400")
            server, base = gunicorn(env, workers=1)
            with server:
                [worker_pid] = wait_for(
                    lambda: children(server.proc.pid), timeout=60, what="the gunicorn worker"
                )
                jar = os.path.join(tmp, "cookies")
                curl = ["curl", "-s", "-b", jar, "-c", jar]
                login = subprocess.run(
                    [*curl, f"{base}/accounts/login/"], capture_output=True, text=True, check=True
                ).stdout
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)[1]
                subprocess.run(
                    [
                        *curl,
                        "-o",
                        "/dev/null",
                        "-d",
                        f"csrfmiddlewaretoken={token}&username=ada&password=password-ada",
                        f"{base}/accounts/login/",
                    ],
                    check=True,
                )
                page_url = f"{base}/songs/{self.song.pk}/stages/recording/"
                page = subprocess.run(
                    [*curl, page_url], capture_output=True, text=True, check=True
                ).stdout
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
                before_kb = peak_rss_kb(worker_pid)
                started = time.perf_counter()
                result = subprocess.run(
                    [
                        *curl,
                        "-o",
                        "/dev/null",
                        "-w",
                        "%{http_code}",
                        "-F",
                        f"csrfmiddlewaretoken={token}",
                        "-F",
                        "note=long take",
                        "-F",
                        f"file=@{path};type=audio/wav",
                        page_url + "bounces/",
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                upload_s = time.perf_counter() - started
                after_kb = peak_rss_kb(worker_pid)
        self.assertEqual(result.stdout, "302")
        bounce = Bounce.objects.get(record=record)
        self.assertAlmostEqual(bounce.size_bytes / 1e6, size_mb, places=3)
        print(f"\nUpload of a {size_mb:.0f} MB WAV through gunicorn ({upload_s:.1f} s)")
        print(f"  web worker peak RSS before : {before_kb / 1024:7.1f} MB")
        print(
            f"  web worker peak RSS after  : {after_kb / 1024:7.1f} MB "
            f"(+{(after_kb - before_kb) / 1024:.1f} MB for a {size_mb:.0f} MB file, "
            f"{(after_kb - before_kb) / 1024 / size_mb:.3f} MB per MB uploaded)"
        )
        self.assertLess(after_kb - before_kb, 64 * 1024, "the upload must stream, not buffer")
