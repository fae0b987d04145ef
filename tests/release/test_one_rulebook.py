"""One rulebook for delivery: for every delivery profile and every accepted format and bit
depth, the bounce page's delivery, tags and ISRC checks and the release readiness items say
the same thing about the same master, and both say what the profile asks."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from songs import services
from songs.demo import encode, synthesise
from songs.models import Bounce, DeliveryProfile, Song
from songs.release.readiness import FILE_ITEMS
from tests.base import HTMX, m4a_bytes
from tests.release.base import ReleaseTestCase

# (file name, bytes, what the file is: container, sample rate, bits or None when lossy)
_TONE = synthesise(seconds=1.0, peak_dbfs=-6.0)
_HIGH_RATE = synthesise(seconds=1.0, sample_rate=96_000, peak_dbfs=-6.0)
FILES: list[tuple[str, bytes, tuple[str, int, int | None]]] = [
    *(
        (f"wav-{subtype}.wav", encode(_TONE, fmt="WAV", subtype=subtype), ("wav", 44_100, bits))
        for subtype, bits in (
            ("PCM_16", 16),
            ("PCM_24", 24),
            ("PCM_32", 32),
            ("FLOAT", 32),
            ("DOUBLE", 64),
        )
    ),
    ("wav-96k.wav", encode(_HIGH_RATE, sample_rate=96_000, subtype="PCM_24"), ("wav", 96_000, 24)),
    *(
        (f"aiff-{subtype}.aiff", encode(_TONE, fmt="AIFF", subtype=subtype), ("aiff", 44_100, bits))
        for subtype, bits in (("PCM_16", 16), ("PCM_24", 24))
    ),
    *(
        (f"flac-{subtype}.flac", encode(_TONE, fmt="FLAC", subtype=subtype), ("flac", 44_100, bits))
        for subtype, bits in (("PCM_16", 16), ("PCM_24", 24))
    ),
    (
        "flac-96k.flac",
        encode(_HIGH_RATE, sample_rate=96_000, fmt="FLAC", subtype="PCM_24"),
        ("flac", 96_000, 24),
    ),
    ("ogg.ogg", encode(_TONE, fmt="OGG", subtype="VORBIS"), ("ogg", 44_100, None)),
    ("mp3.mp3", encode(_TONE, fmt="MP3", subtype="MPEG_LAYER_III"), ("mp3", 44_100, None)),
    ("aac.m4a", m4a_bytes("aac"), ("m4a", 44_100, None)),
    ("alac.m4a", m4a_bytes("alac"), ("m4a", 44_100, 16)),
]

# The bounce page's check, and the readiness item showing it.
PAIRS = {
    check_ids[0]: item for item, _, check_ids in FILE_ITEMS if item in {"format", "tags", "isrc"}
}


def statuses(html: str, attribute: str) -> dict[str, str]:
    return dict(re.findall(rf'data-{attribute}="([\w-]+)" data-status="(\w+)"', html))


class OneRulebookTests(ReleaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.mastering = self.approve_all(but="mastering")
        self.mastering.reopen()  # open again, to take uploads
        self.client.force_login(self.alice)

    def upload(self, name: str, data: bytes) -> Bounce:
        with self.captureOnCommitCallbacks(execute=True):
            bounce = services.upload_bounce(
                record=self.mastering,
                uploaded_by=self.alice,
                upload=SimpleUploadedFile(name, data),
            )
        bounce.refresh_from_db()
        self.assertIsNotNone(bounce.analysis, f"{name}: {bounce.analysis_error}")
        return bounce

    def choose(self, profile: DeliveryProfile) -> None:
        response = self.client.post(
            self.song_url("release_details"),
            {"artist_name": "", "isrc": "", "delivery_profile": profile.pk},
        )
        self.assertEqual(response.status_code, 302)

    def test_the_bounce_page_and_readiness_agree_for_every_profile_and_format(self) -> None:
        profiles = list(DeliveryProfile.objects.all())
        self.assertGreaterEqual(len(profiles), 3)
        verdicts: set[str] = set()
        for name, data, (container, rate, bits) in FILES:
            bounce = self.upload(name, data)
            for profile in profiles:
                self.choose(profile)
                with self.subTest(file=name, profile=profile.name):
                    page = self.client.get(f"/bounces/{bounce.pk}/analysis/", headers=HTMX)
                    on_the_page = statuses(page.content.decode(), "check")
                    panel = self.client.get(self.song_url("readiness"), headers=HTMX)
                    in_readiness = statuses(panel.content.decode(), "item")
                    for check_id, item_id in PAIRS.items():
                        self.assertEqual(on_the_page[check_id], in_readiness[item_id], check_id)
                    deliverable = (
                        container in profile.formats
                        and rate >= profile.min_sample_rate_hz
                        and bits is not None
                        and bits >= profile.min_bit_depth
                    )
                    expected = "pass" if deliverable else "fail"
                    self.assertEqual(on_the_page["delivery_format"], expected)
                    verdicts.add(expected)
        self.assertEqual(verdicts, {"pass", "fail"})

    def test_a_title_change_judges_the_master_again_on_both_pages(self) -> None:
        name, data, _ = FILES[0]
        bounce = self.upload(name, data)  # synthesised: no title tag at all
        self.client.post(
            f"/songs/{self.song.pk}/edit/",
            {"title": "Glass Orchard", "purpose": "A goodbye to a town."},
        )
        self.assertEqual(Song.objects.get(pk=self.song.pk).title, "Glass Orchard")
        page = self.client.get(f"/bounces/{bounce.pk}/analysis/", headers=HTMX)
        panel = self.client.get(self.song_url("readiness"), headers=HTMX)
        self.assertContains(page, "it should read “Glass Orchard”")
        self.assertContains(panel, "it should read “Glass Orchard”")
        bounce.refresh_from_db()
        stored = next(c for c in bounce.report["checks"] if c["id"] == "tags")
        self.assertIn("Glass Orchard", stored["message"])
