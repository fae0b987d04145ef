"""The coach's review page as a place to work through the queue: the draft saved as it is
typed and given back, "All done well", previous / next / skip in the queue's order, and
the queue's counts, due dates and late submissions."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from coaching.models import Cohort, Comment, Review, ReviewDraft, StageDeadline
from songs.models import Song
from stages.models import Stage, StageRecord, Status
from tests.base import HTMX, count_queries, make_song
from tests.coaching.test_reviews import ReviewTestCase


def draft_data(record: StageRecord, **overrides: str) -> dict[str, str]:
    data = {
        "summary": "The hook lands; the second verse",
        "balance_comment": "More craft than heart",
        "coach_balance": "3",
        "verdict": "changes_requested",
    }
    for action in record.stage.core_actions.all():
        data[f"mark_{action.pk}"] = "needs_work"
    data.update(overrides)
    return data


def checked_marks(html: str, value: str) -> int:
    """How many mark radios with `value` the page shows checked."""
    return len(re.findall(rf'<input[^>]*name="mark_\d+"[^>]*value="{value}"[^>]*checked', html))


class ReviewDraftTests(ReviewTestCase):
    def setUp(self) -> None:
        self.record_ = self.submitted()
        self.url = f"/coach/review/{self.record_.pk}/"
        self.draft_url = f"/coach/review/{self.record_.pk}/draft/"

    def test_a_draft_is_saved_as_typed_and_restored_when_the_coach_returns(self) -> None:
        self.client.force_login(self.bob)
        saved = self.client.post(self.draft_url, draft_data(self.record_), headers=HTMX)
        self.assertEqual(saved.status_code, 200)
        self.assertTemplateUsed(saved, "coaching/_review_draft_status.html")
        self.assertContains(saved, "Draft saved")
        draft = ReviewDraft.objects.get()
        self.assertEqual((draft.record, draft.round, draft.coach), (self.record_, 1, self.bob))
        self.assertEqual(draft.data["summary"], "The hook lands; the second verse")

        page = self.client.get(self.url)
        html = page.content.decode()
        self.assertContains(page, "The hook lands; the second verse</textarea>")
        self.assertContains(page, "More craft than heart</textarea>")
        self.assertContains(page, 'value="3" data-balance')
        self.assertEqual(checked_marks(html, "needs_work"), 3)
        self.assertRegex(html, r'value="changes_requested"[^>]*checked')
        self.assertContains(page, "Your draft from")

    def test_a_later_save_replaces_the_draft_and_the_page_posts_drafts_to_its_url(self) -> None:
        self.client.force_login(self.bob)
        self.client.post(self.draft_url, draft_data(self.record_), headers=HTMX)
        self.client.post(self.draft_url, draft_data(self.record_, summary="Second"), headers=HTMX)
        self.assertEqual(ReviewDraft.objects.get().data["summary"], "Second")
        page = self.client.get(self.url)
        self.assertContains(page, f'hx-post="{self.draft_url}"')
        self.assertContains(page, 'hx-trigger="input changed delay:800ms, change"')

    def test_a_draft_keeps_only_the_forms_fields_and_the_choices_it_takes(self) -> None:
        self.client.force_login(self.bob)
        first = self.record_.stage.core_actions.first()
        data = draft_data(
            self.record_,
            summary="x" * 6000,
            coach_balance="99",
            verdict="maybe",
            stranger="<script>",
            **{f"mark_{first.pk}": "brilliant"},
        )
        self.client.post(self.draft_url, data, headers=HTMX)
        kept = ReviewDraft.objects.get().data
        self.assertEqual(len(kept["summary"]), 5000)
        for dropped in ["coach_balance", "verdict", "stranger", f"mark_{first.pk}"]:
            self.assertNotIn(dropped, kept)
        self.assertEqual(len([name for name in kept if name.startswith("mark_")]), 2)

    def test_sending_the_review_deletes_the_draft(self) -> None:
        self.client.force_login(self.bob)
        self.client.post(self.draft_url, draft_data(self.record_), headers=HTMX)
        response = self.verdict(self.record_)
        self.assertRedirects(response, "/coach/queue/")
        self.assertTrue(Review.objects.filter(record=self.record_).exists())
        self.assertFalse(ReviewDraft.objects.exists())

    def test_a_refused_approval_keeps_the_draft(self) -> None:
        Comment.objects.create(record=self.record_, author=self.bob, body="Fix it", blocking=True)
        self.client.force_login(self.bob)
        self.client.post(self.draft_url, draft_data(self.record_), headers=HTMX)
        self.verdict(self.record_)
        self.assertEqual(ReviewDraft.objects.count(), 1)

    def test_a_draft_without_htmx_is_saved_and_the_coach_returns_to_the_review(self) -> None:
        self.client.force_login(self.bob)
        response = self.client.post(self.draft_url, draft_data(self.record_), follow=True)
        self.assertRedirects(response, self.url)
        self.assertContains(response, "Draft saved.")
        self.assertContains(response, "The hook lands; the second verse</textarea>")

    def test_each_coach_has_a_draft_of_their_own(self) -> None:
        self.client.force_login(self.bob)
        self.client.post(self.draft_url, draft_data(self.record_), headers=HTMX)
        self.client.force_login(self.frank)
        page = self.client.get(self.url)
        self.assertNotContains(page, "The hook lands")
        self.assertNotContains(page, "Your draft from")

    def test_nobody_but_the_cohorts_coaches_and_admins_may_save_a_draft(self) -> None:
        for user in [self.alice, self.carol, self.dave, self.erin]:
            self.client.force_login(user)
            response = self.client.post(self.draft_url, draft_data(self.record_), headers=HTMX)
            self.assertEqual(response.status_code, 404)
        self.assertFalse(ReviewDraft.objects.exists())
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.draft_url).status_code, 405)

    def test_an_archived_cohort_refuses_the_draft_and_saves_nothing(self) -> None:
        self.client.force_login(self.bob)
        Cohort.objects.filter(pk=self.cohort.pk).update(archived_at=timezone.now())
        refused = self.client.post(self.draft_url, draft_data(self.record_))
        self.assertContains(refused, "is archived", status_code=403)
        refused = self.client.post(self.draft_url, draft_data(self.record_), headers=HTMX)
        self.assertEqual(refused.status_code, 403)
        self.assertEqual(refused["HX-Refresh"], "true")
        self.assertFalse(ReviewDraft.objects.exists())

    def test_a_released_song_refuses_the_draft(self) -> None:
        self.client.force_login(self.bob)
        Song.objects.filter(pk=self.song.pk).update(released_at=timezone.now())
        refused = self.client.post(self.draft_url, draft_data(self.record_))
        self.assertContains(refused, "is released", status_code=403)
        self.assertFalse(ReviewDraft.objects.exists())

    def test_a_stage_no_longer_waiting_refuses_the_draft_with_a_reason(self) -> None:
        self.client.force_login(self.bob)
        self.verdict(self.record_)
        response = self.client.post(self.draft_url, draft_data(self.record_), headers=HTMX)
        self.assertContains(response, "not waiting for a review: the draft was not saved")
        self.assertFalse(ReviewDraft.objects.exists())

    def test_a_draft_of_an_earlier_round_is_not_given_back_in_the_next_round(self) -> None:
        self.client.force_login(self.bob)
        self.client.post(self.draft_url, draft_data(self.record_), headers=HTMX)
        StageRecord.objects.filter(pk=self.record_.pk).update(round=2)
        page = self.client.get(self.url)
        self.assertNotContains(page, "The hook lands")


class AllDoneWellTests(ReviewTestCase):
    def test_the_review_page_offers_all_done_well_as_a_button(self) -> None:
        record = self.submitted()
        self.client.force_login(self.bob)
        page = self.client.get(f"/coach/review/{record.pk}/")
        self.assertContains(page, 'name="all_done_well"')
        self.assertContains(page, "data-all-done-well")

    def test_all_done_well_without_javascript_sets_every_mark_and_keeps_the_rest(self) -> None:
        record = self.submitted()
        self.client.force_login(self.bob)
        first = record.stage.core_actions.first()
        response = self.client.post(
            f"/coach/review/{record.pk}/",
            {
                "all_done_well": "1",
                "summary": "Half written",
                "coach_balance": "-2",
                f"mark_{first.pk}": "needs_work",
            },
        )
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertEqual(checked_marks(html, "done_well"), 3)
        self.assertEqual(checked_marks(html, "needs_work"), 0)
        self.assertContains(response, "Half written</textarea>")
        self.assertContains(response, 'value="-2" data-balance')
        self.assertNotContains(response, "Write a summary")  # not a review sent: no errors
        self.assertFalse(Review.objects.exists())
        record.refresh_from_db()
        self.assertEqual(record.status, Status.SUBMITTED)

    def test_all_done_well_shows_the_form_as_sent_not_an_older_draft(self) -> None:
        record = self.submitted()
        self.client.force_login(self.bob)
        self.client.post(f"/coach/review/{record.pk}/draft/", draft_data(record), headers=HTMX)
        response = self.client.post(
            f"/coach/review/{record.pk}/", {"all_done_well": "1", "summary": "Newer words"}
        )
        self.assertContains(response, "Newer words</textarea>")
        self.assertNotContains(response, "The hook lands")
        self.assertNotContains(response, "Your draft from")
        self.assertEqual(checked_marks(response.content.decode(), "done_well"), 3)


class QueueOrderTestCase(ReviewTestCase):
    """Three submissions, oldest first: alice's, then carol's two."""

    def setUp(self) -> None:
        songs = [self.song, make_song(self.carol, self.cohort, title="Second")]
        songs.append(make_song(self.carol, self.cohort, title="Third"))
        self.records = [self.submitted("production", song) for song in songs]
        start = timezone.now() - dt.timedelta(days=3)
        for index, record in enumerate(self.records):
            StageRecord.objects.filter(pk=record.pk).update(
                submitted_at=start + dt.timedelta(hours=index)
            )

    def url(self, record: StageRecord, query: str = "") -> str:
        return f"/coach/review/{record.pk}/{query}"


class QueueNavigationTests(QueueOrderTestCase):
    def test_the_review_page_shows_its_place_and_links_either_side(self) -> None:
        first, second, third = self.records
        self.client.force_login(self.bob)
        page = self.client.get(self.url(second))
        self.assertContains(page, "<strong>2 of 3</strong> waiting")
        self.assertContains(page, f'href="{self.url(first)}" rel="prev"')
        self.assertContains(page, f'href="{self.url(third)}" rel="next"')
        self.assertContains(page, f'<a class="button secondary" href="{self.url(third)}">Skip</a>')

    def test_the_first_has_no_previous_and_the_last_skips_back_to_the_oldest(self) -> None:
        first, _, third = self.records
        self.client.force_login(self.bob)
        opening = self.client.get(self.url(first))
        self.assertContains(opening, "<strong>1 of 3</strong>")
        self.assertNotContains(opening, 'rel="prev"')
        closing = self.client.get(self.url(third))
        self.assertContains(closing, "<strong>3 of 3</strong>")
        self.assertNotContains(closing, 'rel="next"')
        self.assertContains(closing, f'href="{self.url(first)}">Skip</a>')

    def test_the_queues_filters_are_carried_and_decide_the_order(self) -> None:
        _, second, third = self.records
        query = f"?student={self.carol.pk}"
        self.client.force_login(self.bob)
        queue = self.client.get(f"/coach/queue/{query}")
        self.assertContains(queue, f'href="{self.url(second)}{query}"')
        page = self.client.get(self.url(second, query))
        self.assertContains(page, "<strong>1 of 2</strong> waiting")
        self.assertNotContains(page, 'rel="prev"')
        self.assertContains(page, f'href="{self.url(third)}{query}" rel="next"')
        self.assertContains(page, f'href="/coach/queue/{query}">Review queue</a>')

    def test_skip_leaves_the_submission_waiting_without_a_verdict(self) -> None:
        first, second, _ = self.records
        self.client.force_login(self.bob)
        page = self.client.get(self.url(first))
        self.assertContains(page, f'href="{self.url(second)}">Skip</a>')
        self.client.get(self.url(second))
        self.assertFalse(Review.objects.exists())
        first.refresh_from_db()
        self.assertEqual(first.status, Status.SUBMITTED)

    def test_after_a_verdict_the_coach_goes_on_to_the_next_then_back_to_the_skipped(self) -> None:
        first, second, third = self.records
        self.client.force_login(self.bob)
        self.assertRedirects(self.verdict(second), self.url(third))
        self.assertRedirects(self.verdict(third), self.url(first))
        self.assertRedirects(self.verdict(first), "/coach/queue/")

    def test_after_a_verdict_the_filters_stay_with_the_coach(self) -> None:
        _, second, third = self.records
        query = f"?student={self.carol.pk}"
        self.client.force_login(self.bob)
        data = {
            "verdict": "approved",
            "summary": "Good.",
            "coach_balance": "0",
            "balance_comment": "Balanced.",
        }
        for action in second.stage.core_actions.all():
            data[f"mark_{action.pk}"] = "done_well"
        response = self.client.post(self.url(second, query), data)
        self.assertRedirects(response, self.url(third, query))
        response = self.client.post(self.url(third, query), data)
        self.assertRedirects(response, f"/coach/queue/{query}", fetch_redirect_response=False)

    def test_a_stage_no_longer_waiting_points_to_the_oldest_waiting(self) -> None:
        first, second, _ = self.records
        self.client.force_login(self.bob)
        self.verdict(first)
        page = self.client.get(self.url(first))
        self.assertContains(page, "<strong>2</strong> waiting")
        self.assertContains(page, f'href="{self.url(second)}">Oldest waiting →</a>')
        self.assertNotContains(page, "Skip</a>")

    def test_the_review_page_queries_stay_the_same_with_a_draft_and_a_longer_queue(self) -> None:
        first = self.records[0]
        self.client.force_login(self.bob)
        self.client.post(f"/coach/review/{first.pk}/draft/", draft_data(first), headers=HTMX)
        url = self.url(first, f"?cohort={self.cohort.pk}")
        self.client.get(url)
        three = count_queries(lambda: self.client.get(url))
        for index in range(47):
            self.submitted("production", make_song(self.carol, self.cohort, title=f"S{index}"))
        self.assertEqual(three, count_queries(lambda: self.client.get(url)))
        self.assertContains(self.client.get(url), "<strong>1 of 50</strong>")


class QueueDueDateTests(QueueOrderTestCase):
    def setUp(self) -> None:
        super().setUp()
        today = timezone.localdate()
        production = Stage.objects.get(slug="production")
        StageDeadline.objects.create(
            cohort=self.cohort, stage=production, due_on=today - dt.timedelta(days=1)
        )

    def test_the_queue_shows_the_count_due_dates_and_late_submissions(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get("/coach/queue/")
        self.assertContains(page, "<strong>3 waiting</strong>")
        self.assertContains(page, '<span class="count-late">3 late</span>')
        self.assertContains(page, '<tr class="late">', count=3)
        due = (timezone.localdate() - dt.timedelta(days=1)).strftime("%-d %b %Y")
        self.assertContains(page, f'<span class="flag">Late</span> was due {due}', count=3)

    def test_a_date_still_ahead_is_shown_and_not_late(self) -> None:
        StageDeadline.objects.filter(cohort=self.cohort).update(
            due_on=timezone.localdate() + dt.timedelta(days=1)
        )
        self.client.force_login(self.bob)
        page = self.client.get("/coach/queue/")
        due = (timezone.localdate() + dt.timedelta(days=1)).strftime("%-d %b %Y")
        self.assertContains(page, due, count=3)
        self.assertNotContains(page, '<tr class="late">')
        self.assertNotContains(page, "late</span>")

    def test_another_cohorts_schedule_and_a_stage_without_a_date_are_not_late(self) -> None:
        StageDeadline.objects.filter(cohort=self.cohort).update(cohort=self.other_cohort)
        self.client.force_login(self.bob)
        page = self.client.get("/coach/queue/")
        self.assertContains(page, "No date", count=3)
        self.assertNotContains(page, '<tr class="late">')

    def test_the_late_count_follows_the_queues_filters(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(f"/coach/queue/?student={self.carol.pk}")
        self.assertContains(page, "<strong>2 waiting</strong>")
        self.assertContains(page, '<span class="count-late">2 late</span>')

    def test_the_queue_runs_the_same_queries_for_3_and_50_late_submissions(self) -> None:
        self.client.force_login(self.bob)
        self.client.get("/coach/queue/")
        three = count_queries(lambda: self.client.get("/coach/queue/"))
        for index in range(47):
            self.submitted("production", make_song(self.carol, self.cohort, title=f"S{index}"))
        fifty = self.client.get("/coach/queue/")
        self.assertEqual(len(fifty.context["page"].object_list), 50)
        self.assertContains(fifty, '<span class="count-late">50 late</span>')
        self.assertEqual(three, count_queries(lambda: self.client.get("/coach/queue/")))
