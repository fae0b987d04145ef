"""A real Celery worker on the machine's Redis and PostgreSQL, and what happens when it dies."""

from __future__ import annotations

import os

import pytest
import redis

from songs.models import AnalysisState, Bounce
from tests.base import (
    audio_bytes,
    store_bounce,
)
from tests.pipeline.harness import (
    ATTEMPT_MINUTES,
    REDIS_TEST_DB_URL,
    ServicesTestCase,
    flush_redis,
    service_env,
)
from tests.processes import START_TIMEOUT_S, celery_worker, publish, wait_for

pytestmark = pytest.mark.services


class WorkerTestCase(ServicesTestCase):
    def state(self, bounce: Bounce) -> str:
        bounce.refresh_from_db()
        return bounce.analysis_state

    def wait_until_final(self, bounce: Bounce, timeout: float = START_TIMEOUT_S) -> None:
        wait_for(
            lambda: self.state(bounce) in {AnalysisState.DONE, AnalysisState.FAILED},
            timeout=timeout,
            what=f"bounce {bounce.pk} to be analysed",
        )


class WorkerTests(WorkerTestCase):
    def test_a_worker_consumes_a_real_task_and_stores_the_report(self) -> None:
        bounce = store_bounce(self.record, audio_bytes("FLAC", seconds=5.0), "mix.flac")
        env = service_env()
        with celery_worker("solo", env) as worker:
            publish(bounce.pk, env)
            self.wait_until_final(bounce)
            self.assertIn("songs.tasks.analyse_bounce", worker.output())
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE, bounce.analysis_error)
        self.assertEqual(bounce.report["format"], "flac")
        self.assertAlmostEqual(bounce.duration_s, 5.0, places=2)
        self.assertEqual(bounce.report["stage"], "mixing")
        self.assertTrue(bounce.waveform.storage.exists(bounce.waveform.name))

    def test_a_worker_leaves_the_tasks_of_another_installation_on_the_same_redis(self) -> None:
        theirs = store_bounce(self.record, audio_bytes("WAV", seconds=2.0), "theirs.wav")
        ours = store_bounce(self.record, audio_bytes("WAV", seconds=2.0), "ours.wav")
        env = service_env()
        other = f"stagecoach-test-other-installation-{os.getpid()}:"
        self.addCleanup(flush_redis, prefix=other)
        with celery_worker("solo", env):
            publish(theirs.pk, env | {"STAGECOACH_BROKER_KEY_PREFIX": other})
            publish(ours.pk, env)
            self.wait_until_final(ours)
        # One task at a time, oldest first: had the worker seen theirs, it would have
        # taken it before ours.
        self.assertEqual(self.state(theirs), AnalysisState.QUEUED)
        self.assertEqual(redis.Redis.from_url(REDIS_TEST_DB_URL).llen(other + "celery"), 1)

    def test_a_corrupt_file_fails_and_the_worker_serves_the_next_task(self) -> None:
        broken = store_bounce(self.record, audio_bytes("WAV", seconds=3.0)[:3000], "cut.wav")
        good = store_bounce(self.record, audio_bytes("WAV", seconds=3.0), "good.wav")
        env = service_env()
        with celery_worker("solo", env) as worker:
            publish(broken.pk, env)
            publish(good.pk, env)
            self.wait_until_final(broken)
            self.wait_until_final(good)
            self.assertIsNone(worker.proc.poll(), "the worker is still running")
        self.assertEqual(broken.analysis_state, AnalysisState.FAILED)
        self.assertIn("stops early", broken.analysis_error)
        self.assertEqual(good.analysis_state, AnalysisState.DONE)

    def test_a_task_whose_worker_is_killed_runs_again_on_another_worker(self) -> None:
        # Short limits, so the lost task comes back within seconds rather than minutes.
        env = service_env(
            STAGECOACH_VISIBILITY_TIMEOUT_S="5",
            STAGECOACH_ANALYSIS_HEARTBEAT_S="2",
            STAGECOACH_ANALYSIS_STUCK_S="5",
            STAGECOACH_ANALYSIS_SWEEP_S="2",
            STAGECOACH_ANALYSIS_REPUBLISH_S="3",
        )

        def killed_while_running(bounce: Bounce) -> bool | None:
            """Kill the worker while it analyses; None if the analysis was over first."""
            first = celery_worker("first", env)
            try:
                publish(bounce.pk, env)
                wait_for(
                    lambda: self.state(bounce) in {AnalysisState.RUNNING, AnalysisState.DONE},
                    timeout=START_TIMEOUT_S,
                    what="the first worker to start the analysis",
                )
            finally:
                first.kill()
            if self.state(bounce) != AnalysisState.RUNNING:
                return None
            with celery_worker("second", env, beat=True):
                self.wait_until_final(bounce, timeout=2 * START_TIMEOUT_S)
            return True

        bounce, _ = self.while_it_runs(ATTEMPT_MINUTES, killed_while_running, "every kill")
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE, bounce.analysis_error)
        self.assertGreaterEqual(bounce.analysis_attempts, 2)
        self.assertGreaterEqual(bounce.duration_s or 0, 720.0)
