"""A student's storage quota (issue 16): every upload service refuses a file that would take
the student over it, with a sentence saying so, and the board shows what is used."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Callable
from typing import Any
from unittest.mock import patch

from django.db import connection
from django.test import TransactionTestCase, override_settings

from songs import quota, services
from songs.analysis.formats import sniff
from songs.models import Bounce, ReferenceTrack
from songs.references.services import upload_reference
from songs.release import artwork
from songs.services import UploadRejected
from stages.models import StageRecord
from tests.base import (
    HTMX,
    BaseTestCase,
    CastMixin,
    add_cast,
    audio_bytes,
    ensure_stage_catalogue,
    make_song,
    store_bounce,
    store_reference,
    upload_file,
)
from tests.coaching.test_voice_notes import note
from tests.release.base import image_bytes, image_upload
from tests.services import require_service

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


class SimultaneousUploadTests(CastMixin, TransactionTestCase):
    """Two uploads of one student at the same moment, each fitting the quota alone but not
    both: both pass the first check before either is stored (they meet at a barrier just
    after it), and the check in the saving transaction lets only one of them in."""

    def setUp(self) -> None:
        require_service("postgres")
        ensure_stage_catalogue()
        add_cast(self)
        self.size = len(audio_bytes())
        other_song = make_song(self.alice, self.cohort, title="Second song")
        self.records = [
            self.started("recording"),
            self.started("recording", song=other_song),
        ]

    def at_once(self, *uploads: Callable[[], object]) -> list[str]:
        """Run the uploads in threads of their own; what each one answered."""
        barrier = threading.Barrier(len(uploads), timeout=30)

        def sniff_together(fileobj: Any) -> Any:
            barrier.wait()
            return sniff(fileobj)

        answers: list[str] = []

        def run(upload: Callable[[], object]) -> None:
            try:
                upload()
                answers.append("stored")
            except UploadRejected as refused:
                answers.append(str(refused))
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(upload,)) for upload in uploads]
        with (
            patch("songs.services.sniff", sniff_together),
            patch("songs.references.services.sniff", sniff_together),
            override_settings(STUDENT_QUOTA_BYTES=self.size * 3 // 2),
        ):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        return sorted(answers, key=lambda answer: answer != "stored")

    def bounce(self, record: StageRecord) -> Callable[[], object]:
        return lambda: services.upload_bounce(
            record=record, uploaded_by=self.alice, upload=upload_file()
        )

    def test_of_two_bounces_at_once_that_fit_only_alone_one_is_stored(self) -> None:
        answers = self.at_once(self.bounce(self.records[0]), self.bounce(self.records[1]))
        self.assertEqual(answers[0], "stored")
        self.assertIn("does not fit", answers[1])
        self.assertEqual(Bounce.everything.count(), 1)

    def test_a_bounce_and_a_reference_track_at_once_share_the_students_quota(self) -> None:
        song = self.records[1].song
        reference = lambda: upload_reference(  # noqa: E731
            song=song, uploaded_by=self.alice, upload=upload_file("record.wav"), title="A"
        )
        answers = self.at_once(self.bounce(self.records[0]), reference)
        self.assertEqual(answers[0], "stored")
        self.assertIn("does not fit", answers[1])
        self.assertEqual(Bounce.everything.count() + ReferenceTrack.objects.count(), 1)
