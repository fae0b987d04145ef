"""The task's reliability settings and its handling of time limits and transient errors."""

from __future__ import annotations

from unittest import mock

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from config.celery_app import app
from songs import tasks
from songs.models import AnalysisState
from tests.base import BaseTestCase, audio_bytes, store_bounce


class CeleryConfigurationTests(BaseTestCase):
    def test_tasks_survive_a_dying_worker_and_run_one_at_a_time(self) -> None:
        self.assertTrue(app.conf.task_acks_late)
        self.assertTrue(app.conf.task_reject_on_worker_lost)
        self.assertEqual(app.conf.worker_prefetch_multiplier, 1)
        self.assertEqual(app.conf.accept_content, ["json"])
        self.assertEqual(app.conf.task_serializer, "json")

    def test_time_limits_fit_the_longest_accepted_audio_and_the_broker_waits_longer(self) -> None:
        task = tasks.analyse_bounce
        self.assertLess(task.soft_time_limit, task.time_limit)
        # 25x real time for the longest accepted file, far below the engine's own speed.
        self.assertGreaterEqual(task.soft_time_limit * 25, settings.ANALYSIS_MAX_DURATION_S)
        visibility = app.conf.broker_transport_options["visibility_timeout"]
        self.assertGreater(visibility, task.time_limit)

    def test_the_recovery_defaults_take_lost_work_up_within_a_minute(self) -> None:
        # Worst cases: a worker dies just after a heartbeat, so its claim looks dead
        # ANALYSIS_STUCK_AFTER_S later, and the next sweep comes at most one interval after;
        # a publish that found the broker down goes at the first sweep once it is back
        # (after the worker's own reconnection, at most kombu's 30 s between tries).
        sweep = settings.ANALYSIS_SWEEP_INTERVAL_S
        self.assertEqual((sweep, settings.ANALYSIS_HEARTBEAT_S), (10, 10))
        self.assertEqual(settings.ANALYSIS_STUCK_AFTER_S, 30)
        self.assertLess(settings.ANALYSIS_STUCK_AFTER_S + sweep, 60)
        self.assertLess(30 + sweep, 60)
        self.assertGreaterEqual(settings.ANALYSIS_STUCK_AFTER_S, 2 * settings.ANALYSIS_HEARTBEAT_S)

    def test_a_publish_is_tried_once_and_a_broker_that_is_down_refuses_at_once(self) -> None:
        self.assertFalse(app.conf.task_publish_retry)
        options = app.conf.broker_transport_options
        self.assertEqual(options["max_retries"], 0)
        self.assertLessEqual(options["socket_connect_timeout"], 0.3)

    def test_the_sweep_is_scheduled(self) -> None:
        entry = app.conf.beat_schedule["sweep-analyses"]
        self.assertEqual(entry["task"], "songs.tasks.sweep_analyses")
        self.assertIn("songs.tasks.sweep_analyses", app.tasks)


class TaskBehaviourTests(BaseTestCase):
    def setUp(self) -> None:
        self.bounce = store_bounce(self.started("mixing"), audio_bytes("WAV", seconds=4.0))
        # Let eager retries run as retries (with propagation on, Celery re-raises them).
        propagates = app.conf.task_eager_propagates
        app.conf.task_eager_propagates = False
        self.addCleanup(setattr, app.conf, "task_eager_propagates", propagates)

    def test_the_soft_time_limit_ends_in_failed_with_a_reason(self) -> None:
        with mock.patch("songs.services.analyse", side_effect=SoftTimeLimitExceeded()):
            tasks.analyse_bounce.apply(args=(self.bounce.pk,))
        self.bounce.refresh_from_db()
        self.assertEqual(self.bounce.analysis_state, AnalysisState.FAILED)
        self.assertIn("took longer than", self.bounce.analysis_error)

    def test_a_transient_storage_error_is_retried(self) -> None:
        from songs import services

        real = services.analyse
        calls = []

        def flaky(*args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise OSError("storage hiccup")
            return real(*args, **kwargs)

        with mock.patch("songs.services.analyse", side_effect=flaky):
            tasks.analyse_bounce.apply(args=(self.bounce.pk,))
        self.bounce.refresh_from_db()
        self.assertEqual(self.bounce.analysis_state, AnalysisState.DONE)
        self.assertEqual(len(calls), 2)

    def test_a_storage_error_that_persists_ends_in_failed_without_a_traceback(self) -> None:
        with mock.patch("songs.services.analyse", side_effect=OSError("disk gone")):
            tasks.analyse_bounce.apply(args=(self.bounce.pk,))
        self.bounce.refresh_from_db()
        self.assertEqual(self.bounce.analysis_state, AnalysisState.FAILED)
        self.assertIn("could not reach the file store", self.bounce.analysis_error)

    def test_a_deleted_bounce_is_a_quiet_no_op(self) -> None:
        pk = self.bounce.pk
        self.bounce.delete()
        result = tasks.analyse_bounce.apply(args=(pk,))
        self.assertTrue(result.successful())
