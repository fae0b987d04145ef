"""End to end in the production shape: gunicorn (debug off, whitenoise) on PostgreSQL, a
Celery worker on Redis, and Chromium uploading a bounce and watching its report arrive."""

from __future__ import annotations

import time

import pytest

from songs.models import AnalysisState, Bounce
from tests.base import audio_bytes
from tests.browser.base import ChromiumMixin
from tests.pipeline.harness import ServicesTestCase, flush_redis, production_env
from tests.processes import START_TIMEOUT_S, PrivateRedis, celery_worker, gunicorn

pytestmark = [pytest.mark.services, pytest.mark.browser]


class ProductionShapeTestCase(ChromiumMixin, ServicesTestCase):
    base_url = ""
    open_stage = "mastering"

    def setUp(self) -> None:
        super().setUp()
        self.record_url = f"/songs/{self.song.pk}/stages/mastering/"

    def upload(self, seconds: float = 6.0, note: str = "First master") -> None:
        self.log_in("ada", "password-ada")
        self.go(self.record_url)
        self.page.fill("#id_note", note)
        self.page.set_input_files(
            "#id_file",
            {
                "name": "master.wav",
                "mimeType": "audio/wav",
                "buffer": audio_bytes("WAV", seconds=seconds),
            },
        )
        started = time.monotonic()
        self.page.get_by_role("button", name="Upload bounce").click()
        self.page.get_by_text("v1 is uploaded.").wait_for()
        self.upload_seconds = time.monotonic() - started


class ProductionShapeTests(ProductionShapeTestCase):
    def test_after_an_upload_the_report_appears_without_a_reload(self) -> None:
        flush_redis()
        env = production_env()
        server, self.base_url = gunicorn(env)
        with server, celery_worker("web-e2e", env):
            self.upload()
            summary = self.page.locator("[data-analysis-panel]").first
            # The panel polls by itself; no navigation happens from here on.
            self.page.evaluate("window.navigatedAway = false")
            summary.get_by_text("Analysed").wait_for(timeout=START_TIMEOUT_S * 1000)
            self.assertIs(self.page.evaluate("window.navigatedAway"), False)
            self.assertIn("LUFS", summary.inner_text())
            self.screenshot("06-analysed-in-place")

            summary.get_by_role("link", name="Full report").click()
            self.page.get_by_role("heading", name="Checks for Mastering").wait_for()
            self.page.locator("svg.loudness-chart polyline").wait_for()
            waveform = self.page.locator("img.waveform")
            self.assertGreater(waveform.evaluate("img => img.naturalWidth"), 100)
            self.assertIn("will turn this", self.page.locator("table.streaming").inner_text())
            self.screenshot("07-bounce-report")
            self.assertEqual(self.console_errors, [])
        bounce = Bounce.objects.get()
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE)


class BrokerOutageTests(ProductionShapeTestCase):
    def test_an_upload_while_redis_is_down_is_kept_and_analysed_once_it_is_back(self) -> None:
        redis = PrivateRedis()
        redis.start()
        env = production_env(
            redis.url,
            STAGECOACH_ANALYSIS_SWEEP_S="1",
            STAGECOACH_ANALYSIS_REPUBLISH_S="2",
        )
        server, self.base_url = gunicorn(env)
        with server:
            redis.stop()
            self.upload(note="Uploaded during the outage")
            bounce = Bounce.objects.get()
            self.assertEqual(bounce.analysis_state, AnalysisState.QUEUED)
            self.assertEqual(bounce.note, "Uploaded during the outage")
            self.assertLess(self.upload_seconds, 10, "the upload must not wait on the broker")
            self.assertTrue(bounce.file.storage.exists(bounce.file.name))

            redis.start()
            try:
                with celery_worker("after-outage", env, beat=True):
                    summary = self.page.locator("[data-analysis-panel]").first
                    summary.get_by_text("Analysed").wait_for(timeout=START_TIMEOUT_S * 1000)
            finally:
                redis.stop()
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE)
