"""A student's storage quota (issue 16): every upload service refuses a file that would take
the student over it, with a sentence saying so, and the board shows what is used."""

from __future__ import annotations

import io
import uuid

from django.test import override_settings

from songs import quota
from songs.models import Bounce, ReferenceTrack
from songs.release import artwork
from tests.base import HTMX, BaseTestCase, audio_bytes, store_bounce, store_reference, upload_file
from tests.coaching.test_voice_notes import note
from tests.release.base import image_bytes, image_upload

KB = 1024


class StorageUsedTests(BaseTestCase):
    def test_used_storage_adds_bounces_references_covers_and_own_voice_notes(self) -> None:
        record = self.started("recording")
        bounce = store_bounce(record, audio_bytes())
        hidden = store_bounce(record, audio_bytes("FLAC"))
        hidden.hide(by=self.alice)
        reference = store_reference(self.song, audio_bytes("OGG"))
        artwork.store(song=self.song, processed=artwork.process(io.BytesIO(image_bytes(1400))))
        self.song.refresh_from_db()
        self.client.force_login(self.alice)
        self.client.post(
            f"/records/{record.pk}/comments/", {"body": "", "voice": note()}, headers=HTMX
        )
        self.client.force_login(self.bob)
        self.client.post(
            f"/records/{record.pk}/comments/", {"body": "", "voice": note()}, headers=HTMX
        )
        own_notes = sum(c.voice_size_bytes or 0 for c in self.alice.comments.all())
        self.assertGreater(own_notes, 0)
        expected = (
            bounce.size_bytes
            + hidden.size_bytes
            + reference.size_bytes
            + (self.song.artwork_size_bytes or 0)
            + own_notes
        )
        self.assertEqual(quota.used_bytes(self.alice), expected)

    def test_used_storage_is_one_query(self) -> None:
        store_bounce(self.started("recording"), audio_bytes())
        with self.assertNumQueries(1):
            quota.used_bytes(self.alice)


class QuotaRefusalTests(BaseTestCase):
    def setUp(self) -> None:
        self.record_ = self.started("recording")
        self.client.force_login(self.alice)
        self.size = len(audio_bytes())

    def upload(self, note: str = "Second take"):
        return self.client.post(
            f"/songs/{self.song.pk}/stages/recording/bounces/",
            {"note": note, "request_key": str(uuid.uuid4()), "file": upload_file()},
        )

    def test_a_bounce_over_the_quota_is_refused_with_a_message_and_nothing_is_stored(
        self,
    ) -> None:
        with override_settings(STUDENT_QUOTA_BYTES=self.size * 2 - 1):
            self.assertEqual(self.upload().status_code, 302)
            response = self.upload(note="Third take")
        self.assertContains(response, "does not fit")
        self.assertContains(response, "of storage are in use (")
        self.assertContains(response, "left), so it does not fit")
        self.assertContains(response, "Third take")
        self.assertEqual(Bounce.objects.count(), 1)

    def test_a_bounce_that_fits_exactly_is_taken(self) -> None:
        with override_settings(STUDENT_QUOTA_BYTES=self.size * 2):
            self.upload()
            self.assertEqual(self.upload().status_code, 302)
        self.assertEqual(Bounce.objects.count(), 2)

    def test_a_reference_track_over_the_quota_is_refused(self) -> None:
        with override_settings(STUDENT_QUOTA_BYTES=self.size - 1):
            response = self.client.post(
                f"/songs/{self.song.pk}/references/",
                {"title": "A record", "file": upload_file("record.wav")},
            )
        self.assertContains(response, "does not fit")
        self.assertFalse(ReferenceTrack.objects.exists())

    def test_a_cover_over_the_quota_is_refused(self) -> None:
        store_bounce(self.record_, audio_bytes())
        with override_settings(STUDENT_QUOTA_BYTES=self.size + KB):
            response = self.client.post(
                f"/songs/{self.song.pk}/artwork/",
                {"file": image_upload("cover.png", image_bytes(1400))},
            )
        self.assertContains(response, "does not fit")
        self.song.refresh_from_db()
        self.assertFalse(self.song.artwork)

    def test_a_students_voice_note_over_the_quota_is_refused_but_a_coachs_is_not(self) -> None:
        store_bounce(self.record_, audio_bytes())
        url = f"/records/{self.record_.pk}/comments/"
        with override_settings(STUDENT_QUOTA_BYTES=self.size):
            response = self.client.post(url, {"body": "Listen", "voice": note()}, headers=HTMX)
            self.assertContains(response, "does not fit")
            self.assertFalse(self.alice.comments.exists())
            self.client.force_login(self.bob)
            self.client.post(url, {"body": "", "voice": note()}, headers=HTMX)
        self.assertTrue(self.bob.comments.filter(voice_size_bytes__gt=0).exists())

    @override_settings(STUDENT_QUOTA_BYTES=0)
    def test_a_quota_of_zero_means_no_quota(self) -> None:
        self.assertEqual(self.upload().status_code, 302)


class QuotaDisplayTests(BaseTestCase):
    @override_settings(STUDENT_QUOTA_BYTES=10 * 1024 * 1024)
    def test_the_board_shows_what_the_student_has_stored_of_their_quota(self) -> None:
        store_bounce(self.started("recording"), b"RIFF" + b"\0" * (1024 * 1024 - 4))
        self.client.force_login(self.alice)
        response = self.client.get("/")
        self.assertContains(response, "Your storage")
        self.assertContains(response, "<strong>1.0 MB</strong> of 10.0 MB used (10%)", html=False)
        self.assertContains(response, 'max="10485760"')

    def test_a_coach_without_songs_sees_no_storage(self) -> None:
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get("/"), "Your storage")
