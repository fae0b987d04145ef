"""A reference track in real Chromium: the student attaches a released record on the song
page, watches its analysis arrive by itself, and plays their bounce against it on the
compare page, loudness-matched, switching A/B at the same moment."""

from __future__ import annotations

from unittest import mock

import pytest

from coaching.models import Cohort, Membership, Role
from songs import services
from songs.demo import encode, synthesise
from songs.models import ReferenceTrack
from songs.references import services as references
from stages.models import Status
from tests.analysis.music_signals import tilted
from tests.base import audio_bytes, make_song, make_user, upload_file
from tests.browser.base import ARTIFACTS, BrowserTestCase

pytestmark = pytest.mark.browser

TITLE = "Aurora – Runaway"


class ReferenceJourneyTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        cohort = Cohort.objects.create(name="Autumn")
        self.student = make_user("ada")
        self.student.set_password("lanterns-at-dusk")
        self.student.save()
        Membership.objects.create(user=self.student, cohort=cohort, role=Role.STUDENT)
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
        self.assertEqual(self.bounce.analysis_state, "done")

    def volumes(self) -> dict[str, float]:
        return dict(
            self.page.evaluate(
                """() => {
                    const section = document.querySelector('[data-ab]');
                    return {
                        a: document.querySelector('[data-ab-a]').volume,
                        b: document.querySelector('[data-ab-b]').volume,
                        wantA: parseFloat(section.dataset.volumeA),
                        wantB: parseFloat(section.dataset.volumeB),
                    };
                }"""
            )
        )

    def test_a_student_attaches_a_reference_and_plays_a_bounce_against_it_matched(
        self,
    ) -> None:
        page = self.page
        self.log_in("ada", "lanterns-at-dusk")
        self.go(f"/songs/{self.song.pk}/")
        page.get_by_role("heading", name="Reference tracks").wait_for()

        # Attach a record, 10 dB quieter than the bounce, by dropping it on the drop zone.
        # Its analysis is held back at first, to watch the card pick it up by itself.
        page.fill("#id_reference_title", TITLE)
        # A brighter record (+3 dB per octave), so its tonal curve parts from the bounce's.
        brighter = tilted(synthesise(seconds=12.0, peak_dbfs=-6.0), 3.0, rate=44100)
        record = encode(brighter * 10 ** (-10 / 20), fmt="FLAC", subtype="PCM_16")
        page.evaluate(
            """(bytes) => {
                const file = new File(
                    [new Uint8Array(bytes)], "runaway.flac", {type: "audio/flac"}
                );
                const transfer = new DataTransfer();
                transfer.items.add(file);
                const zone = document.querySelector("#references [data-dropzone]");
                zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
            }""",
            list(record),
        )
        page.locator("#references").get_by_text("runaway.flac").wait_for()
        with mock.patch.object(references, "publish_analysis") as publish:
            page.get_by_role("button", name="Attach reference").click()
            page.get_by_text(f"“{TITLE}” is attached").wait_for()
        publish.assert_called_once()
        reference = ReferenceTrack.objects.get()
        card = page.locator(f"#reference-{reference.pk}")
        card.get_by_text("Queued").first.wait_for()
        self.assertEqual(
            card.locator("audio").get_attribute("controlslist"), "nodownload", "no download"
        )

        # The worker gets to it; the card shows the figures without a reload.
        references.analyse_reference(reference_id=reference.pk)
        reference.refresh_from_db()
        card.get_by_text("Analysed").wait_for()
        card.get_by_text(f"{reference.integrated_lufs:.1f} LUFS").wait_for()
        link = card.get_by_role("link", name="Compare with Mixing v1")
        link.wait_for()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("#references").screenshot(path=str(ARTIFACTS / "reference-card.png"))

        # The compare page: both waveforms drawn from their peaks.
        link.click()
        for which in "ab":
            page.locator(f"[data-ab-wave={which}][data-ready=live]").wait_for()
        volumes = self.volumes()
        self.assertLess(volumes["wantA"], 0.5)  # the louder bounce is turned down
        self.assertEqual(volumes["wantB"], 1.0)
        self.assertAlmostEqual(volumes["a"], volumes["wantA"], places=4)
        self.assertAlmostEqual(volumes["b"], volumes["wantB"], places=4)

        # Play, switch to the record: the same moment, the other one heard, still matched.
        page.get_by_role("button", name="Play").click()
        self.wait_until("document.querySelector('[data-ab-a]').currentTime > 1.5")
        page.get_by_role("button", name=f"B: {TITLE}").click()
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
        volumes = self.volumes()
        self.assertAlmostEqual(volumes["a"], volumes["wantA"], places=4)
        self.assertAlmostEqual(volumes["b"], volumes["wantB"], places=4)
        self.wait_until("document.querySelector('[data-ab-b]').currentTime > 3.0")
        page.keyboard.press("a")
        state = page.evaluate(
            """() => ({
                current: document.querySelector('[data-ab]').dataset.current,
                a: document.querySelector('[data-ab-a]').currentTime,
                b: document.querySelector('[data-ab-b]').currentTime,
            })"""
        )
        self.assertEqual(state["current"], "a")
        self.assertLess(abs(state["a"] - state["b"]), 0.3)
        page.get_by_role("button", name="Pause").click()

        # Both tonal curves: the bounce's and the record's over it, named in the legend.
        chart = page.locator(".tonal-chart").first
        chart.wait_for()
        self.assertGreaterEqual(chart.locator("polyline.curve").count(), 1)
        self.assertGreaterEqual(chart.locator("polyline.overlay").count(), 1)
        self.assertIn(TITLE, chart.locator(".chart-legend").inner_text())
        mix = chart.locator("polyline.curve").first.get_attribute("points")
        overlay = chart.locator("polyline.overlay").first.get_attribute("points")
        self.assertNotEqual(mix, overlay)
        self.screenshot("reference-compare")
