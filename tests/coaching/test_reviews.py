from __future__ import annotations

from django.core import mail

from coaching.models import Comment, Notification, Review
from stages.models import Status
from tests.base import HTMX, BaseTestCase, audio_bytes, count_queries, make_song, store_bounce


class ReviewTestCase(BaseTestCase):
    def submitted(self, slug: str = "production", song=None):
        record = self.started(slug, song)
        record.write_journal("Why this song: <b>a goodbye</b>.")
        self.complete(record)
        return record

    def verdict(self, record, verdict: str = "approved", **overrides):
        data = {
            "verdict": verdict,
            "summary": "Clear purpose, strong hook.",
            "coach_balance": "2",
            "balance_comment": "More chaos than you think.",
        }
        for action in record.stage.core_actions.all():
            data[f"mark_{action.pk}"] = "done_well"
        data.update(overrides)
        return self.client.post(f"/coach/review/{record.pk}/", data)


class QueueTests(ReviewTestCase):
    def test_the_queue_lists_submissions_of_coached_cohorts_oldest_first(self) -> None:
        first = self.submitted("production")
        other_song = make_song(self.carol, self.cohort, title="Second")
        second = self.submitted("production", other_song)
        make_song(self.dave, self.other_cohort, title="Elsewhere")
        self.client.force_login(self.bob)
        page = self.client.get("/coach/queue/")
        self.assertEqual([r.pk for r in page.context["page"].object_list], [first.pk, second.pk])
        self.assertContains(page, "Alice")
        self.assertNotContains(page, "Elsewhere")

    def test_the_queue_filters_by_cohort_stage_and_student(self) -> None:
        record = self.submitted("production")
        other_song = make_song(self.carol, self.cohort, title="Second")
        self.submitted("production", other_song)
        self.client.force_login(self.bob)
        by_student = self.client.get(f"/coach/queue/?student={self.alice.pk}")
        self.assertEqual([r.pk for r in by_student.context["page"].object_list], [record.pk])
        by_stage = self.client.get("/coach/queue/?stage=mixing")
        self.assertEqual(list(by_stage.context["page"].object_list), [])
        by_cohort = self.client.get(f"/coach/queue/?cohort={self.cohort.pk}&stage=production")
        self.assertEqual(len(by_cohort.context["page"].object_list), 2)

    def test_another_cohorts_coach_never_sees_them(self) -> None:
        self.submitted()
        self.client.force_login(self.erin)
        page = self.client.get("/coach/queue/")
        self.assertEqual(list(page.context["page"].object_list), [])
        self.assertNotContains(page, "Paper Lanterns")

    def test_students_get_404_for_the_queue(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get("/coach/queue/").status_code, 404)

    def test_the_queue_runs_the_same_queries_for_1_and_50_submissions(self) -> None:
        self.submitted()
        self.client.force_login(self.bob)
        self.client.get("/coach/queue/")
        one = count_queries(lambda: self.client.get("/coach/queue/"))
        for index in range(49):
            self.submitted("production", make_song(self.carol, self.cohort, title=f"S{index}"))
        fifty = self.client.get("/coach/queue/")
        self.assertEqual(len(fifty.context["page"].object_list), 50)
        self.assertEqual(one, count_queries(lambda: self.client.get("/coach/queue/")))


class ReviewPageTests(ReviewTestCase):
    def test_the_review_page_shows_the_work_and_the_verdict_form(self) -> None:
        record = self.submitted("recording")
        store_bounce(record, audio_bytes("WAV", 3.0))
        self.client.force_login(self.bob)
        page = self.client.get(f"/coach/review/{record.pk}/")
        for text in [
            "Did the take capture the energy, with clean gain?",
            "Capture emotion",
            "3 of 3 ticked by the student",
            "&lt;b&gt;a goodbye&lt;/b&gt;",
            "technical focus",
            "Listen and comment",
            'name="verdict"',
        ]:
            self.assertContains(page, text)

    def test_approval_locks_the_stage_and_tells_the_student(self) -> None:
        record = self.submitted()
        self.client.force_login(self.bob)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.verdict(record)
        self.assertRedirects(response, "/coach/queue/")
        record.refresh_from_db()
        self.assertEqual(record.status, Status.APPROVED)
        review = Review.objects.get(record=record)
        self.assertEqual((review.round, review.coach_balance, review.self_balance), (1, 2, 0))
        self.assertEqual(review.marks.count(), 3)
        note = Notification.objects.get(kind="reviewed")
        self.assertEqual(note.recipient, self.alice)
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[-1].to, ["alice@example.com"])
        self.assertIn(f"/songs/{self.song.pk}/stages/production/", mail.outbox[-1].body)
        self.assertIn("Bob's summary:\nClear purpose, strong hook.", mail.outbox[-1].body)
        self.client.force_login(self.alice)
        tick = record.stage.core_actions.first()
        refused = self.client.post(
            f"/songs/{self.song.pk}/stages/production/actions/{tick.pk}/", {}, follow=True
        )
        self.assertContains(refused, "It is approved; reopen it to change it.")
        self.assertEqual(record.completed_actions.count(), 3)

    def test_changes_requested_then_resubmission_starts_round_two(self) -> None:
        record = self.submitted()
        self.client.force_login(self.bob)
        with self.captureOnCommitCallbacks(execute=True):
            self.verdict(
                record,
                "changes_requested",
                **{f"mark_{record.stage.core_actions.last().pk}": "needs_work"},
            )
        record.refresh_from_db()
        self.assertEqual(record.status, Status.CHANGES_REQUESTED)
        self.assertEqual(
            mail.outbox[-1].subject,
            "Stagecoach: Bob sent Music Production of “Paper Lanterns” back with changes to make.",
        )
        self.client.force_login(self.alice)
        self.client.post(f"/songs/{self.song.pk}/stages/production/submit/")
        record.refresh_from_db()
        self.assertEqual((record.status, record.round), (Status.SUBMITTED, 2))
        self.client.force_login(self.bob)
        self.verdict(record)
        self.assertEqual(
            list(Review.objects.filter(record=record).values_list("round", "verdict")),
            [(2, "approved"), (1, "changes_requested")],
        )
        self.client.force_login(self.alice)
        page = self.client.get(f"/songs/{self.song.pk}/stages/production/")
        self.assertContains(page, "Round 2")
        self.assertContains(page, "Round 1")
        self.assertContains(page, "Needs work")

    def test_an_open_blocking_comment_prevents_approval(self) -> None:
        record = self.submitted()
        Comment.objects.create(record=record, author=self.bob, body="Fix the hook", blocking=True)
        self.client.force_login(self.bob)
        response = self.verdict(record)
        self.assertContains(response, "1 blocking comment still open", count=1)
        self.assertContains(response, "Not approved: 1 blocking comment")
        self.assertContains(response, "Clear purpose, strong hook.")  # the input is kept
        record.refresh_from_db()
        self.assertEqual(record.status, Status.SUBMITTED)
        self.verdict(record, "changes_requested")
        record.refresh_from_db()
        self.assertEqual(record.status, Status.CHANGES_REQUESTED)

    def test_resolving_the_blocking_comment_refreshes_the_verdict_panel(self) -> None:
        record = self.submitted()
        comment = Comment.objects.create(
            record=record, author=self.bob, body="Fix the hook", blocking=True
        )
        self.client.force_login(self.bob)
        page = self.client.get(f"/coach/review/{record.pk}/")
        self.assertContains(page, 'hx-trigger="comments-changed from:body"')
        resolved = self.client.post(f"/comments/{comment.pk}/resolve/", headers=HTMX)
        self.assertEqual(resolved["HX-Trigger"], "comments-changed")
        notice = self.client.get(f"/coach/review/{record.pk}/blocking/", headers=HTMX)
        self.assertTemplateUsed(notice, "coaching/_review_blocking.html")
        self.assertNotContains(notice, "still open")

    def test_a_missing_mark_or_summary_keeps_the_rest(self) -> None:
        record = self.submitted()
        self.client.force_login(self.bob)
        action = record.stage.core_actions.first()
        response = self.verdict(record, summary="", **{f"mark_{action.pk}": ""})
        self.assertContains(response, "Write a summary")
        self.assertContains(response, f"Mark “{action.title}”")
        self.assertContains(response, "More chaos than you think.")
        self.assertFalse(Review.objects.exists())

    def test_a_second_verdict_on_the_same_round_is_refused(self) -> None:
        record = self.submitted()
        self.client.force_login(self.bob)
        self.verdict(record)
        response = self.verdict(record, "changes_requested")
        self.assertContains(response, "not waiting for a review")
        self.assertEqual(Review.objects.count(), 1)

    def test_nobody_but_the_cohorts_coaches_and_admins_may_review(self) -> None:
        record = self.submitted()
        for user in [self.alice, self.carol, self.dave, self.erin]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(f"/coach/review/{record.pk}/").status_code, 404)
            self.assertEqual(self.verdict(record).status_code, 404)
        record.refresh_from_db()
        self.assertEqual(record.status, Status.SUBMITTED)
        self.client.force_login(self.frank)
        self.assertEqual(self.client.get(f"/coach/review/{record.pk}/").status_code, 200)

    def test_the_review_page_runs_the_same_queries_for_1_and_50_in_the_queue(self) -> None:
        record = self.submitted()
        self.client.force_login(self.bob)
        url = f"/coach/review/{record.pk}/"
        self.client.get(url)
        one = count_queries(lambda: self.client.get(url))
        for index in range(49):
            self.submitted("production", make_song(self.carol, self.cohort, title=f"S{index}"))
        self.assertEqual(one, count_queries(lambda: self.client.get(url)))

    def test_the_review_page_queries_stay_bounded(self) -> None:
        record = self.submitted("recording")
        first = store_bounce(record, audio_bytes("WAV", 3.0))
        Comment.objects.create(record=record, bounce=first, author=self.bob, body="x", at_s=1)
        Comment.objects.create(record=record, author=self.bob, body="On the stage")
        self.client.force_login(self.bob)
        url = f"/coach/review/{record.pk}/"
        self.client.get(url)
        one = count_queries(lambda: self.client.get(url))
        bounce = store_bounce(record, audio_bytes("WAV", 3.0))
        for index in range(10):
            Comment.objects.create(
                record=record,
                bounce=bounce,
                author=self.bob,
                body=f"Note {index}",
                at_s=index * 0.2,
            )
            Comment.objects.create(record=record, author=self.bob, body=f"Stage note {index}")
        for _ in range(3):
            store_bounce(record, audio_bytes("WAV", 3.0))
        self.assertEqual(one, count_queries(lambda: self.client.get(url)))


class SubmissionNotificationTests(ReviewTestCase):
    def test_a_submission_reaches_the_cohorts_coaches_only(self) -> None:
        record = self.started()
        self.complete(record)  # the model alone: no notification
        self.assertFalse(Notification.objects.exists())
        record.reopen()
        self.client.force_login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/songs/{self.song.pk}/stages/production/submit/")
        self.assertEqual(
            list(Notification.objects.values_list("recipient__username", "kind")),
            [("bob", "submitted")],
        )
        self.assertEqual([m.to for m in mail.outbox], [["bob@example.com"]])
