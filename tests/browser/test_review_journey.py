"""A coach works the review queue in real Chromium: the queue with its due dates, a draft
that survives a reload, "All done well" in one click, the verdict panel in view while the
work scrolls, and on to the next submission after the verdict."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coaching.models import Cohort, Membership, ReviewDraft, Role, StageDeadline
from songs import services
from stages.models import Stage, StageRecord
from tests.base import audio_bytes, make_song, make_user, upload_file
from tests.browser.base import BrowserTestCase

pytestmark = pytest.mark.browser

PASSWORD = "lanterns-at-dusk"
SUMMARY = "The purpose is clear and the hook earns it; say who the town is in verse one."


class ReviewJourneyTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        cohort = Cohort.objects.create(name="Autumn")
        self.coach = make_user("maya")
        self.students = [make_user("ada"), make_user("ben")]
        for user, role in [(self.coach, Role.COACH)] + [(s, Role.STUDENT) for s in self.students]:
            user.set_password(PASSWORD)
            user.save()
            Membership.objects.create(user=user, cohort=cohort, role=role)
        production = Stage.objects.get(slug="production")
        StageDeadline.objects.create(
            cohort=cohort, stage=production, due_on=timezone.localdate() - dt.timedelta(days=2)
        )
        self.records = []
        for index, student in enumerate(self.students):
            song = make_song(student, cohort, title=["Paper Lanterns", "Low Tide"][index])
            record = song.records.select_related("stage", "song").get(stage=production)
            record.start()
            for action in production.core_actions.all():
                record.set_action_done(action, True)
            record.write_journal("Why this song, and for whom.\n" * 40)
            record.place_balance(-1)
            if index == 0:
                services.upload_bounce(
                    record=record,
                    uploaded_by=student,
                    upload=upload_file("demo.wav", audio_bytes("WAV", seconds=6.0)),
                )
            record.submit()
            StageRecord.objects.filter(pk=record.pk).update(
                submitted_at=timezone.now() - dt.timedelta(hours=5 - index)
            )
            self.records.append(record)

    def test_a_coach_drafts_a_review_reloads_finds_it_and_sends_it(self) -> None:
        page = self.page
        first, second = self.records
        self.log_in("maya", PASSWORD)
        self.go("/coach/queue/")
        page.get_by_text("2 waiting").wait_for()
        page.locator(".count-late", has_text="2 late").wait_for()
        self.screenshot("17-review-queue-with-due-dates")

        page.get_by_role("link", name="Review", exact=True).first.click()
        page.wait_for_url(f"{self.base_url}/coach/review/{first.pk}/")
        page.locator(".queue-place", has_text="1 of 2").wait_for()
        page.fill("#id_summary", SUMMARY)
        page.locator("#draft-status", has_text="Draft saved").wait_for()
        self.assertEqual(ReviewDraft.objects.get().data["summary"], SUMMARY)

        page.reload()
        page.locator("#draft-status", has_text="Your draft from").wait_for()
        self.assertEqual(page.input_value("#id_summary"), SUMMARY)

        page.get_by_role("button", name="All done well").click()
        marks = page.locator("input[type=radio][name^=mark_][value=done_well]")
        self.assertEqual(marks.count(), 3)
        for index in range(marks.count()):
            self.assertTrue(marks.nth(index).is_checked())
        page.locator("#draft-status", has_text="Draft saved").wait_for()
        kept = ReviewDraft.objects.get().data
        self.assertEqual(
            sorted(v for k, v in kept.items() if k.startswith("mark_")), ["done_well"] * 3
        )
        self.assertEqual(kept["summary"], SUMMARY)

        # The verdict panel stays in view while the work scrolls by.
        page.evaluate("window.scrollTo(0, Math.min(1500, document.body.scrollHeight / 2))")
        panel = page.locator(".verdict").bounding_box()
        scrolled = page.evaluate("window.scrollY")
        self.assertGreater(scrolled, 300)
        self.assertIsNotNone(panel)
        self.assertGreaterEqual(panel["y"], 0)
        self.assertLess(panel["y"], 100)
        # And its actions stay at the panel's foot, in the window, however long the form.
        send = page.get_by_role("button", name="Send review").bounding_box()
        self.assertIsNotNone(send)
        self.assertLessEqual(send["y"] + send["height"], page.viewport_size["height"])
        self.screenshot("18-review-draft-restored-panel-in-view")

        page.fill("#id_balance_comment", "Nearer craft than heart.")
        page.get_by_label("Approve", exact=True).check()
        page.get_by_role("button", name="Send review").click()
        page.wait_for_url(f"{self.base_url}/coach/review/{second.pk}/")
        page.locator(".queue-place", has_text="1 of 1").wait_for()
        first.refresh_from_db()
        self.assertEqual(first.status, "approved")
        self.assertFalse(ReviewDraft.objects.exists())
        self.assertEqual(page.input_value("#id_summary"), "")
        self.assertEqual(self.console_errors, [])

    def test_on_a_phone_the_verdict_panel_follows_the_work(self) -> None:
        self.context.close()
        self.context = self.browser.new_context(viewport={"width": 390, "height": 844})
        self.page = self.context.new_page()
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        self.log_in("maya", PASSWORD)
        self.go(f"/coach/review/{self.records[0].pk}/")
        self.page.locator(".queue-place", has_text="1 of 2").wait_for()
        position = self.page.evaluate(
            "getComputedStyle(document.querySelector('.review-panel')).position"
        )
        self.assertEqual(position, "static")
        self.screenshot("19-review-on-a-phone")
        # The panel is pages below the work: a link at the top goes straight to it.
        self.page.get_by_role("link", name="Your review ↓").click()
        self.page.wait_for_url(
            f"{self.base_url}/coach/review/{self.records[0].pk}/#verdict-heading"
        )
        heading = self.page.get_by_role("heading", name="Your review of round 1")
        self.assertTrue(heading.is_visible())
        box = heading.bounding_box()
        assert box is not None
        self.assertLess(box["y"], 844)  # scrolled into view, not far below
        self.assertEqual(self.console_errors, [])
