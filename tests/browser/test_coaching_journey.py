"""The listening surface in real Chromium: the waveform player (click to seek, drag for a
range, C at the playhead, zoom), a coach's comment and the student's reply, and the A/B
player switching versions at the same position and looping a passage."""

from __future__ import annotations

from typing import Any

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
        self.v1.refresh_from_db()
        self.v2.refresh_from_db()
        self.assertEqual(self.v2.analysis_state, "done")

    def switch_user(self, username: str) -> None:
        self.context.clear_cookies()
        self.log_in(username, "lanterns-at-dusk")

    def player_time(self) -> float:
        return float(
            self.page.evaluate(f"document.getElementById('player-{self.v2.pk}').currentTime")
        )

    def open_player(self) -> Any:
        self.go(f"/bounces/{self.v2.pk}/")
        self.page.locator("[data-waveform][data-ready=live]").wait_for()
        box = self.page.locator("[data-wave]").bounding_box()
        assert box is not None
        return box

    def playhead_in_view(self) -> bool:
        cursor = self.page.locator("[data-wave] [part~=cursor]").first.bounding_box()
        view = self.page.locator("[data-wave] [part~=scroll]").first.bounding_box()
        return bool(view["x"] <= cursor["x"] <= view["x"] + view["width"])

    def test_a_click_seeks_a_drag_and_c_set_the_moment_and_zoom_follows_the_playhead(
        self,
    ) -> None:
        page = self.page
        self.switch_user("maya")
        box = self.open_player()
        duration = self.v2.duration_s
        y = box["y"] + 40  # on the waveform, above the timeline

        # A click at 30 % seeks there.
        page.mouse.click(box["x"] + box["width"] * 0.3, y)
        self.assertLess(abs(self.player_time() - 0.3 * duration), 0.1)

        # A drag from 20 % to 50 % is the comment's range.
        page.mouse.move(box["x"] + box["width"] * 0.2, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=10)
        page.mouse.up()
        page.get_by_text("Commenting at 0:02–0:06").wait_for()
        page.fill(f"#body-{self.v2.pk}", "This whole passage drags.")
        self.screenshot("08-coach-selects-a-range")
        page.get_by_role("button", name="Comment", exact=True).click()
        page.locator(".thread").get_by_text("This whole passage drags.").wait_for()
        ranged = Comment.objects.get()
        assert ranged.until_s is not None
        self.assertLess(abs(ranged.at_s - 0.2 * duration), 0.25)
        self.assertLess(abs(ranged.until_s - 0.5 * duration), 0.25)

        # C while playing: pause, and comment at the playhead.
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("Space")
        self.wait_until(f"document.getElementById('player-{self.v2.pk}').currentTime > 7.5")
        page.keyboard.press("c")
        self.wait_until(f"document.getElementById('player-{self.v2.pk}').paused")
        at_playhead = self.player_time()
        self.assertEqual(page.evaluate("document.activeElement.id"), f"body-{self.v2.pk}")
        page.keyboard.type("The snare gets lost here.")
        page.get_by_role("button", name="Comment", exact=True).click()
        page.locator(".thread").get_by_text("The snare gets lost here.").wait_for()
        point = Comment.objects.exclude(pk=ranged.pk).get()
        self.assertIsNone(point.until_s)
        self.assertLess(abs(point.at_s - at_playhead), 0.25)
        # Both comments are drawn on the waveform and in the lane of markers.
        self.assertEqual(page.locator(f"#markers-{self.v2.pk} .marker").count(), 2)
        self.wait_until(
            "document.querySelector('[data-wave] > div').shadowRoot"
            f".querySelectorAll('[part~=\"comment-{point.pk}\"]').length === 1"
        )

        # Zooming in and out keeps the playhead in view.
        page.evaluate(f"document.getElementById('player-{self.v2.pk}').currentTime = 11")
        page.locator("body").click(position={"x": 5, "y": 5})
        for key in ["+", "+", "+", "-", "-", "+"]:
            page.keyboard.press(key)
            self.assertTrue(self.playhead_in_view(), f"after {key}")
        self.screenshot("09-zoomed-in-on-the-playhead")

        # ? lists the shortcuts; Esc closes the list.
        page.keyboard.press("?")
        page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
        page.keyboard.press("Escape")
        page.get_by_role("dialog", name="Keyboard shortcuts").wait_for(state="hidden")

    def test_a_coach_comments_at_a_moment_the_student_replies_and_compares(self) -> None:
        page = self.page
        self.switch_user("maya")
        box = self.open_player()
        page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + 40)
        page.get_by_text("Commenting at 0:03").wait_for()
        page.fill(f"#body-{self.v2.pk}", "The snare gets lost here.")
        page.get_by_role("button", name="Comment", exact=True).click()
        page.locator(".thread").get_by_text("The snare gets lost here.").wait_for()
        comment = Comment.objects.get()
        self.assertLess(abs(comment.at_s - 0.3 * self.v2.duration_s), 0.25)

        # The student clicks the coach's marker: the player jumps there.
        self.switch_user("ada")
        self.open_player()
        page.evaluate(f"document.getElementById('player-{self.v2.pk}').currentTime = 0")
        page.locator(f"#markers-{self.v2.pk} .marker").click()
        self.assertLess(abs(self.player_time() - comment.at_s), 0.1)
        page.fill(f"#reply-{comment.pk}", "Brought the snare up 1.5 dB.")
        page.get_by_role("button", name="Reply").click()
        page.locator(".replies").get_by_text("Brought the snare up 1.5 dB.").wait_for()
        self.assertEqual(Comment.objects.get(parent=comment).author, self.student)
        self.screenshot("10-student-replies")

        self.go(f"/bounces/{self.v2.pk}/compare/{self.v1.pk}/")
        for which in "ab":
            page.locator(f"[data-ab-wave={which}][data-ready=live]").wait_for()
        # A click on either waveform moves both versions there.
        wave_b = page.locator("[data-ab-wave=b]").bounding_box()
        page.mouse.click(wave_b["x"] + wave_b["width"] * 0.5, wave_b["y"] + 30)
        positions = page.evaluate(
            "[document.querySelector('[data-ab-a]').currentTime,"
            " document.querySelector('[data-ab-b]').currentTime]"
        )
        for position in positions:
            self.assertLess(abs(position - 0.5 * self.v1.duration_s), 0.1)
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
        self.screenshot("11-ab-compare")

        # A range dragged on one waveform loops while the loop box is ticked.
        wave_a = page.locator("[data-ab-wave=a]").bounding_box()
        page.mouse.move(wave_a["x"] + wave_a["width"] * 0.25, wave_a["y"] + 30)
        page.mouse.down()
        page.mouse.move(wave_a["x"] + wave_a["width"] * 0.4, wave_a["y"] + 30, steps=8)
        page.mouse.up()
        self.assertTrue(page.locator("[data-ab-loop]").is_checked())
        start, end = 0.25 * self.v1.duration_s, 0.4 * self.v1.duration_s
        page.keyboard.press(" ")
        self.wait_until(f"document.querySelector('[data-ab-a]').currentTime > {end - 0.3}")
        self.wait_until(f"document.querySelector('[data-ab-a]').currentTime < {end - 0.6}")
        looped = page.evaluate("document.querySelector('[data-ab-a]').currentTime")
        self.assertGreater(looped, start - 0.25)
