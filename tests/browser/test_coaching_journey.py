"""A coach comments at a moment of a bounce, the student replies, and the A/B player
switches versions at the same position, in real Chromium."""

from __future__ import annotations

import pytest

from coaching.models import Cohort, Comment, Membership, Role
from songs import services
from stages.models import Status
from tests.base import audio_bytes, make_song, make_user, upload_file
from tests.browser.base import BrowserTestCase

pytestmark = pytest.mark.browser


class CoachingJourneyTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        cohort = Cohort.objects.create(name="Autumn")
        self.student = make_user("ada")
        self.coach = make_user("maya")
        for user, role in [(self.student, Role.STUDENT), (self.coach, Role.COACH)]:
            user.set_password("lanterns-at-dusk")
            user.save()
            Membership.objects.create(user=user, cohort=cohort, role=role)
        song = make_song(self.student, cohort)
        record = song.records.get(stage__slug="mixing")
        type(record).objects.filter(pk=record.pk).update(status=Status.IN_PROGRESS)
        record.refresh_from_db()
        # Tasks run in-process here: each upload is analysed as soon as it commits.
        self.v1 = services.upload_bounce(
            record=record,
            uploaded_by=self.student,
            upload=upload_file("v1.wav", audio_bytes("WAV", seconds=12.0)),
        )
        self.v2 = services.upload_bounce(
            record=record,
            uploaded_by=self.student,
            upload=upload_file("v2.flac", audio_bytes("FLAC", seconds=12.0)),
        )
        self.v2.refresh_from_db()
        self.assertEqual(self.v2.analysis_state, "done")

    def switch_user(self, username: str) -> None:
        self.context.clear_cookies()
        self.log_in(username, "lanterns-at-dusk")

    def test_a_coach_comments_at_a_moment_the_student_replies_and_compares(self) -> None:
        page = self.page
        self.switch_user("maya")
        self.go(f"/bounces/{self.v2.pk}/")
        waveform = page.locator("[data-waveform]")
        waveform.locator("img.waveform").wait_for()
        box = waveform.bounding_box()
        fraction = 0.3
        page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
        expected = fraction * self.v2.duration_s
        page.get_by_text("Commenting at 0:03").wait_for()
        page.fill(f"#body-{self.v2.pk}", "The snare gets lost here.")
        self.screenshot("08-coach-comments-at-a-moment")
        page.get_by_role("button", name="Comment", exact=True).click()
        page.locator(".thread").get_by_text("The snare gets lost here.").wait_for()
        comment = Comment.objects.get()
        self.assertLess(abs(comment.at_s - expected), 1.0)
        self.assertEqual(page.locator(f"#markers-{self.v2.pk} .marker").count(), 1)

        self.switch_user("ada")
        self.go(f"/bounces/{self.v2.pk}/")
        marker = page.locator(f"#markers-{self.v2.pk} .marker")
        marker.wait_for()
        marker.click()
        position = page.evaluate(f"document.getElementById('player-{self.v2.pk}').currentTime")
        self.assertLess(abs(position - comment.at_s), 0.5)
        page.fill(f"#reply-{comment.pk}", "Brought the snare up 1.5 dB.")
        page.get_by_role("button", name="Reply").click()
        page.locator(".replies").get_by_text("Brought the snare up 1.5 dB.").wait_for()
        self.assertEqual(Comment.objects.get(parent=comment).author, self.student)
        self.screenshot("09-student-replies")

        self.go(f"/bounces/{self.v2.pk}/compare/{self.v1.pk}/")
        page.get_by_role("button", name="Play").click()
        self.wait_until("document.querySelector('[data-ab-a]').currentTime > 1.5")
        page.get_by_role("button", name="B: v2").click()
        state = page.evaluate(
            """() => {
                const a = document.querySelector('[data-ab-a]');
                const b = document.querySelector('[data-ab-b]');
                return {a: a.currentTime, b: b.currentTime, aMuted: a.muted, bMuted: b.muted};
            }"""
        )
        self.assertLess(abs(state["a"] - state["b"]), 0.3)
        self.assertGreater(state["b"], 1.0)
        self.assertEqual((state["aMuted"], state["bMuted"]), (True, False))

        # After a click on the loudness-matched box, the keys still drive the player.
        match = page.locator("[data-ab-match]")
        match.click()
        self.assertFalse(match.is_checked())
        page.keyboard.press("a")
        page.keyboard.press(" ")
        keys = page.evaluate(
            """() => ({
                current: document.querySelector('[data-ab]').dataset.current,
                paused: document.querySelector('[data-ab-a]').paused,
                checked: document.querySelector('[data-ab-match]').checked,
            })"""
        )
        self.assertEqual(keys, {"current": "a", "paused": True, "checked": False})
        self.screenshot("10-ab-compare")
        self.assertEqual(self.console_errors, [])
