"""The release dossier (page and JSON) for each role, and bounded queries for it and for
the song page."""

from __future__ import annotations

import datetime as dt
import json

from coaching.models import Review, Verdict
from songs.models import Song
from stages.models import StageRecord
from tests.base import audio_bytes, count_queries, store_bounce
from tests.release.base import ReleaseTestCase, report


class DossierAccessTests(ReleaseTestCase):
    def test_the_owner_coach_and_course_admin_may_open_it(self) -> None:
        for user in [self.alice, self.bob, self.frank]:
            self.client.force_login(user)
            page = self.client.get(self.song_url("dossier"))
            self.assertContains(page, "Release dossier", msg_prefix=user.username)
            data = self.client.get(self.song_url("dossier_json"))
            self.assertEqual(data.status_code, 200, user)

    def test_another_student_of_the_cohort_gets_404(self) -> None:
        self.client.force_login(self.carol)
        self.assertEqual(self.client.get(self.song_url("dossier")).status_code, 404)
        self.assertEqual(self.client.get(self.song_url("dossier_json")).status_code, 404)

    def test_a_student_of_another_cohort_gets_404(self) -> None:
        self.client.force_login(self.dave)
        self.assertEqual(self.client.get(self.song_url("dossier")).status_code, 404)
        self.assertEqual(self.client.get(self.song_url("dossier_json")).status_code, 404)

    def test_the_coach_of_another_cohort_gets_404(self) -> None:
        self.client.force_login(self.erin)
        self.assertEqual(self.client.get(self.song_url("dossier")).status_code, 404)
        self.assertEqual(self.client.get(self.song_url("dossier_json")).status_code, 404)

    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        response = self.client.get(self.song_url("dossier"))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_wrong_method_is_refused(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.post(self.song_url("dossier")).status_code, 405)
        self.assertEqual(self.client.post(self.song_url("dossier_json")).status_code, 405)

    def test_the_song_page_links_to_it(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, f'href="/songs/{self.song.pk}/dossier/"')


class DossierContentTests(ReleaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.make_ready()
        mixing = self.record("mixing")
        Review.objects.create(
            record=mixing,
            round=1,
            coach=self.bob,
            verdict=Verdict.APPROVED,
            summary="Vocal <sits> well.",
            coach_balance=2,
            balance_comment="A touch loud.",
            self_balance=-1,
        )

    def test_the_page_holds_the_journey_loudness_report_and_readiness(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(self.song_url("dossier"))
        for text in [
            "The journey through the seven stages",
            "Round 1",
            "Vocal &lt;sits&gt; well.",
            "Coach's place: +2 between loud and clear",
            "Loudness across versions",
            'class="loudness-chart history-chart"',
            "Final technical report",
            "Integrated loudness",
            "Ready to release",
            "US-S1Z-99-00001",
        ]:
            self.assertContains(page, text)
        self.assertEqual(len(page.context["stages"]), 7)
        self.assertEqual(len(page.context["chart"].points), 1)

    def test_the_json_download_carries_the_same_story(self) -> None:
        self.client.force_login(self.frank)
        response = self.client.get(self.song_url("dossier_json"))
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertIn(
            'attachment; filename="paper-lanterns-dossier.json"', response["Content-Disposition"]
        )
        data = json.loads(response.content)
        self.assertEqual(data["song"]["isrc"], "USS1Z9900001")
        self.assertEqual([s["slug"] for s in data["stages"]][:2], ["production", "songwriting"])
        mixing = next(s for s in data["stages"] if s["slug"] == "mixing")
        self.assertEqual(mixing["reviews"][0]["coach_balance"], 2)
        self.assertEqual(mixing["balance"], {"left_pole": "loud", "right_pole": "clear", "self": 0})
        self.assertTrue(data["readiness"]["ready"])
        self.assertEqual(len(data["readiness"]["items"]), 9)
        self.assertEqual(data["master"]["report"]["integrated_lufs"], -14.2)
        self.assertEqual(len(data["loudness_history"]), 1)

    def test_the_song_started_no_later_than_its_first_stage(self) -> None:
        early = self.song.created_at - dt.timedelta(days=9)
        StageRecord.objects.filter(song=self.song, stage__slug="production").update(
            started_at=early
        )
        self.client.force_login(self.alice)
        page = self.client.get(self.song_url("dossier"))
        self.assertEqual(page.context["started"], early)
        data = json.loads(self.client.get(self.song_url("dossier_json")).content)
        self.assertEqual(data["song"]["started_at"], early.isoformat())

    def test_the_json_leaves_out_the_long_waveform_arrays(self) -> None:
        mastering = self.record("mastering")
        bounce = mastering.bounces.get()
        bounce.store_report(report(), waveform_name="")
        self.assertIn("waveform", bounce.report)
        self.client.force_login(self.alice)
        data = json.loads(self.client.get(self.song_url("dossier_json")).content)
        self.assertNotIn("waveform", data["master"]["report"])
        self.assertNotIn("loudness_curve", data["master"]["report"])

    def test_the_loudness_history_follows_upload_order_across_stages(self) -> None:
        recording = self.record("recording")
        demo = store_bounce(recording, audio_bytes())
        demo.store_report(report(integrated_lufs=-22.0), waveform_name="")
        self.client.force_login(self.alice)
        page = self.client.get(self.song_url("dossier"))
        points = page.context["chart"].points
        self.assertEqual([p.item.record.stage.name for p in points], ["Mastering", "Recording"])
        self.assertGreater(points[1].y, points[0].y)  # quieter sits lower

    def test_user_text_in_the_dossier_is_shown_as_text(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(
            title="<img src=x onerror=alert(1)>", purpose="<script>x</script>"
        )
        self.client.force_login(self.alice)
        page = self.client.get(self.song_url("dossier"))
        self.assertNotContains(page, "<img src=x")
        self.assertNotContains(page, "<script>x")
        self.assertContains(page, "&lt;script&gt;x&lt;/script&gt;")


class QueryCountTests(ReleaseTestCase):
    def grow(self) -> None:
        """Many more bounces (across stages, analysed and not) and review rounds."""
        for slug in ["recording", "mixing", "mastering"]:
            record = StageRecord.objects.get(song=self.song, stage__slug=slug)
            for _ in range(5):
                store_bounce(record, audio_bytes()).store_report(report(), waveform_name="")
            store_bounce(record, audio_bytes())
        for record in StageRecord.objects.filter(song=self.song):
            for round_ in range(2, 6):
                Review.objects.create(
                    record=record,
                    round=round_,
                    coach=self.bob,
                    verdict=Verdict.CHANGES_REQUESTED,
                    summary="Again.",
                    coach_balance=1,
                    balance_comment="Why.",
                )

    def first(self) -> None:
        self.make_ready()
        record = self.record("mixing")
        Review.objects.create(
            record=record,
            round=1,
            coach=self.bob,
            verdict=Verdict.APPROVED,
            summary="Good.",
            coach_balance=0,
            balance_comment="Centred.",
        )

    def assert_bounded(self, url: str) -> tuple[int, int]:
        self.first()
        self.client.force_login(self.bob)
        self.client.get(url)
        one = count_queries(lambda: self.client.get(url))
        self.grow()
        many = count_queries(lambda: self.client.get(url))
        self.assertEqual(one, many)
        return one, many

    def test_the_dossier_page_does_not_grow_with_bounces_or_reviews(self) -> None:
        self.assert_bounded(self.song_url("dossier"))

    def test_the_dossier_json_does_not_grow_with_bounces_or_reviews(self) -> None:
        self.assert_bounded(self.song_url("dossier_json"))

    def test_the_song_page_does_not_grow_with_bounces(self) -> None:
        self.assert_bounded(self.song.get_absolute_url())

    def test_the_readiness_panel_does_not_grow_with_bounces(self) -> None:
        self.first()
        self.client.force_login(self.alice)
        url = self.song_url("readiness")
        one = count_queries(lambda: self.client.get(url, headers={"HX-Request": "true"}))
        self.grow()
        many = count_queries(lambda: self.client.get(url, headers={"HX-Request": "true"}))
        self.assertEqual(one, many)
