"""What the server hands the bounce page's player: the peaks to draw, the problems the
engine located, each person's colour, the moment asked for in the address, the vendored
library under the page's nonce. (The player itself is driven in Chromium:
tests/browser/test_coaching_journey.py.)"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import soundfile as sf
from django.contrib.staticfiles import finders

from coaching.models import Comment
from songs import services
from songs.models import Bounce
from tests.base import BaseTestCase, audio_bytes, store_bounce

SCRIPTS = [
    "vendor/wavesurfer/8.0.1/wavesurfer.min.js",
    "vendor/wavesurfer/8.0.1/plugins/regions.min.js",
    "vendor/wavesurfer/8.0.1/plugins/hover.min.js",
    "vendor/wavesurfer/8.0.1/plugins/timeline.min.js",
    "vendor/wavesurfer/8.0.1/plugins/minimap.min.js",
    "js/player.js",
]


def clipped_wav(seconds: float = 4.0, clip_from: float = 1.0, clip_to: float = 1.5) -> bytes:
    """A sine at -12 dBFS with a passage driven flat into full scale."""
    rate = 44_100
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.25 * np.sin(2 * np.pi * 220 * t)
    hot = (t >= clip_from) & (t < clip_to)
    signal[hot] = np.clip(signal[hot] * 8, -1.0, 1.0)
    buffer = io.BytesIO()
    sf.write(buffer, np.stack([signal, signal], axis=1), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


class PlayerPageTests(BaseTestCase):
    def analysed(self, data: bytes) -> Bounce:
        bounce = store_bounce(self.started("mixing"), data)
        services.analyse_bounce(bounce_id=bounce.pk, task_id="player")
        return Bounce.objects.get(pk=bounce.pk)

    def test_the_page_points_the_player_at_the_peaks_and_loads_the_library_with_the_nonce(
        self,
    ) -> None:
        bounce = self.analysed(audio_bytes("WAV", seconds=2.0))
        self.client.force_login(self.alice)
        response = self.client.get(f"/bounces/{bounce.pk}/")
        self.assertContains(response, f'data-peaks="/bounces/{bounce.pk}/peaks.json"')
        nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        html = response.content.decode()
        for script in SCRIPTS:
            self.assertIsNotNone(finders.find(script), script)
            self.assertIn(f'src="/static/{script}" defer nonce="{nonce}"', html)
        self.assertIsNotNone(finders.find("vendor/wavesurfer/8.0.1/LICENSE"))
        self.assertContains(response, 'id="shortcuts"')
        # The PNG and the browser's own controls stay for a browser without JavaScript.
        self.assertContains(response, f'src="/bounces/{bounce.pk}/waveform.png"')
        self.assertContains(response, "<audio")

    def test_a_bounce_without_peaks_keeps_the_picture_and_asks_for_none(self) -> None:
        bounce = self.analysed(audio_bytes("WAV", seconds=2.0))
        Bounce.objects.filter(pk=bounce.pk).update(peaks="")
        self.client.force_login(self.alice)
        response = self.client.get(f"/bounces/{bounce.pk}/")
        self.assertNotContains(response, "data-peaks=")
        self.assertContains(response, f'src="/bounces/{bounce.pk}/waveform.png"')

    def test_a_clip_the_engine_located_is_marked_where_it_happened(self) -> None:
        bounce = self.analysed(clipped_wav())
        self.client.force_login(self.bob)
        response = self.client.get(f"/bounces/{bounce.pk}/")
        found = re.search(
            rf'<script id="marks-{bounce.pk}" type="application/json">(.*?)</script>',
            response.content.decode(),
        )
        assert found is not None
        marks = json.loads(found.group(1))
        clips = [mark for mark in marks if mark["label"].startswith("Clipping")]
        self.assertEqual(len(clips), 1, marks)
        self.assertAlmostEqual(clips[0]["start"], 1.0, delta=0.05)
        self.assertAlmostEqual(clips[0]["end"], 1.5, delta=0.05)

    def test_a_clean_bounce_has_no_marks(self) -> None:
        bounce = self.analysed(audio_bytes("WAV", seconds=2.0))
        self.client.force_login(self.alice)
        response = self.client.get(f"/bounces/{bounce.pk}/")
        self.assertContains(response, f'<script id="marks-{bounce.pk}" type="application/json">[]')

    def test_each_person_has_one_colour_and_the_order_they_first_wrote_decides_it(
        self,
    ) -> None:
        bounce = self.analysed(audio_bytes("WAV", seconds=2.0))
        record = bounce.record
        for author, at in [(self.bob, 0.5), (self.alice, 1.0), (self.bob, 1.5)]:
            Comment.objects.create(record=record, bounce=bounce, author=author, body="x", at_s=at)
        self.client.force_login(self.alice)
        html = self.client.get(f"/bounces/{bounce.pk}/").content.decode()
        colours = re.findall(r'class="marker (person-\d)[^"]*"[^>]*data-person="([^"]+)"', html)
        self.assertEqual(
            colours,
            [
                ("person-0", self.bob.display_name),
                ("person-1", self.alice.display_name),
                ("person-0", self.bob.display_name),
            ],
        )
        self.assertRegex(
            html, r'person-dot person-0" aria-hidden="true"></span>' + self.bob.display_name
        )

    def test_a_moment_in_the_address_starts_the_player_there_and_nonsense_is_ignored(
        self,
    ) -> None:
        bounce = self.analysed(audio_bytes("WAV", seconds=2.0))
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/bounces/{bounce.pk}/?at=1.25"), 'data-start="1.250"')
        for value in ["", "abc", "-1", "nan", "inf", "9"]:
            response = self.client.get(f"/bounces/{bounce.pk}/?at={value}")
            self.assertNotContains(response, "data-start=", msg_prefix=value)

    def test_a_bounce_page_links_every_version_and_offers_to_compare_with_the_others(
        self,
    ) -> None:
        first = self.analysed(audio_bytes("WAV", seconds=2.0))
        self.client.force_login(self.alice)
        alone = self.client.get(f"/bounces/{first.pk}/")
        self.assertNotContains(alone, "Compare with")
        second = store_bounce(first.record, audio_bytes("WAV", seconds=2.0), name="v2.wav")
        third = store_bounce(first.record, audio_bytes("WAV", seconds=2.0), name="v3.wav")
        page = self.client.get(f"/bounces/{second.pk}/")
        self.assertContains(
            page,
            f'<a href="/bounces/{first.pk}/" class="version-link">v1</a>'
            f'<a href="/bounces/{second.pk}/" class="version-link here" aria-current="page">v2</a>'
            f'<a href="/bounces/{third.pk}/" class="version-link">v3</a>',
        )
        self.assertContains(
            page,
            f' · Compare with: <a href="/bounces/{second.pk}/compare/{first.pk}/">v1</a>'
            f' <a href="/bounces/{second.pk}/compare/{third.pk}/">v3</a></p>',
        )

    def test_the_compare_page_draws_both_versions(self) -> None:
        first = self.analysed(audio_bytes("WAV", seconds=2.0))
        second = store_bounce(first.record, audio_bytes("FLAC", seconds=2.0), name="v2.flac")
        services.analyse_bounce(bounce_id=second.pk, task_id="player")
        self.client.force_login(self.bob)
        response = self.client.get(f"/bounces/{first.pk}/compare/{second.pk}/")
        self.assertContains(
            response, f'data-ab-wave="a" data-peaks="/bounces/{first.pk}/peaks.json"'
        )
        self.assertContains(
            response, f'data-ab-wave="b" data-peaks="/bounces/{second.pk}/peaks.json"'
        )
        self.assertContains(response, "data-ab-loop")
        self.assertContains(response, f'href="/bounces/{second.pk}/" data-ab-comment-b')
