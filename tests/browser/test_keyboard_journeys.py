"""The student's and the coach's key journeys with the keyboard alone, in real Chromium:
every step is Tab to a control and a key press, as a person without a mouse works."""

from __future__ import annotations

import pytest

from coaching.models import Comment, Review, Verdict
from songs import services
from stages.models import Status
from tests.base import CastMixin, add_cast, audio_bytes, store_bounce
from tests.browser.base import BrowserTestCase

pytestmark = pytest.mark.browser

MAX_TABS = 150


class KeyboardJourneyTests(CastMixin, BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        add_cast(self)

    def focused(self, selector: str) -> bool:
        return bool(
            self.page.evaluate(
                "(selector) => Boolean(document.activeElement?.matches(selector))",
                selector,
            )
        )

    def tab_to(self, selector: str) -> None:
        """Press Tab until the control matching `selector` has the focus."""
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Tab")
            if self.focused(selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    def follow(self, selector: str) -> None:
        """Tab to a link (or a button that loads a page) and press Enter on it."""
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")

    def log_in_by_keyboard(self, username: str) -> None:
        self.go("/accounts/login/")
        self.tab_to("#id_username")
        self.page.keyboard.type(username)
        self.page.keyboard.press("Tab")
        self.page.keyboard.type(f"password-{username}")
        self.page.keyboard.press("Enter")
        self.page.wait_for_url(self.base_url + "/")

    def test_a_student_works_a_stage_and_submits_it_without_a_mouse(self) -> None:
        page = self.page
        record = self.record("production")
        record.start()
        self.log_in_by_keyboard("alice")

        # The skip link goes past the navigation; the song's card opens its current stage.
        self.tab_to(".skip-link")
        page.keyboard.press("Enter")
        self.follow(f'a.song-card[href="/songs/{self.song.pk}/stages/production/"]')
        page.get_by_role("heading", name="Music Production", exact=True).wait_for()

        # Tick every core action with Space.
        actions = record.stage.core_actions.count()
        for done in range(1, actions + 1):
            self.tab_to("input[type=checkbox]:not(:checked)")
            page.keyboard.press("Space")
            page.get_by_text(f"{done} of {actions} done").wait_for()

        self.tab_to("#id_journal")
        page.keyboard.type("Saying goodbye without being sad about it.")
        self.tab_to("form[data-autosave] button[type=submit]")
        page.keyboard.press("Enter")
        page.locator("#journal-status").get_by_text("Saved").wait_for()

        self.tab_to("#id_self_balance")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        self.tab_to("form:has(#id_self_balance) button[type=submit]")
        page.keyboard.press("Enter")
        page.locator("#balance-status [data-saved-value='2']").wait_for()

        # Upload a bounce: the file input opens the chooser from the keyboard too.
        # Playwright asks the browser to intercept choosers when the first listener
        # arrives, without waiting for it to take effect: a key pressed at once can beat
        # it on a loaded machine (the chooser then opens unseen). So a listener is there
        # from before the Tabs.
        page.on("filechooser", lambda _: None)
        self.tab_to("input[type=file]")
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Space")
        chooser.value.set_files(
            files=[{"name": "idea.wav", "mimeType": "audio/wav", "buffer": audio_bytes()}]
        )
        self.tab_to("#bounces button[type=submit].button:not(.danger)")
        page.keyboard.press("Enter")
        page.get_by_text("v1 is uploaded").wait_for()

        self.tab_to("form[action$='/submit/'] button")
        page.keyboard.press("Enter")
        page.locator(".status-panel").get_by_text("Submitted for review").wait_for()
        record.refresh_from_db()
        self.assertEqual(record.status, Status.SUBMITTED)
        self.assertEqual(record.self_balance, 2)
        self.assertEqual(record.journal, "Saying goodbye without being sad about it.")
        self.assertEqual(record.bounces.count(), 1)

    def test_a_coach_listens_comments_and_approves_without_a_mouse(self) -> None:
        page = self.page
        record = self.complete(self.started("mixing"))
        bounce = store_bounce(record, audio_bytes("WAV", seconds=6.0))
        services.analyse_bounce(bounce_id=bounce.pk, task_id="keyboard")
        self.log_in_by_keyboard("bob")

        self.follow('nav a[href="/coach/queue/"]')
        self.follow(f'a[href^="/coach/review/{record.pk}/"]')
        page.locator("[data-waveform][data-ready=live]").wait_for()

        # Space plays, C pauses and opens the comment box at the playhead.
        page.keyboard.press("Escape")
        page.keyboard.press("Space")
        self.wait_until(f"document.getElementById('player-{bounce.pk}').currentTime > 1.5")
        page.keyboard.press("c")
        at = page.evaluate(f"document.getElementById('player-{bounce.pk}').currentTime")
        page.keyboard.type("The vocal drops out of the mix here.")
        self.tab_to(f"#comment-form-{bounce.pk} button[type=submit]")
        page.keyboard.press("Enter")
        page.locator(".thread").get_by_text("The vocal drops out of the mix here.").wait_for()
        comment = Comment.objects.get()
        self.assertLess(abs(comment.at_s - at), 0.25)

        # The verdict: all done well, a summary, Approve (Enter picks it), Send.
        self.tab_to("[data-all-done-well]")
        page.keyboard.press("Enter")
        self.tab_to("#id_balance_comment")
        page.keyboard.type("Right between the two.")
        self.tab_to("#id_summary")
        page.keyboard.type("Clean, wide and it moves. Approved.")
        self.tab_to(f"input[name=verdict][value={Verdict.APPROVED}]")
        page.keyboard.press("Enter")
        self.follow(".verdict button.accent[type=submit]")
        review = Review.objects.get()
        self.assertEqual(review.verdict, Verdict.APPROVED)
        self.assertEqual(review.summary, "Clean, wide and it moves. Approved.")
        record.refresh_from_db()
        self.assertEqual(record.status, Status.APPROVED)
