"""Recovery on the production defaults, against real processes: a private redis-server
stopped and started again, gunicorn, Celery workers and beat as docker-compose.yml starts
them, and a worker killed outright (SIGKILL to its main process and its children).

The targets (issue 16): with the broker down an upload answers within 0.5 s and stays
queued; once the broker is back it is analysed within 60 s; an analysis whose worker was
killed is taken up again within 60 s, and never runs twice at once. No recovery setting is
overridden here, so these tests measure the defaults; each prints its figure and adds it to
bench-results/recovery.txt.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable

import pytest

from songs.models import AnalysisState, Bounce, MusicState
from tests.base import audio_bytes
from tests.pipeline.harness import (
    ATTEMPT_MINUTES,
    ServicesTestCase,
    WebClient,
    production_env,
    service_env,
)
from tests.processes import (
    ROOT,
    START_TIMEOUT_S,
    PrivateRedis,
    Process,
    celery_beat,
    celery_worker,
    gunicorn,
    publish,
    wait_for,
)

pytestmark = pytest.mark.services


LONG_OUTAGE = os.environ.get("STAGECOACH_TEST_LONG_OUTAGE", "") == "1"
"""Keep the broker down until the worker's reconnection back-off reaches its 30 s cap
(about four minutes), to measure the worst case; off by default."""
TARGET_S = 60.0
"""The recovery target: analysed within this long of the broker's return or of the kill."""
MUSIC_ATTEMPT_MINUTES = (24, 36, 48)
"""The same for a second delivery of the musical pass, which starts after a publish."""


FIGURES = ROOT / "bench-results" / "recovery.txt"


def report(figure: str) -> None:
    """Print the figure and add it to bench-results/recovery.txt (parallel runs do not
    show what their tests print)."""
    print(f"\nrecovery figure: {figure}")
    FIGURES.parent.mkdir(exist_ok=True)
    with FIGURES.open("a") as figures:
        figures.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {figure}\n")


class RecoveryTestCase(ServicesTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.redis = PrivateRedis()
        self.redis.start()
        self.addCleanup(self.redis.stop)


class BrokerOutageRecoveryTests(RecoveryTestCase):
    def test_an_upload_while_the_broker_is_down_answers_within_half_a_second_and_stays_queued(
        self,
    ) -> None:
        env = production_env(self.redis.url)
        server, base = gunicorn(env)
        with server:
            client = WebClient(base, "ada", "password-ada")
            path = f"/songs/{self.song.pk}/stages/mixing/"
            wav = audio_bytes("WAV", seconds=3.0)
            # Both web workers warmed up with the broker there, as on a site in use.
            normal = [client.upload(path, wav) for _ in range(4)]
            self.redis.stop()
            down = [client.upload(path, wav, note=f"outage {n}") for n in range(6)]
        report(
            f"upload answer with the broker up: median {statistics.median(normal):.3f} s; "
            f"with it down: median {statistics.median(down):.3f} s, slowest {max(down):.3f} s"
        )
        self.assertLess(max(down), 0.5, f"answers with the broker down: {down}")
        during = Bounce.objects.filter(note__startswith="outage")
        self.assertEqual(during.count(), 6)
        self.assertEqual(
            set(during.values_list("analysis_state", flat=True)), {AnalysisState.QUEUED}
        )

    def test_an_upload_made_while_the_broker_was_down_is_analysed_within_a_minute_of_its_return(
        self,
    ) -> None:
        env = production_env(self.redis.url)
        server, base = gunicorn(env)
        with (
            server,
            celery_worker("through-outage", env) as worker,
            celery_beat(env),
        ):
            client = WebClient(base, "ada", "password-ada")
            self.redis.stop()
            wait_for(
                lambda: "Connection to broker lost" in worker.output(),
                timeout=START_TIMEOUT_S,
                what="the worker to notice the broker is gone",
            )
            if LONG_OUTAGE:
                # The worst case: the worker's reconnection back-off at kombu's cap.
                wait_for(
                    lambda: "Trying again in 30.00 seconds" in worker.output(),
                    timeout=10 * START_TIMEOUT_S,
                    what="the worker to retry its connection at its longest interval",
                )
            client.upload(f"/songs/{self.song.pk}/stages/mixing/", audio_bytes("WAV", seconds=3.0))
            bounce = Bounce.objects.get()
            self.assertEqual(bounce.analysis_state, AnalysisState.QUEUED)
            self.redis.start()
            back = time.monotonic()
            wait_for(
                lambda: self.bounce(bounce.pk).analysis_state == AnalysisState.DONE,
                timeout=2 * TARGET_S,
                what="the upload made during the outage to be analysed",
            )
            took = time.monotonic() - back
        outage = "a long outage" if LONG_OUTAGE else "a short outage"
        report(f"broker back to the upload analysed ({outage}): {took:.1f} s")
        self.assertLess(took, TARGET_S)


class WorkerKillRecoveryTests(RecoveryTestCase):
    """Two workers and beat run, as in production; the one that took the work is killed."""

    def holder(self, workers: list[Process], task: str) -> Process:
        return wait_for(
            lambda: next((w for w in workers if f"{task}[" in w.output()), None),
            timeout=START_TIMEOUT_S,
            what=f"a worker to receive {task}",
        )

    def seconds_to_recover(
        self,
        task: str,
        claimed: Callable[[int], object],
        over: Callable[[int], object],
        recovered: Callable[[int], object],
        finished: Callable[[int], object] | None = None,
    ) -> tuple[Bounce, float]:
        """Publish a long bounce's analysis to two workers (and beat), kill the worker that
        receives `task` while `claimed` holds (unless it is `over` first), and time until
        `recovered` holds; then wait for `finished`, if given, while the survivor still
        runs. Each condition takes the bounce's key. The bounce and the seconds.

        A kill that finds the work over interrupted nothing: `while_it_runs` tries again."""
        return self.while_it_runs(
            ATTEMPT_MINUTES,
            lambda bounce: self._kill_and_time(bounce.pk, task, claimed, over, recovered, finished),
            "every kill",
        )

    def _kill_and_time(
        self,
        pk: int,
        task: str,
        claimed: Callable[[int], object],
        over: Callable[[int], object],
        recovered: Callable[[int], object],
        finished: Callable[[int], object] | None,
    ) -> float | None:
        env = service_env(self.redis.url)
        with (
            celery_worker("one", env) as one,
            celery_worker("two", env) as two,
            celery_beat(env),
        ):
            publish(pk, env)
            wait_for(
                lambda: claimed(pk) or over(pk),
                timeout=START_TIMEOUT_S,
                what=f"{task} to be claimed",
            )
            if not claimed(pk):
                return None  # over before the test saw it claimed
            self.holder([one, two], task).kill()
            killed = time.monotonic()
            if not claimed(pk):
                return None  # the kill came after the work was over
            wait_for(lambda: recovered(pk), timeout=2 * TARGET_S, what=f"{task} to recover")
            took = time.monotonic() - killed
            if finished is not None:
                wait_for(lambda: finished(pk), timeout=START_TIMEOUT_S, what=f"{task} to finish")
        return took

    def test_an_analysis_whose_worker_is_killed_is_taken_up_again_within_a_minute(self) -> None:
        bounce, took = self.seconds_to_recover(
            "analyse_bounce",
            claimed=lambda pk: self.bounce(pk).analysis_state == AnalysisState.RUNNING,
            over=lambda pk: self.bounce(pk).analysis_state == AnalysisState.DONE,
            recovered=lambda pk: self.bounce(pk).analysis_attempts >= 2,
            finished=lambda pk: self.bounce(pk).analysis_state == AnalysisState.DONE,
        )
        report(f"worker killed to its analysis taken up again: {took:.1f} s")
        self.assertLess(took, TARGET_S)
        self.assertEqual(bounce.analysis_attempts, 2)
        self.assertGreaterEqual(bounce.duration_s or 0, 720.0)

    def test_a_musical_pass_whose_worker_is_killed_is_taken_up_again_within_a_minute(
        self,
    ) -> None:
        _, took = self.seconds_to_recover(
            "analyse_music",
            claimed=lambda pk: Bounce.everything.filter(
                pk=pk, analysis_state=AnalysisState.DONE, claim_token__gt=""
            ).exists(),
            over=lambda pk: self.bounce(pk).music_state == MusicState.DONE,
            recovered=lambda pk: self.bounce(pk).music_state == MusicState.DONE,
        )
        report(f"worker killed in the musical pass to the pass heard: {took:.1f} s")
        self.assertLess(took, TARGET_S)


class SingleClaimTests(RecoveryTestCase):
    def test_a_second_delivery_of_an_analysis_while_the_first_runs_does_nothing(self) -> None:
        def both_at_once(bounce: Bounce) -> str | None:
            """Two deliveries of one task at once; None if they did not overlap."""
            env = service_env(self.redis.url)
            task_id = str(uuid.uuid4())
            with celery_worker("pair", env, concurrency=2) as worker:
                # The same task twice at once: each of the worker's two processes takes one.
                publish([bounce.pk, bounce.pk], env, task_id=task_id)
                state_when_one_finished = wait_for(
                    lambda: (
                        f"analyse_bounce[{task_id}] succeeded" in worker.output()
                        and self.bounce(bounce.pk).analysis_state
                    ),
                    timeout=START_TIMEOUT_S,
                    what="one delivery to finish",
                )
                wait_for(
                    lambda: self.bounce(bounce.pk).analysis_state == AnalysisState.DONE,
                    timeout=START_TIMEOUT_S,
                    what="the other delivery to finish",
                )
                output = worker.output()
            # Run once, whether the second came while the first ran or after it was over.
            self.assertEqual(self.bounce(bounce.pk).analysis_attempts, 1)
            # The delivery that finished first did nothing, while the other was at work.
            return output if state_when_one_finished == AnalysisState.RUNNING else None

        bounce, output = self.while_it_runs(ATTEMPT_MINUTES, both_at_once, "every second delivery")
        self.assertIn(f"bounce {bounce.pk}: its analysis is claimed", output)

    def test_a_second_delivery_of_the_musical_pass_while_the_first_runs_does_nothing(
        self,
    ) -> None:
        def second_while_listening(bounce: Bounce) -> str | None:
            """A second delivery of the musical pass; None if the first was over by then."""
            env = service_env(self.redis.url)
            with celery_worker("pair", env, concurrency=2) as worker:
                publish(bounce.pk, env)
                wait_for(
                    lambda: self.bounce(bounce.pk).analysis_state == AnalysisState.DONE,
                    timeout=START_TIMEOUT_S,
                    what="the loudness pass",
                )
                # The worker published the musical pass itself; a second delivery of it,
                # with the first still listening (the file is long), must do nothing.
                task_id = str(uuid.uuid4())
                publish(bounce.pk, env, task="songs.tasks.analyse_music", task_id=task_id)
                wait_for(
                    lambda: f"analyse_music[{task_id}] succeeded" in worker.output(),
                    timeout=START_TIMEOUT_S,
                    what="the second delivery to finish",
                )
                wait_for(
                    lambda: self.bounce(bounce.pk).music_state == MusicState.DONE,
                    timeout=START_TIMEOUT_S,
                    what="the first delivery to finish",
                )
                output = worker.output()
            # Over before the second came, the pass is left alone without a word.
            return output if "its musical pass is claimed" in output else None

        bounce, output = self.while_it_runs(
            MUSIC_ATTEMPT_MINUTES, second_while_listening, "every second delivery"
        )
        self.assertIn(f"bounce {bounce.pk}: its musical pass is claimed", output)
