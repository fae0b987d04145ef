"""Upload -> analysis -> stored report, with tasks running in-process (the embedded
default). The real worker on Redis is exercised in tests/pipeline/."""

from __future__ import annotations

import datetime as dt
import uuid
from unittest import mock

from django.test import override_settings
from django.utils import timezone

from songs import services
from songs.models import AnalysisState, Bounce, MusicState
from tests.base import HTMX, BaseTestCase, audio_bytes, count_queries, make_user, upload_file


def broken_wav() -> bytes:
    """A WAV whose header promises far more audio than the file holds."""
    data = bytearray(audio_bytes("WAV"))
    return bytes(data[:2000])


class PipelineTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.record_ = self.started("mastering")
        self.client.force_login(self.alice)

    def upload(self, data: bytes | None = None, name: str = "master.wav") -> Bounce:
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                f"/songs/{self.song.pk}/stages/mastering/bounces/",
                {"file": upload_file(name, data), "request_key": str(uuid.uuid4())},
            )
        self.assertEqual(response.status_code, 302)
        return Bounce.objects.latest("pk")

    def stored(self) -> Bounce:
        """A bounce stored without going through the upload, so no task is published."""
        bounce = Bounce.objects.create(
            record=self.record_,
            version=Bounce.objects.count() + 100,
            original_name="x.wav",
            size_bytes=1,
            sha256="0",
            audio_format="wav",
            uploaded_by=self.alice,
        )
        bounce.file.save("x.wav", upload_file("x.wav", audio_bytes("WAV", seconds=4.0)), save=True)
        return bounce


class UploadToReportTests(PipelineTestCase):
    def test_an_upload_is_analysed_after_commit_and_the_report_stored(self) -> None:
        bounce = self.upload()
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE)
        self.assertEqual(bounce.analysis_attempts, 1)
        self.assertAlmostEqual(bounce.duration_s, 1.0, places=2)
        self.assertEqual(bounce.sample_rate, 44_100)
        self.assertIsNotNone(bounce.integrated_lufs)
        self.assertAlmostEqual(bounce.true_peak_dbtp, -6.0, delta=0.6)
        self.assertEqual(bounce.report["stage"], "mastering")
        self.assertTrue(any(c["id"] == "true_peak" for c in bounce.report["checks"]))
        self.assertEqual(
            bounce.checks_failed, [c["status"] for c in bounce.report["checks"]].count("fail")
        )
        with bounce.waveform.open("rb") as png:
            self.assertEqual(png.read(8), b"\x89PNG\r\n\x1a\n")

    def test_nothing_runs_before_the_upload_commits(self) -> None:
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            self.client.post(
                f"/songs/{self.song.pk}/stages/mastering/bounces/",
                {"file": upload_file(), "request_key": str(uuid.uuid4())},
            )
        self.assertEqual(len(callbacks), 1)
        self.assertEqual(Bounce.objects.get().analysis_state, AnalysisState.QUEUED)

    def test_a_broken_file_fails_with_a_reason_and_the_upload_is_kept(self) -> None:
        bounce = self.upload(broken_wav(), "cut-off.wav")
        self.assertEqual(bounce.analysis_state, AnalysisState.FAILED)
        self.assertTrue(bounce.analysis_error)
        self.assertNotIn("Traceback", bounce.analysis_error)
        self.assertTrue(bounce.file.storage.exists(bounce.file.name))
        page = self.client.get(f"/songs/{self.song.pk}/stages/mastering/")
        self.assertContains(page, bounce.analysis_error)
        # Trying again would meet the same file: the page offers to set it aside instead.
        self.assertNotContains(page, "Try again")
        self.assertContains(page, "Set v1 aside")

    def test_a_wav_whose_block_align_is_0_fails_with_the_reason_on_the_page(self) -> None:
        data = bytearray(audio_bytes("WAV"))
        data[32:34] = b"\x00\x00"  # the fmt chunk's block align: bytes per frame
        bounce = self.upload(bytes(data), "zero-align.wav")
        self.assertEqual(bounce.analysis_state, AnalysisState.FAILED)
        self.assertIsNone(bounce.integrated_lufs)
        self.assertIn("header", bounce.analysis_error)
        self.assertIn("0 bytes", bounce.analysis_error)
        page = self.client.get(f"/songs/{self.song.pk}/stages/mastering/")
        self.assertContains(page, bounce.analysis_error)

    def test_a_failed_version_is_set_aside_and_the_next_upload_comes_after_it(self) -> None:
        bounce = self.upload(broken_wav(), "cut-off.wav")
        response = self.client.post(f"/bounces/{bounce.pk}/set-aside/", headers=HTMX)
        self.assertTemplateUsed(response, "songs/_bounces.html")
        self.assertNotContains(response, "cut-off.wav")
        bounce.refresh_from_db()
        self.assertIsNotNone(bounce.hidden_at)
        self.assertTrue(bounce.file.storage.exists(bounce.file.name))  # kept for staff
        self.assertEqual(self.client.get(f"/bounces/{bounce.pk}/").status_code, 404)
        nxt = self.upload()
        self.assertEqual(nxt.version, 2)
        page = self.client.get(f"/songs/{self.song.pk}/stages/mastering/")
        self.assertNotContains(page, "cut-off.wav")
        bounce.restore()
        self.assertContains(
            self.client.get(f"/songs/{self.song.pk}/stages/mastering/"), "cut-off.wav"
        )

    def test_running_twice_keeps_one_report_and_one_waveform(self) -> None:
        bounce = self.upload()
        first = bounce.waveform.name
        services.analyse_bounce(bounce_id=bounce.pk, task_id="another-task")
        bounce.refresh_from_db()
        self.assertEqual(bounce.waveform.name, first)
        self.assertEqual(bounce.analysis_attempts, 1)

    def test_a_rerun_replaces_the_report_and_its_waveform(self) -> None:
        bounce = self.upload()
        first = bounce.waveform.name
        with self.captureOnCommitCallbacks(execute=True):
            services.rerun_analysis(bounce)
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE)
        self.assertNotEqual(bounce.waveform.name, first)
        self.assertFalse(bounce.waveform.storage.exists(first))


class ClaimTests(PipelineTestCase):
    def claim(self, bounce: Bounce, task_id: str) -> str | None:
        return bounce.claim_analysis(task_id=task_id, max_attempts=3, stale_after_s=30)

    def quieten(self, bounce: Bounce, seconds: float = 31) -> None:
        """Age the heartbeat, as if its worker had died `seconds` ago."""
        Bounce.objects.filter(pk=bounce.pk).update(
            heartbeat_at=timezone.now() - dt.timedelta(seconds=seconds)
        )

    def test_a_second_task_does_not_run_while_the_first_is_running(self) -> None:
        bounce = self.stored()
        self.assertTrue(self.claim(bounce, "a"))
        self.assertIsNone(self.claim(bounce, "b"))

    def test_the_same_task_delivered_again_while_its_first_delivery_is_alive_does_nothing(
        self,
    ) -> None:
        bounce = self.stored()
        self.assertTrue(self.claim(bounce, "a"))
        self.assertIsNone(self.claim(bounce, "a"))
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_attempts, 1)

    def test_a_claim_whose_heartbeat_went_quiet_is_taken_over(self) -> None:
        bounce = self.stored()
        first = self.claim(bounce, "a")
        self.quieten(bounce)
        second = self.claim(bounce, "a")
        self.assertTrue(second)
        self.assertNotEqual(first, second)
        self.assertEqual(bounce.analysis_attempts, 2)

    def test_a_heartbeat_keeps_a_long_analysis_its_own(self) -> None:
        bounce = self.stored()
        token = self.claim(bounce, "a")
        assert token is not None
        Bounce.objects.filter(pk=bounce.pk).update(
            analysis_started_at=timezone.now() - dt.timedelta(hours=3)
        )
        self.quieten(bounce, seconds=25)
        self.assertTrue(Bounce.renew_claim(bounce.pk, token))
        self.quieten(bounce, seconds=0)
        self.assertIsNone(self.claim(bounce, "b"))

    def test_a_holder_whose_claim_was_taken_over_keeps_nothing(self) -> None:
        from songs.analysis import analyse

        bounce = self.stored()
        stale = self.claim(bounce, "a")
        self.quieten(bounce)
        self.assertTrue(self.claim(Bounce.objects.get(pk=bounce.pk), "b"))
        with bounce.file.open("rb") as handle:
            report = analyse(handle, targets=services.audio_targets())
        self.assertFalse(bounce.store_report(report, waveform_name="", claim=stale))
        self.assertFalse(Bounce.renew_claim(bounce.pk, stale or ""))
        self.assertFalse(bounce.mark_failed("late", claim=stale))
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_state, AnalysisState.RUNNING)
        self.assertIsNone(bounce.report)

    def test_after_the_last_attempt_the_bounce_fails_with_its_reason(self) -> None:
        bounce = self.stored()
        for _ in range(3):
            self.assertTrue(self.claim(bounce, "a"))
            self.quieten(bounce)
        self.assertIsNone(self.claim(bounce, "a"))
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_state, AnalysisState.FAILED)
        self.assertIn("stopped without finishing 3 times", bounce.analysis_error)
        self.assertEqual(bounce.claim_token, "")

    def test_a_finished_bounce_is_never_claimed(self) -> None:
        bounce = self.upload()
        self.assertIsNone(self.claim(bounce, "late"))

    def test_the_musical_pass_is_claimed_once_while_its_holder_is_alive(self) -> None:
        bounce = self.upload()
        Bounce.objects.filter(pk=bounce.pk).update(music_state=MusicState.QUEUED, music=None)
        bounce.refresh_from_db()
        first = bounce.claim_music(stale_after_s=30)
        self.assertTrue(first)
        self.assertIsNone(bounce.claim_music(stale_after_s=30))
        self.quieten(bounce)
        self.assertTrue(bounce.claim_music(stale_after_s=30))


class SweepTests(PipelineTestCase):
    def test_the_sweep_publishes_unsent_lost_and_abandoned_analyses_only(self) -> None:
        long_ago = timezone.now() - dt.timedelta(hours=2)
        unsent = self.stored()  # its publish found the broker down
        lost = self.stored()  # published long ago and never claimed
        Bounce.objects.filter(pk=lost.pk).update(published_at=long_ago)
        abandoned = self.stored()  # claimed by a worker that died
        abandoned.claim_analysis(task_id="dead-worker", max_attempts=3, stale_after_s=30)
        Bounce.objects.filter(pk=abandoned.pk).update(heartbeat_at=long_ago)
        on_its_way = self.stored()
        Bounce.stamp_published(on_its_way.pk)
        alive = self.stored()
        alive.claim_analysis(task_id="busy-worker", max_attempts=3, stale_after_s=30)
        done = self.upload()
        with self.captureOnCommitCallbacks(execute=True):  # their musical passes too
            published = services.sweep_analyses()
        self.assertEqual(sorted(published), sorted([unsent.pk, lost.pk, abandoned.pk]))
        for bounce in (unsent, lost, abandoned):
            bounce.refresh_from_db()
            self.assertEqual(bounce.analysis_state, AnalysisState.DONE, bounce.pk)
        self.assertEqual(Bounce.objects.get(pk=on_its_way.pk).analysis_state, AnalysisState.QUEUED)
        self.assertEqual(Bounce.objects.get(pk=alive.pk).analysis_state, AnalysisState.RUNNING)
        self.assertEqual(services.sweep_analyses(), [])
        self.assertNotIn(done.pk, published)

    def test_a_publish_the_broker_refuses_leaves_the_bounce_unsent_for_the_sweep(self) -> None:
        from kombu.exceptions import OperationalError

        bounce = self.stored()
        task = services.current_app.tasks[services.ANALYSE_TASK]
        with mock.patch.object(task, "apply_async", side_effect=OperationalError("refused")):
            self.assertFalse(services.publish_analysis(bounce.pk))
        bounce.refresh_from_db()
        self.assertIsNone(bounce.published_at)
        self.assertEqual(services.sweep_analyses(), [bounce.pk])


class AnalysisPanelTests(PipelineTestCase):
    def test_a_pending_panel_polls_and_stops_once_both_passes_are_in(self) -> None:
        bounce = self.stored()
        url = f"/bounces/{bounce.pk}/analysis/"
        pending = self.client.get(url, headers=HTMX)
        self.assertContains(pending, 'hx-trigger="every 2s"')
        self.assertContains(pending, "Queued")
        summary = self.client.get(url + "?view=summary", headers=HTMX)
        self.assertContains(summary, 'hx-trigger="every 2s"')
        services.analyse_bounce(bounce_id=bounce.pk, task_id="t")
        # The loudness report is in; the page keeps asking for the musical pass.
        loudness = self.client.get(url, headers=HTMX)
        self.assertContains(loudness, 'hx-trigger="every 2s"')
        self.assertContains(loudness, "Integrated loudness")
        services.analyse_music_of(bounce_id=bounce.pk)
        finished = self.client.get(url, headers=HTMX)
        self.assertNotContains(finished, "hx-trigger")
        self.assertNotContains(finished, "<html")
        for text in [
            "badge-pass",
            "Integrated loudness",
            "LUFS",
            "dBTP",
            "<svg",
            "Spotify will turn",
        ]:
            self.assertContains(finished, text)
        self.assertContains(finished, f"/bounces/{bounce.pk}/waveform.png")

    def test_the_bounce_page_has_player_versions_and_report(self) -> None:
        first = self.upload()
        second = self.upload()
        page = self.client.get(f"/bounces/{first.pk}/")
        self.assertContains(page, f"/bounces/{first.pk}/audio/")
        self.assertContains(page, f'href="/bounces/{second.pk}/"')
        self.assertContains(page, "Checks for Mastering")

    def test_others_get_404_for_the_page_the_panel_and_the_waveform(self) -> None:
        bounce = self.upload()
        for user in [*self.other_users(), make_user("visitor")]:
            self.client.force_login(user)
            for url in ["", "analysis/", "waveform.png"]:
                response = self.client.get(f"/bounces/{bounce.pk}/{url}")
                self.assertEqual(response.status_code, 404, (user, url))

    def test_the_waveform_is_served_as_png_to_those_who_may_see_it(self) -> None:
        bounce = self.upload()
        for user in [self.alice, self.bob, self.frank]:
            self.client.force_login(user)
            response = self.client.get(f"/bounces/{bounce.pk}/waveform.png")
            self.assertEqual(response["Content-Type"], "image/png", user)

    def test_the_stage_page_stays_in_bounded_queries_as_bounces_grow(self) -> None:
        self.upload()
        url = f"/songs/{self.song.pk}/stages/mastering/"
        self.client.get(url)
        one = count_queries(lambda: self.client.get(url))
        for _ in range(5):
            self.upload()
        self.assertEqual(one, count_queries(lambda: self.client.get(url)))


class ReanalyseTests(PipelineTestCase):
    def url(self, bounce: Bounce) -> str:
        return f"/bounces/{bounce.pk}/analyse/"

    def test_a_coach_or_admin_reruns_a_finished_analysis(self) -> None:
        bounce = self.upload()
        for user in [self.bob, self.frank]:
            self.client.force_login(user)
            with self.captureOnCommitCallbacks(execute=True):
                response = self.client.post(self.url(bounce))
            self.assertRedirects(response, f"/bounces/{bounce.pk}/")
            bounce.refresh_from_db()
            self.assertEqual(bounce.analysis_state, AnalysisState.DONE)

    def test_the_coach_sees_the_button_and_the_student_does_not(self) -> None:
        bounce = self.upload()
        self.assertNotContains(self.client.get(f"/bounces/{bounce.pk}/"), "Analyse again")
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(f"/bounces/{bounce.pk}/"), "Analyse again")

    def test_the_student_may_retry_only_a_failure_a_retry_could_fix(self) -> None:
        done = self.upload()
        self.assertEqual(self.client.post(self.url(done)).status_code, 404)
        broken = self.upload(broken_wav())
        self.assertFalse(broken.analysis_retryable)
        self.assertEqual(self.client.post(self.url(broken)).status_code, 404)
        timed_out = self.stored()
        services.fail_analysis(bounce_id=timed_out.pk, reason="Took too long.", retryable=True)
        self.assertContains(self.client.get(f"/bounces/{timed_out.pk}/"), "Try again")
        # The stage's list offers it too, for that version alone.
        stage_page = self.client.get(f"/songs/{self.song.pk}/stages/mastering/")
        self.assertContains(stage_page, "Try again", count=1)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url(timed_out) + "?view=summary", headers=HTMX)
        self.assertTemplateUsed(response, "songs/_analysis_summary.html")
        timed_out.refresh_from_db()
        self.assertEqual(timed_out.analysis_attempts, 1)  # a fresh count for the retry

    def test_nobody_else_may_rerun(self) -> None:
        bounce = self.upload()
        for user in self.other_users():
            self.client.force_login(user)
            self.assertEqual(self.client.post(self.url(bounce)).status_code, 404, user)

    def test_a_pending_analysis_is_not_queued_twice(self) -> None:
        bounce = self.stored()
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(self.url(bounce)).status_code, 404)

    def test_the_rerun_url_refuses_get(self) -> None:
        bounce = self.upload()
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url(bounce)).status_code, 405)


@override_settings(STAGECOACH_AUDIO_TARGETS={"master_integrated_lufs": -9.0})
class TargetSettingsTests(PipelineTestCase):
    def test_targets_come_from_settings(self) -> None:
        bounce = self.upload()
        check = next(c for c in bounce.report["checks"] if c["id"] == "integrated_loudness")
        self.assertIn("-9", check["target"])
