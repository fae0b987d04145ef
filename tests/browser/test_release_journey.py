"""The student uploads cover artwork on the song page and the release-readiness panel
updates in place (htmx), in real Chromium."""

from __future__ import annotations

import pytest

from coaching.models import Cohort, Membership, Role
from songs.models import Song
from stages.models import StageRecord
from tests.base import audio_bytes, make_song, make_user, store_bounce
from tests.browser.base import BrowserTestCase
from tests.release.base import ISRC, image_bytes, report

pytestmark = pytest.mark.browser


class ReleaseJourneyTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        cohort = Cohort.objects.create(name="Autumn")
        self.student = make_user("ada")
        self.student.set_password("lanterns-at-dusk")
        self.student.save()
        Membership.objects.create(user=self.student, cohort=cohort, role=Role.STUDENT)
        self.song = make_song(self.student, cohort)
        Song.objects.filter(pk=self.song.pk).update(isrc=ISRC)
        # Every stage approved on a good master: only the cover is missing.
        for record in StageRecord.objects.filter(song=self.song).select_related("stage"):
            record.start()
            for action in record.stage.core_actions.all():
                record.set_action_done(action, True)
            record.place_balance(0)
            record.submit()
            if record.stage.slug == "mastering":
                master = store_bounce(record, audio_bytes(), name="master.wav")
                tags = {"title": "Paper Lanterns", "artist": "Ada"}
                master.store_report(report(tags=tags), waveform_name="")
            record.approve()

    def choose(self, name: str, data: bytes) -> None:
        """Put a file in the cover's file input, as the browser's file picker does."""
        self.page.evaluate(
            """([name, bytes]) => {
                const transfer = new DataTransfer();
                transfer.items.add(new File([new Uint8Array(bytes)], name));
                const input = document.getElementById("id_artwork_file");
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", {bubbles: true}));
            }""",
            [name, list(data)],
        )

    def test_uploading_artwork_updates_the_readiness_panel_in_place(self) -> None:
        page = self.page
        self.log_in("ada", "lanterns-at-dusk")
        self.go(f"/songs/{self.song.pk}/")
        panel = page.locator("#release-readiness")
        artwork_item = panel.locator('[data-item="artwork"]')
        self.assertEqual(artwork_item.get_attribute("data-status"), "fail")
        self.assertIn("Not ready: 1 to fix", panel.locator(".ready-badge").inner_text())
        page.locator("#release").scroll_into_view_if_needed()
        self.screenshot("11-release-before-artwork")

        # A TIFF renamed .png is refused in place, and the panel stays as it was.
        self.choose("cover.png", image_bytes(64, fmt="TIFF"))
        page.get_by_role("button", name="Upload cover").click()
        page.locator("#release-artwork .errorlist").get_by_text("This is a TIFF image").wait_for()
        self.assertEqual(artwork_item.get_attribute("data-status"), "fail")
        self.screenshot("12-release-artwork-refused")

        # A real cover: the artwork card and the readiness panel both change, no reload.
        page.evaluate("window.__sameDocument = true")
        self.choose("cover.jpg", image_bytes(3000))
        page.get_by_role("button", name="Upload cover").click()
        page.locator("#release-artwork").get_by_text("New cover saved.").wait_for()
        page.locator('#release-readiness [data-ready="yes"]').wait_for()
        self.assertTrue(page.evaluate("window.__sameDocument === true"))
        panel = page.locator("#release-readiness")
        self.assertEqual(
            panel.locator('[data-item="artwork"]').get_attribute("data-status"), "pass"
        )
        self.assertIn("Ready to release", panel.locator(".ready-badge").inner_text())
        thumbnail = page.locator("#release-artwork img.artwork-thumb")
        self.wait_until(
            "document.querySelector('#release-artwork img.artwork-thumb').naturalWidth > 0"
        )
        self.assertEqual(thumbnail.evaluate("img => img.naturalWidth"), 400)
        page.locator("#release").scroll_into_view_if_needed()
        self.screenshot("13-release-ready-after-artwork")

        page.get_by_role("button", name="Mark as released").click()
        page.wait_for_url(f"{self.base_url}/songs/{self.song.pk}/retrospective/")
        page.fill("#id_worked", "Deciding the hook before recording.")
        page.fill("#id_habit", "Export a rough mix every evening.")
        page.get_by_role("button", name="Save the retrospective").click()
        page.get_by_text("Export a rough mix every evening.").first.wait_for()
        self.screenshot("14-release-retrospective")

        self.go(f"/songs/{self.song.pk}/dossier/")
        page.get_by_role("heading", name="Loudness across versions").wait_for()
        self.screenshot("15-release-dossier")
        # On a phone its wide tables scroll inside themselves; the page never sideways.
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.clientWidth")
        self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), width)
        # The loudness chart keeps a legible size and scrolls inside its card; the balance
        # chart is drawn for the phone, whole, its names no smaller than on a laptop.
        box = page.locator(".history-chart").bounding_box()
        assert box is not None
        self.assertGreaterEqual(box["width"], 600)
        self.assertFalse(page.locator(".balance-chart.wide").is_visible())
        narrow = page.locator(".balance-chart.narrow")
        box = narrow.bounding_box()
        assert box is not None
        self.assertLessEqual(box["x"] + box["width"], width)
        label = narrow.locator(".row-label").first.evaluate(
            "element => element.getBoundingClientRect().height"
        )
        self.assertGreaterEqual(label, 10)  # px: 12 px text drawn at 0.9 and more
        self.screenshot("15-release-dossier-phone")
        page.set_viewport_size({"width": 1280, "height": 900})

        # The next song opens its Vision stage with that habit.
        nxt = make_song(self.student, self.song.cohort, title="Harbour Lights")
        self.go(f"/songs/{nxt.pk}/stages/production/")
        habit = page.locator(".habit-card")
        self.assertIn("Export a rough mix every evening.", habit.inner_text())
        self.screenshot("16-next-song-opens-with-the-habit")
        self.assertEqual(self.console_errors, [])
