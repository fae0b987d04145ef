"""Snippets, notifications, version compare and balance tendencies."""

from __future__ import annotations

from coaching.models import Notification, Review, Snippet
from songs import services
from stages.models import StageRecord
from tests.base import BaseTestCase, audio_bytes, make_song, make_user, store_bounce, upload_file


class SnippetTests(BaseTestCase):
    def test_a_coach_saves_and_deletes_snippets(self) -> None:
        self.client.force_login(self.bob)
        response = self.client.post(
            "/coach/snippets/", {"title": "Vocal rides", "body": "Ride the vocal.", "check_id": ""}
        )
        self.assertRedirects(response, "/coach/snippets/")
        snippet = Snippet.objects.get(coach=self.bob)
        page = self.client.get("/coach/snippets/")
        self.assertContains(page, "Vocal rides")
        self.assertContains(page, "True peak over the ceiling")  # a ready one
        self.client.force_login(self.erin)
        self.assertEqual(self.client.post(f"/coach/snippets/{snippet.pk}/delete/").status_code, 404)
        self.client.force_login(self.bob)
        self.client.post(f"/coach/snippets/{snippet.pk}/delete/")
        self.assertFalse(Snippet.objects.filter(coach=self.bob).exists())

    def test_students_get_404_for_the_snippets(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get("/coach/snippets/").status_code, 404)

    def test_ready_snippets_are_offered_for_checks_that_did_not_pass(self) -> None:
        record = self.started("mastering")
        with self.captureOnCommitCallbacks(execute=True):
            bounce = services.upload_bounce(
                record=record, uploaded_by=self.alice, upload=upload_file("m.wav")
            )
        bounce.refresh_from_db()
        failing = {c["id"] for c in bounce.report["checks"] if c["status"] != "pass"}
        self.assertIn("isrc", failing)
        self.assertNotIn("clipping", failing)
        Snippet.objects.create(coach=self.bob, title="My own note", body="Mine.")
        self.client.force_login(self.bob)
        page = self.client.get(f"/bounces/{bounce.pk}/")
        self.assertContains(page, "ISRC missing")
        self.assertNotContains(page, "Clipping in the bounce")
        self.assertContains(page, "My own note")
        self.client.force_login(self.alice)
        self.assertNotContains(self.client.get(f"/bounces/{bounce.pk}/"), "Insert a snippet")


class NotificationTests(BaseTestCase):
    def setUp(self) -> None:
        self.note = Notification.objects.create(
            recipient=self.alice, kind="reviewed", message="Bob approved it", url="/songs/1/"
        )

    def test_the_bell_counts_unread(self) -> None:
        self.client.force_login(self.alice)
        self.assertContains(self.client.get("/notifications/bell/"), 'data-unread="1"')
        self.client.force_login(self.bob)
        self.assertContains(self.client.get("/notifications/bell/"), 'data-unread="0"')

    def test_opening_a_notification_marks_it_read_and_goes_there(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(f"/notifications/{self.note.pk}/")
        self.assertRedirects(response, "/songs/1/", fetch_redirect_response=False)
        self.note.refresh_from_db()
        self.assertIsNotNone(self.note.read_at)

    def test_someone_elses_notification_is_404(self) -> None:
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(f"/notifications/{self.note.pk}/").status_code, 404)
        self.assertNotContains(self.client.get("/notifications/"), "Bob approved it")

    def test_mark_all_read_clears_the_unread_count(self) -> None:
        self.client.force_login(self.alice)
        self.assertContains(self.client.get("/notifications/"), "Bob approved it")
        self.client.post("/notifications/read/")
        self.assertContains(self.client.get("/notifications/bell/"), 'data-unread="0"')


class CompareTests(BaseTestCase):
    def setUp(self) -> None:
        record = self.started("mixing")
        # Both longer than the short-term window (3 s), so both have a curve of loudness.
        with self.captureOnCommitCallbacks(execute=True):
            self.v1 = services.upload_bounce(
                record=record,
                uploaded_by=self.alice,
                upload=upload_file("a.wav", audio_bytes("WAV", seconds=4.0)),
            )
        with self.captureOnCommitCallbacks(execute=True):
            self.v2 = services.upload_bounce(
                record=record,
                uploaded_by=self.alice,
                upload=upload_file("b.flac", audio_bytes("FLAC", seconds=5.0)),
            )
        self.url = f"/bounces/{self.v2.pk}/compare/{self.v1.pk}/"

    def test_the_compare_page_matches_loudness_and_lists_what_changed(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(self.url)
        # The earlier version is A, whichever way round the address names them.
        self.assertEqual(page.context["a"].label, self.v1.label)
        self.assertEqual(page.context["a"].audio_url, f"/bounces/{self.v1.pk}/audio/")
        match = page.context["match"]
        self.assertTrue(match.possible)
        self.assertLessEqual(max(match.volume_a, match.volume_b), 1.0)
        rows = {row.label: row for row in page.context["differences"]}
        self.assertEqual((rows["Format"].a, rows["Format"].b), ("WAV", "FLAC"))
        self.assertTrue(rows["Format"].changed)
        self.assertEqual(rows["Codec"].a, "PCM 16-bit")
        self.assertContains(page, "data-ab-a")

    def test_a_change_of_a_peak_is_in_decibels(self) -> None:
        self.client.force_login(self.bob)
        rows = {row.label: row for row in self.client.get(self.url).context["differences"]}
        for label in ("True peak", "Sample peak"):
            with self.subTest(label=label):
                self.assertTrue(rows[label].a.endswith(("dBTP", "dBFS")), rows[label].a)
                self.assertRegex(rows[label].change, r"^[+-]\d+\.\d dB$")
        self.assertRegex(rows["Integrated loudness"].change, r"^[+-]\d+\.\d LU$")

    def test_the_music_is_compared_too_and_the_tonal_balances_overlaid(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(self.url)
        rows = {row.label: row for row in page.context["differences"]}
        self.v1.refresh_from_db()
        self.v2.refresh_from_db()
        first, second = self.v1.music_report, self.v2.music_report
        assert first is not None and second is not None, "both musical passes ran"
        tilt_a, tilt_b = first.spectral_tilt_db_per_octave, second.spectral_tilt_db_per_octave
        assert tilt_a is not None and tilt_b is not None
        tilt = rows["Spectral tilt"]
        self.assertEqual((tilt.a, tilt.b), (f"{tilt_a:.1f} dB/octave", f"{tilt_b:.1f} dB/octave"))
        # The change is the later version minus the earlier, as for loudness.
        self.assertEqual(tilt.change, f"{round(tilt_b - tilt_a, 1) + 0.0:+.1f} dB/octave")
        self.assertEqual(rows["Key"].a, first.key or "—")
        labels = list(rows)
        self.assertLess(labels.index("Stereo correlation"), labels.index("Tempo"))
        self.assertLess(labels.index("Low-end correlation"), labels.index("Format"))
        chart = page.context["tonal_chart"]
        self.assertIsNotNone(chart)
        self.assertEqual(chart.overlay_label, "v2")
        self.assertContains(page, 'class="overlay"')
        self.assertEqual(page.context["width_chart"].overlay_label, "v2")
        self.assertContains(page, "Stereo width")
        loudness = page.context["loudness_chart"]
        self.assertEqual(loudness.overlay_label, "v2")
        self.assertTrue(loudness.overlay_points)
        self.assertContains(page, "Short-term loudness over time of v1, with v2 dashed")

    def test_versions_of_different_stages_do_not_compare(self) -> None:
        other = store_bounce(self.record("production"), audio_bytes("WAV", 1.0))
        self.client.force_login(self.alice)
        self.assertEqual(
            self.client.get(f"/bounces/{self.v1.pk}/compare/{other.pk}/").status_code, 404
        )

    def test_other_users_get_404_for_the_compare_page(self) -> None:
        for user in [self.carol, self.dave, self.erin]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url).status_code, 404, user)


class TendencyTests(BaseTestCase):
    def test_self_and_coach_placements_are_compared_across_rounds(self) -> None:
        record = self.started("production")
        self.complete(record)
        Review.objects.create(
            record=record,
            round=1,
            coach=self.bob,
            verdict="changes_requested",
            summary="s",
            coach_balance=-3,
            balance_comment="c",
            self_balance=2,
        )
        self.client.force_login(self.alice)
        page = self.client.get(f"/people/{self.alice.pk}/tendencies/")
        production = page.context["stages"][0]
        self.assertEqual((production.self_mean, production.coach_mean), (2, -3))
        self.assertIn("5.0 further towards chaos", production.sentence)
        self.assertContains(page, "Paper Lanterns · round 1")

    def review(self, record: StageRecord, round_: int, own: int | None, coach: int) -> None:
        Review.objects.create(
            record=record,
            round=round_,
            coach=self.bob,
            verdict="changes_requested",
            summary="s",
            coach_balance=coach,
            balance_comment="c",
            self_balance=own,
        )

    def test_only_rounds_both_placed_are_compared_and_counted(self) -> None:
        first = self.started("songwriting")
        self.review(first, 1, own=-2, coach=2)  # both placed: 4.0 towards heart
        second = self.started("songwriting", song=make_song(self.alice, self.cohort, "B"))
        self.review(second, 1, own=None, coach=3)  # the coach alone
        StageRecord.objects.filter(pk=second.pk).update(self_balance=5)  # not reviewed yet
        self.client.force_login(self.alice)
        page = self.client.get(f"/people/{self.alice.pk}/tendencies/")
        songwriting = page.context["stages"][1]
        self.assertEqual(songwriting.paired_rounds, 1)
        self.assertEqual((songwriting.self_mean, songwriting.coach_mean), (-2, 2))
        self.assertEqual(
            songwriting.sentence,
            "Your placements sit 4.0 further towards heart than your coaches' (over the 1 "
            "round you and a coach both placed).",
        )

    def test_a_coach_reads_the_sentence_about_the_student(self) -> None:
        self.review(self.started("songwriting"), 1, own=-2, coach=2)
        self.client.force_login(self.bob)
        page = self.client.get(f"/people/{self.alice.pk}/tendencies/")
        sentence = page.context["stages"][1].sentence
        self.assertTrue(sentence.startswith("Alice's placements sit 4.0 further"), sentence)
        self.assertNotIn("You", sentence)

    def test_the_coaches_tendencies_link_opens_a_student_picker(self) -> None:
        self.client.force_login(self.bob)
        home = self.client.get("/")
        self.assertContains(home, 'href="/people/tendencies/">Tendencies')
        picker = self.client.get("/people/tendencies/")
        self.assertEqual(
            [p.username for p in picker.context["page"].object_list], ["alice", "carol"]
        )
        found = self.client.get("/people/tendencies/?q=car")
        self.assertEqual([p.username for p in found.context["page"].object_list], ["carol"])
        self.client.force_login(self.alice)
        self.assertRedirects(
            self.client.get("/people/tendencies/"), f"/people/{self.alice.pk}/tendencies/"
        )

    def test_the_students_coaches_and_admins_may_look_nobody_else(self) -> None:
        url = f"/people/{self.alice.pk}/tendencies/"
        for user in [self.alice, self.bob, self.frank]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).status_code, 200, user)
        for user in [self.carol, self.dave, self.erin, make_user("visitor")]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).status_code, 404, user)
