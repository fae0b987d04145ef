"""Voice notes in real Chromium, with its fake microphone: record at a moment of the bounce,
hear it back, send it, and play it in the thread; and what the form says when the browser
cannot record or the microphone is refused, with writing still working."""

from __future__ import annotations

import time
from typing import Any

import pytest

from coaching.models import Cohort, Comment, Membership, Role
from songs import services
from stages.models import Status
from tests.base import audio_bytes, make_song, make_user, upload_file
from tests.browser.base import BrowserTestCase

pytestmark = pytest.mark.browser

# Every Content Security Policy violation the page meets, kept where the test can read it.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
NO_RECORDER = "delete window.MediaRecorder;"
MICROPHONE_REFUSED = """
navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
"""


class VoiceNoteJourneyTests(BrowserTestCase):
    # A fake microphone (a beep), allowed without asking.
    extra_chromium_args = (
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
    )

    def setUp(self) -> None:
        super().setUp()
        cohort = Cohort.objects.create(name="Autumn")
        self.student = make_user("ada")
        self.coach = make_user("maya")
        for user, role in [(self.student, Role.STUDENT), (self.coach, Role.COACH)]:
            user.set_password("lanterns-at-dusk")
            user.save()
            Membership.objects.create(user=user, cohort=cohort, role=role)
        self.song = make_song(self.student, cohort)
        record = self.song.records.get(stage__slug="mixing")
        type(record).objects.filter(pk=record.pk).update(status=Status.IN_PROGRESS)
        record.refresh_from_db()
        # Tasks run in-process here: the bounce is analysed as soon as it commits.
        self.bounce = services.upload_bounce(
            record=record,
            uploaded_by=self.student,
            upload=upload_file("v1.wav", audio_bytes("WAV", seconds=12.0)),
        )
        self.bounce.refresh_from_db()
        self.page.add_init_script(WATCH_CSP)

    def log_in_as(self, username: str) -> None:
        self.log_in(username, "lanterns-at-dusk")

    def violations(self) -> list[Any]:
        return list(self.page.evaluate("window.__cspViolations || []"))

    def assert_clean(self) -> None:
        self.assertEqual(self.violations(), [], "Content Security Policy violations")
        self.assertEqual(self.console_errors, [], "console errors")

    def test_a_coach_records_a_voice_note_at_a_moment_and_it_plays_in_the_thread(self) -> None:
        page = self.page
        self.log_in_as("maya")
        self.go(f"/bounces/{self.bounce.pk}/")
        page.locator("[data-waveform][data-ready=live]").wait_for()
        wave = page.locator("[data-wave]").bounding_box()
        assert wave is not None
        page.mouse.click(wave["x"] + wave["width"] * 0.3, wave["y"] + 40)
        page.get_by_text("Commenting at 0:03").wait_for()

        form = page.locator(f"#comment-form-{self.bounce.pk}")
        recorder = form.locator("[data-voice]")
        recorder.locator("[data-voice-start]").click()
        recorder.locator("[data-voice-recording]").wait_for()
        started = time.monotonic()
        recorder.locator("[data-voice-elapsed]", has_text="0:02").wait_for()
        recorder.locator("[data-voice-stop]").click()
        recorded_s = time.monotonic() - started
        self.screenshot("voice-01-recording-stopped")

        # Heard back before it is sent, from the browser's own copy.
        recorder.locator("[data-voice-preview]").wait_for()
        preview = recorder.locator("[data-voice-playback]")
        self.assertTrue(str(preview.get_attribute("src")).startswith("blob:"))
        recorder.locator("[data-voice-send]").click()

        note = page.locator(".thread .voice-note audio")
        note.wait_for()
        comment = Comment.objects.get()
        self.assertEqual((comment.author, comment.body), (self.coach, ""))
        self.assertLess(abs(comment.at_s - 0.3 * self.bounce.duration_s), 0.25)
        self.assertEqual(comment.voice_content_type, "audio/webm")
        assert comment.voice_duration_s is not None
        self.assertLess(abs(comment.voice_duration_s - recorded_s), 0.5)
        self.assertEqual(note.get_attribute("preload"), "none")
        self.assertEqual(note.get_attribute("src"), f"/comments/{comment.pk}/voice/")
        # The new form's recorder is ready for the next note.
        form.locator("[data-voice][data-state=idle]").wait_for()

        # It plays, and the player knows how long it is.
        note.evaluate("audio => audio.play()")
        self.wait_until("document.querySelector('.thread .voice-note audio').currentTime > 0.5")
        duration = float(note.evaluate("audio => audio.duration"))
        self.assertLess(abs(duration - recorded_s), 0.5)
        self.screenshot("voice-02-note-in-the-thread")
        self.assert_clean()

    def test_a_student_records_a_note_on_the_stage_and_discards_one(self) -> None:
        page = self.page
        self.log_in_as("ada")
        self.go(f"/songs/{self.song.pk}/stages/mixing/")
        recorder = page.locator("#record-comments [data-voice]")
        recorder.locator("[data-voice-start]").click()
        recorder.locator("[data-voice-elapsed]", has_text="0:01").wait_for()
        recorder.locator("[data-voice-stop]").click()
        recorder.locator("[data-voice-discard]").click()
        recorder.locator("[data-voice-start]").wait_for()
        self.assertFalse(Comment.objects.exists())

        page.fill(f"#record-body-{self.song.records.get(stage__slug='mixing').pk}", "Sung it.")
        recorder.locator("[data-voice-start]").click()
        recorder.locator("[data-voice-elapsed]", has_text="0:01").wait_for()
        recorder.locator("[data-voice-stop]").click()
        recorder.locator("[data-voice-send]").click()
        page.locator("#record-comments .thread .voice-note audio").wait_for()
        comment = Comment.objects.get()
        self.assertEqual((comment.body, comment.bounce), ("Sung it.", None))
        page.locator("#record-comments .thread").get_by_text("Sung it.").wait_for()
        self.assert_clean()

    def test_without_a_recorder_the_form_explains_and_writing_still_works(self) -> None:
        page = self.page
        page.add_init_script(NO_RECORDER)
        self.log_in_as("maya")
        self.go(f"/bounces/{self.bounce.pk}/")
        form = page.locator(f"#comment-form-{self.bounce.pk}")
        form.get_by_text("This browser cannot record here").wait_for()
        self.assertFalse(form.locator("[data-voice-start]").is_visible())
        page.fill(f"#body-{self.bounce.pk}", "Written, not spoken.")
        form.get_by_role("button", name="Comment", exact=True).click()
        page.locator(".thread").get_by_text("Written, not spoken.").wait_for()
        self.assertEqual(Comment.objects.get().body, "Written, not spoken.")
        self.assert_clean()

    def test_a_refused_microphone_is_explained_and_writing_still_works(self) -> None:
        page = self.page
        page.add_init_script(MICROPHONE_REFUSED)
        self.log_in_as("maya")
        self.go(f"/bounces/{self.bounce.pk}/")
        form = page.locator(f"#comment-form-{self.bounce.pk}")
        form.locator("[data-voice-start]").click()
        form.get_by_text("The microphone was not allowed, so nothing was recorded.").wait_for()
        self.assertTrue(form.locator("[data-voice-start]").is_visible())
        page.fill(f"#body-{self.bounce.pk}", "Typed instead.")
        form.get_by_role("button", name="Comment", exact=True).click()
        page.locator(".thread").get_by_text("Typed instead.").wait_for()
        self.assertFalse(Comment.objects.exclude(voice="").exists())
        self.assert_clean()
