from __future__ import annotations

from django.utils import timezone

from coaching.models import Comment
from stages.models import JOURNAL_MAX_CHARS, Status
from tests.base import HTMX, BaseTestCase, audio_bytes, count_queries, make_user, store_bounce


class RecordPageTestCase(BaseTestCase):
    def url(self, slug: str = "production", suffix: str = "") -> str:
        return f"/songs/{self.song.pk}/stages/{slug}/{suffix}"


class RecordPageTests(RecordPageTestCase):
    def test_the_record_page_shows_the_stage_the_checklist_and_the_poles(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(self.url("mixing"))
        self.assertContains(page, "Does every element have its place in frequency, space and time?")
        for text in [
            "Shape EQ and dynamics",
            "Create space",
            "Build movement",
            "loud",
            "clear",
            "Mixing translates emotion into balance.",
        ]:
            self.assertContains(page, text)

    def test_a_stage_whose_previous_stage_is_open_says_so_instead_of_offering_start(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(self.url("songwriting"))
        self.assertNotContains(page, "Start Songwriting")
        self.assertContains(page, "opens once Music Production is submitted")

    def test_a_stage_not_started_offers_start_and_nothing_else(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(self.url())
        self.assertContains(page, "Start Music Production")
        self.assertNotContains(page, "Submit for review")
        self.assertNotContains(page, 'name="journal"')

    def test_the_coach_reads_it_without_controls(self) -> None:
        self.started("production").write_journal("My notes")
        self.client.force_login(self.bob)
        page = self.client.get(self.url())
        self.assertContains(page, "My notes")
        self.assertNotContains(page, "Submit for review")
        self.assertNotContains(page, "Upload bounce")

    def test_other_users_get_404_for_the_record_page(self) -> None:
        for user in [*self.other_users(), make_user("visitor")]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url()).status_code, 404, user)

    def test_an_unknown_stage_is_404(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.url("busking")).status_code, 404)

    def test_wrong_method_is_refused(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_the_journal_is_escaped(self) -> None:
        record = self.started("production")
        record.write_journal("<script>alert(1)</script>")
        record.place_balance(0)
        for action in record.stage.core_actions.all():
            record.set_action_done(action, True)
        record.submit()
        self.client.force_login(self.bob)
        page = self.client.get(self.url())
        self.assertNotContains(page, "<script>alert(1)")
        self.assertContains(page, "&lt;script&gt;alert(1)&lt;/script&gt;")


class StatusChangeTests(RecordPageTestCase):
    def test_a_stage_is_started_submitted_and_reopened_over_http(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(self.url(suffix="start/"))
        self.assertRedirects(response, self.url())
        record = self.record()
        self.assertEqual(record.status, Status.IN_PROGRESS)

        for action in record.stage.core_actions.all():
            self.client.post(self.url(suffix=f"actions/{action.pk}/"), {"done": "on"})
        self.client.post(self.url(suffix="balance/"), {"self_balance": "-2"})
        response = self.client.post(self.url(suffix="submit/"), follow=True)
        self.assertContains(response, "is submitted")
        self.assertEqual(self.record().status, Status.SUBMITTED)

        response = self.client.post(self.url(suffix="reopen/"), follow=True)
        self.assertContains(response, "is open again")
        self.assertEqual(self.record().status, Status.IN_PROGRESS)
        self.assertEqual(self.record().reopened_count, 1)

    def test_a_refused_submission_says_what_is_missing(self) -> None:
        self.started("production")
        self.client.force_login(self.alice)
        response = self.client.post(self.url(suffix="submit/"), follow=True)
        self.assertContains(response, "Before you submit, tick all 3 core actions (0 of 3 done)")
        self.assertEqual(self.record().status, Status.IN_PROGRESS)

    def test_a_later_stage_cannot_be_started_early_by_a_crafted_post(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(self.url("mastering", "start/"), follow=True)
        self.assertContains(response, "Submit Mixing for review before you start Mastering.")
        self.assertEqual(self.record("mastering").status, Status.NOT_STARTED)

    def test_a_double_clicked_submit_is_harmless(self) -> None:
        self.complete(self.record("production")).reopen()
        self.client.force_login(self.alice)
        self.client.post(self.url(suffix="submit/"))
        response = self.client.post(self.url(suffix="submit/"), follow=True)
        self.assertEqual(self.record().status, Status.SUBMITTED)
        self.assertNotContains(response, "cannot be submitted")

    def test_only_the_owner_changes_the_status(self) -> None:
        for user in [self.bob, self.frank, *self.other_users()]:
            self.client.force_login(user)
            for action in ["start/", "submit/", "reopen/"]:
                response = self.client.post(self.url(suffix=action))
                self.assertEqual(response.status_code, 404, (user, action))
        self.assertEqual(self.record().status, Status.NOT_STARTED)

    def test_status_changes_need_post(self) -> None:
        self.client.force_login(self.alice)
        for action in ["start/", "submit/", "reopen/", "journal/", "balance/"]:
            self.assertEqual(self.client.get(self.url(suffix=action)).status_code, 405, action)


class ChecklistTests(RecordPageTestCase):
    def setUp(self) -> None:
        self.record_ = self.started("production")
        self.action = self.record_.stage.core_actions.first()
        self.client.force_login(self.alice)

    def tick_url(self) -> str:
        return self.url(suffix=f"actions/{self.action.pk}/")

    def test_htmx_tick_saves_and_returns_the_checklist_fragment(self) -> None:
        response = self.client.post(self.tick_url(), {"done": "on"}, headers=HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "stages/_checklist.html")
        self.assertNotContains(response, "<html")
        self.assertContains(response, "1 of 3 done")
        self.assertEqual(list(self.record_.completed_actions.all()), [self.action])

    def test_unticking_an_action_removes_the_tick(self) -> None:
        self.client.post(self.tick_url(), {"done": "on"}, headers=HTMX)
        response = self.client.post(self.tick_url(), {}, headers=HTMX)
        self.assertContains(response, "0 of 3 done")

    def test_a_plain_post_redirects_back_to_the_page(self) -> None:
        response = self.client.post(self.tick_url(), {"done": "on"})
        self.assertRedirects(response, self.url())

    def test_a_locked_record_refuses_the_tick_with_a_message(self) -> None:
        self.complete(self.record_)
        response = self.client.post(self.tick_url(), {}, headers=HTMX)
        self.assertContains(response, "cannot be changed now")
        self.assertEqual(self.record_.completed_actions.count(), 3)

    def test_an_action_of_another_stage_is_404(self) -> None:
        foreign = self.record("mixing").stage.core_actions.first()
        response = self.client.post(self.url(suffix=f"actions/{foreign.pk}/"), {"done": "on"})
        self.assertEqual(response.status_code, 404)

    def test_the_coach_cannot_tick(self) -> None:
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(self.tick_url(), {"done": "on"}).status_code, 404)
        self.assertEqual(self.record_.completed_actions.count(), 0)


class JournalTests(RecordPageTestCase):
    def setUp(self) -> None:
        self.started("production")
        self.client.force_login(self.alice)

    def test_htmx_save_says_saved(self) -> None:
        response = self.client.post(
            self.url(suffix="journal/"), {"journal": "Purpose: a goodbye."}, headers=HTMX
        )
        self.assertTemplateUsed(response, "stages/_journal_status.html")
        self.assertContains(response, "Saved")
        self.assertEqual(self.record().journal, "Purpose: a goodbye.")

    def test_an_overlong_journal_is_refused_and_the_text_kept(self) -> None:
        text = "la " * (JOURNAL_MAX_CHARS // 3 + 10)
        response = self.client.post(self.url(suffix="journal/"), {"journal": text})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "at most 20000 characters")
        self.assertContains(response, text.strip()[:500])
        self.assertEqual(self.record().journal, "")

    def test_htmx_error_is_shown_without_replacing_the_text(self) -> None:
        text = "x" * (JOURNAL_MAX_CHARS + 1)
        response = self.client.post(self.url(suffix="journal/"), {"journal": text}, headers=HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Your text is still here")
        self.assertNotContains(response, "xxxxxxxxxx")

    def test_a_plain_post_redirects_with_a_message(self) -> None:
        response = self.client.post(self.url(suffix="journal/"), {"journal": "Notes"}, follow=True)
        self.assertContains(response, "Journal saved.")

    def test_html_in_the_journal_is_kept_as_text(self) -> None:
        self.client.post(self.url(suffix="journal/"), {"journal": "<b>bold</b>"})
        page = self.client.get(self.url())
        self.assertContains(page, "&lt;b&gt;bold&lt;/b&gt;")
        self.assertEqual(self.record().journal, "<b>bold</b>")


class BalanceTests(RecordPageTestCase):
    def setUp(self) -> None:
        self.started("production")
        self.client.force_login(self.alice)

    def test_htmx_placement_is_saved_and_described(self) -> None:
        response = self.client.post(
            self.url(suffix="balance/"), {"self_balance": "3"}, headers=HTMX
        )
        self.assertTemplateUsed(response, "stages/_balance_status.html")
        self.assertContains(response, "Saved: Leaning towards chaos (+3)")
        self.assertNotContains(response, 'type="range"')  # the slider is left alone
        self.assertEqual(self.record().self_balance, 3)

    def test_a_balance_out_of_range_is_refused(self) -> None:
        response = self.client.post(
            self.url(suffix="balance/"), {"self_balance": "9"}, headers=HTMX
        )
        self.assertContains(response, "from -5 to +5")
        self.assertIsNone(self.record().self_balance)

    def test_a_plain_post_redirects(self) -> None:
        response = self.client.post(self.url(suffix="balance/"), {"self_balance": "-1"})
        self.assertRedirects(response, self.url())
        self.assertEqual(self.record().self_balance, -1)


class BounceCommentCountTests(RecordPageTestCase):
    def test_each_bounce_shows_its_open_and_blocking_comments_with_a_link(self) -> None:
        record = self.started("mixing")
        bounce = store_bounce(record, audio_bytes("WAV", 1.0))
        quiet = store_bounce(record, audio_bytes("WAV", 1.0))
        Comment.objects.create(record=record, bounce=bounce, author=self.bob, body="a")
        Comment.objects.create(
            record=record, bounce=bounce, author=self.bob, body="b", blocking=True
        )
        done = Comment.objects.create(
            record=record, bounce=bounce, author=self.bob, body="c", resolved_at=timezone.now()
        )
        Comment.objects.create(
            record=record, bounce=bounce, author=self.alice, body="r", parent=done
        )
        self.client.force_login(self.alice)
        # v1 is an earlier version: its row in full comes with the opened list.
        earlier = self.client.get(self.url("mixing", suffix="bounces/earlier/"), headers=HTMX)
        self.assertContains(
            earlier, f'href="/bounces/{bounce.pk}/#comments-{bounce.pk}">2 open comments'
        )
        self.assertContains(earlier, "1 blocking")
        self.assertNotContains(earlier, f'id="bounce-{quiet.pk}"')
        page = self.client.get(self.url("mixing"))
        self.assertContains(page, "No open comments")
        self.assertNotContains(page, f"/bounces/{quiet.pk}/#comments-")


class EarlierVersionsTests(RecordPageTestCase):
    def test_the_page_shows_the_latest_version_in_full_and_links_the_earlier_ones(self) -> None:
        record = self.started("mixing")
        first, second, latest = (store_bounce(record, audio_bytes("WAV", 1.0)) for _ in range(3))
        self.client.force_login(self.alice)
        page = self.client.get(self.url("mixing"))
        self.assertContains(page, f'src="/bounces/{latest.pk}/audio/"')
        self.assertContains(page, "Earlier versions (2)")
        for earlier in (first, second):
            self.assertContains(page, f'<a class="version" href="/bounces/{earlier.pk}/">')
            self.assertNotContains(page, f'src="/bounces/{earlier.pk}/audio/"')
        self.assertContains(page, f'hx-get="{self.url("mixing", suffix="bounces/earlier/")}"')

    def test_the_opened_list_brings_each_earlier_version_in_full_newest_first(self) -> None:
        record = self.started("mixing")
        first, second, latest = (store_bounce(record, audio_bytes("WAV", 1.0)) for _ in range(3))
        self.client.force_login(self.bob)  # the coach reads them too
        rows = self.client.get(self.url("mixing", suffix="bounces/earlier/"), headers=HTMX)
        html = rows.content.decode()
        self.assertLess(
            html.index(f'id="bounce-{second.pk}"'), html.index(f'id="bounce-{first.pk}"')
        )
        self.assertContains(rows, f'src="/bounces/{first.pk}/audio/"')
        self.assertContains(rows, 'preload="none"')
        self.assertNotContains(rows, f'id="bounce-{latest.pk}"')
        self.assertNotContains(rows, "Set v1 aside")  # the coach has no student's controls

    def test_the_page_costs_the_same_for_2_and_12_versions(self) -> None:
        record = self.started("mixing")
        for _ in range(2):
            store_bounce(record, audio_bytes("WAV", 1.0))
        self.client.force_login(self.alice)
        two = self.client.get(self.url("mixing")).content.count(b"<audio")
        for _ in range(10):
            store_bounce(record, audio_bytes("WAV", 1.0))
        self.assertEqual(self.client.get(self.url("mixing")).content.count(b"<audio"), two)

    def test_the_stage_page_runs_the_same_queries_for_1_and_6_commented_bounces(self) -> None:
        record = self.started("mixing")
        self.client.force_login(self.alice)

        def add_bounce() -> None:
            bounce = store_bounce(record, audio_bytes("WAV", 1.0))
            Comment.objects.create(record=record, bounce=bounce, author=self.bob, body="x")

        add_bounce()
        one = count_queries(lambda: self.client.get(self.url("mixing")))
        for _ in range(5):
            add_bounce()
        self.assertEqual(count_queries(lambda: self.client.get(self.url("mixing"))), one)
