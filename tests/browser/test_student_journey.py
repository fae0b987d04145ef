"""The foundation's key journey, in a real browser: from log-in to the first bounce."""

from __future__ import annotations

import pytest

from coaching.models import Cohort, Membership, Role, User
from songs.models import Bounce, Song
from stages.models import Status
from tests.base import audio_bytes, make_song, store_bounce
from tests.browser.base import BrowserTestCase

pytestmark = pytest.mark.browser


class StudentJourneyTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        cohort = Cohort.objects.create(name="Autumn", course="Foundations")
        self.student = User.objects.create_user(
            username="ada", password="lanterns-at-dusk", first_name="Ada"
        )
        Membership.objects.create(user=self.student, cohort=cohort, role=Role.STUDENT)

    def test_a_student_starts_a_song_and_uploads_the_first_bounce(self) -> None:
        page = self.page
        self.log_in("ada", "lanterns-at-dusk")
        page.get_by_text("Your first song starts here").wait_for()
        self.screenshot("01-board-empty")

        page.get_by_role("link", name="Start a new song").first.click()
        page.fill("#id_title", "Paper Lanterns")
        page.fill("#id_purpose", "A late-summer goodbye to the town I grew up in.")
        page.fill("#id_core_emotion", "bittersweet")
        page.fill("#id_hook", "We let the lanterns go")
        page.fill("#id_tempo_bpm", "92")
        page.select_option("#id_key", "A minor")
        self.screenshot("02-new-song")
        page.get_by_role("button", name="Create song").click()

        page.get_by_role("heading", name="Paper Lanterns").wait_for()
        song = Song.objects.get(title="Paper Lanterns")
        self.assertEqual(song.records.count(), 7)
        self.screenshot("03-song-page")

        page.get_by_role("link", name="Open Music Production").click()
        page.get_by_role("button", name="Start Music Production").click()
        page.get_by_text("Music Production started").wait_for()

        # Tick a core action: saved in place, no page load.
        page.get_by_label("Define the purpose").check()
        page.get_by_text("1 of 3 done").wait_for()
        record = song.records.get(stage__slug="production")
        self.assertEqual([a.title for a in record.completed_actions.all()], ["Define the purpose"])

        # Write in the journal: it saves itself and says so.
        page.fill("#id_journal", "The purpose: saying goodbye without being sad about it.")
        page.locator("#journal-status").get_by_text("Saved").wait_for()
        self.wait_until("!document.querySelector('form[data-autosave]').dataset.dirty")
        record.refresh_from_db()
        self.assertEqual(record.journal, "The purpose: saying goodbye without being sad about it.")

        # Place the balance slider.
        page.locator("#id_self_balance").fill("-2")
        page.locator("#balance-reading").get_by_text("Leaning towards control (-2)").wait_for()
        page.locator("#balance-status").get_by_text("Saved").wait_for()
        record.refresh_from_db()
        self.assertEqual(record.self_balance, -2)

        # Drop a bounce on the drop zone, then upload it.
        page.fill("#id_note", "Voice memo of the chorus idea")
        data = list(audio_bytes("WAV", seconds=3.0))
        page.evaluate(
            """(bytes) => {
                const file = new File(
                    [new Uint8Array(bytes)], "chorus idea.wav", {type: "audio/wav"}
                );
                const transfer = new DataTransfer();
                transfer.items.add(file);
                const zone = document.querySelector("[data-dropzone]");
                zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
            }""",
            data,
        )
        page.get_by_text("chorus idea.wav").wait_for()
        # Watch the progress bar while the upload runs (the swap replaces it afterwards).
        page.evaluate(
            """() => {
                window.progressSeen = [];
                document.body.addEventListener("htmx:xhr:progress", () => {
                    const bar = document.querySelector("progress[data-upload-progress]");
                    window.progressSeen.push(bar.hidden ? -1 : bar.value);
                });
            }"""
        )
        page.get_by_role("button", name="Upload bounce").click()
        page.get_by_text("v1 is uploaded.").wait_for()
        self.assertEqual(max(page.evaluate("window.progressSeen")), 100)
        bounce = Bounce.objects.get(record=record)
        self.assertEqual((bounce.version, bounce.original_name), (1, "chorus idea.wav"))
        page.locator(f"#bounce-{bounce.pk} audio").wait_for()
        self.assertTrue(page.get_by_text("Upload v2").is_visible())
        # The player can actually load the audio it points at.
        duration = page.evaluate(
            """async (id) => {
                const audio = document.querySelector(`#bounce-${id} audio`);
                if (audio.readyState < 1) {
                    await new Promise((ok, fail) => {
                        audio.addEventListener("loadedmetadata", ok, {once: true});
                        audio.addEventListener("error", () => fail(audio.error), {once: true});
                        audio.load();
                    });
                }
                return audio.duration;
            }""",
            bounce.pk,
        )
        self.assertAlmostEqual(duration, 3.0, delta=0.05)
        self.screenshot("04-stage-record-with-v1")

        page.reload()
        page.get_by_text("Voice memo of the chorus idea").wait_for()
        self.assertEqual(record.status, Status.IN_PROGRESS)
        self.assertEqual(self.console_errors, [])

    def test_quick_arrow_keys_on_the_balance_slider_save_the_last_place(self) -> None:
        self.log_in("ada", "lanterns-at-dusk")
        song = make_song(self.student, self.student.cohorts.get(), title="Keys")
        record = song.records.select_related("song__cohort", "stage").get(stage__slug="production")
        record.start()
        record.place_balance(5)
        self.go(f"/songs/{song.pk}/stages/production/")
        slider = self.page.locator("#id_self_balance")
        slider.focus()
        for _ in range(4):
            self.page.keyboard.press("ArrowLeft")
        self.page.locator("#balance-status [data-saved-value='1']").wait_for()
        reading = self.page.locator("#balance-reading").inner_text()
        self.assertEqual(reading.strip(), "Leaning towards chaos (+1)")
        self.assertEqual(slider.input_value(), "1")
        record.refresh_from_db()
        self.assertEqual(record.self_balance, 1)
        self.screenshot("05a-balance-after-quick-keys")

    def test_on_a_phone_the_song_page_opens_its_stages_at_the_current_one(self) -> None:
        song = make_song(self.student, self.student.cohorts.get(), title="Far along")
        song.records.filter(stage__order__lt=6).update(status=Status.APPROVED)
        song.records.filter(stage__order=6).update(status=Status.IN_PROGRESS)
        self.page.set_viewport_size({"width": 390, "height": 844})
        self.log_in("ada", "lanterns-at-dusk")
        self.go(f"/songs/{song.pk}/")
        current = self.page.locator(".timeline .is-current")
        self.assertIn("Mixing", current.inner_text())
        box = current.bounding_box()
        assert box is not None
        self.assertGreaterEqual(box["x"], 0)
        self.assertLessEqual(box["x"] + box["width"], 390)  # in view, not scrolled to
        self.screenshot("05b-song-page-phone-current-stage")

    def test_on_a_phone_the_stage_page_asks_for_the_balance_point_before_the_submit(
        self,
    ) -> None:
        song = make_song(self.student, self.student.cohorts.get(), title="In order")
        song.records.get(stage__slug="production").start()
        self.page.set_viewport_size({"width": 390, "height": 844})
        self.log_in("ada", "lanterns-at-dusk")
        self.go(f"/songs/{song.pk}/stages/production/")
        balance = self.page.locator("#id_self_balance").bounding_box()
        submit = self.page.get_by_role("button", name="Submit for review").bounding_box()
        assert balance is not None and submit is not None
        self.assertLess(balance["y"], submit["y"])
        # And in the order Tab takes, which a phone's order must not contradict.
        order = self.page.evaluate(
            "[...document.querySelectorAll('#id_self_balance, .status-panel button')]"
            ".map(element => element.id || element.textContent.trim())"
        )
        self.assertEqual(order, ["id_self_balance", "Submit for review"])

    def test_an_over_limit_file_is_refused_before_upload(self) -> None:
        with self.settings(BOUNCE_MAX_UPLOAD_BYTES=100_000):
            self.log_in("ada", "lanterns-at-dusk")
            song = make_song(self.student, self.student.cohorts.get(), title="Big")
            record = song.records.get(stage__slug="production")
            record.start()
            self.go(f"/songs/{song.pk}/stages/production/")
            self.page.set_input_files(
                "#id_file",
                {"name": "long.wav", "mimeType": "audio/wav", "buffer": audio_bytes("WAV", 3.0)},
            )
            self.page.get_by_text("This file is over 98 KB, the largest bounce").wait_for()
            posts: list[str] = []
            self.page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
            self.page.get_by_role("button", name="Upload bounce").click()
            # The refusal happens in the click's own handlers: once the page answers a
            # round trip after the click, any upload would already have been sent.
            self.page.evaluate("() => true")
            self.assertEqual(posts, [])
            self.assertFalse(Bounce.objects.exists())
            self.screenshot("05-over-limit-refused")


class EarlierVersionsJourneyTests(BrowserTestCase):
    def test_opening_the_earlier_versions_brings_their_players_and_summaries(self) -> None:
        cohort = Cohort.objects.create(name="Autumn", course="Foundations")
        student = User.objects.create_user(username="ada", password="lanterns-at-dusk")
        Membership.objects.create(user=student, cohort=cohort, role=Role.STUDENT)
        song = make_song(student, cohort, title="Paper Lanterns")
        record = song.records.get(stage__slug="production")
        record.start()
        first, latest = (store_bounce(record, audio_bytes("WAV", 1.0)) for _ in range(2))
        page = self.page
        self.log_in("ada", "lanterns-at-dusk")
        self.go(f"/songs/{song.pk}/stages/production/")
        page.locator(f"#bounce-{latest.pk} audio").wait_for()
        self.assertEqual(page.locator(f"#bounce-{first.pk} audio").count(), 0)

        page.get_by_text("Earlier version (1)").click()
        page.locator(f"#bounce-{first.pk} audio").wait_for()
        row = page.locator(f"#bounce-{first.pk}")
        self.assertTrue(row.get_by_role("link", name="Download").is_visible())
        self.assertTrue(row.get_by_text("No open comments").is_visible())
        self.screenshot("05-stage-record-earlier-versions")
        self.assertEqual(self.console_errors, [])
