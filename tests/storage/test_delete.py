"""What deletes stored files, on S3 and on local disk: removing a reference, replacing a
cover, and deleting rows in the admin (a song, a bounce, a person), which takes the files
of every row the deletion cascades to, once it commits."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import TestCase

from coaching import services as coaching
from coaching.models import Comment
from songs import services
from songs.models import Bounce, ReferenceTrack, Song
from songs.release import artwork
from songs.storage import delete_with_files
from tests.base import (
    HTMX,
    BaseTestCase,
    CastMixin,
    audio_bytes,
    make_user,
    store_reference,
    upload_file,
    voice_bytes,
)
from tests.release.base import image_bytes, image_upload
from tests.storage.base import S3TestCase


class SongWithFilesMixin(CastMixin):
    """alice's song with a file of every kind: an analysed bounce (waveform, peaks), a
    reference, a cover with its thumbnail, and a voice note on the bounce."""

    def fill_song(self) -> Bounce:
        assert isinstance(self, TestCase)
        record = self.started("mixing")
        with self.captureOnCommitCallbacks(execute=True):
            bounce = services.upload_bounce(
                record=record, uploaded_by=self.alice, upload=upload_file("mix.wav")
            )
        store_reference(self.song, audio_bytes("FLAC"))
        cover = image_upload("c.png", image_bytes(1400, fmt="PNG"))
        artwork.store(song=self.song, processed=artwork.process(cover))
        coaching.add_comment(
            record=record,
            author=self.bob,
            body="Listen here",
            bounce=bounce,
            at_s=0.5,
            voice_note=SimpleUploadedFile("n.webm", voice_bytes(), "audio/webm"),
        )
        bounce.refresh_from_db()
        return bounce


class S3DeleteTests(SongWithFilesMixin, S3TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.admin = make_user("root", is_staff=True, is_superuser=True)

    def test_the_song_s_files_are_all_in_the_bucket(self) -> None:
        self.fill_song()
        prefixes = {key.split("/", 1)[0] for key in self.keys()}
        self.assertEqual(prefixes, {"bounces", "waveforms", "references", "artwork", "voice"})

    def test_deleting_a_song_in_the_admin_deletes_every_object_it_named(self) -> None:
        self.fill_song()
        self.assertEqual(len(self.keys()), 7)
        self.client.force_login(self.admin)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                f"/admin/songs/song/{self.song.pk}/delete/", {"post": "yes"}
            )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Song.objects.exists())
        self.assertFalse(Comment.objects.exists())
        self.assertEqual(self.keys(), set())

    def test_deleting_selected_bounces_in_the_admin_deletes_their_objects_only(self) -> None:
        bounce = self.fill_song()
        others = self.keys() - {bounce.file.name, bounce.waveform.name, bounce.peaks.name}
        others -= {Comment.objects.get().voice.name}  # the note was on the bounce
        self.client.force_login(self.admin)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                "/admin/songs/bounce/",
                {"action": "delete_selected", "_selected_action": [bounce.pk], "post": "yes"},
            )
        self.assertFalse(Bounce.everything.exists())
        self.assertEqual(self.keys(), others)

    def test_a_person_or_cohort_whose_songs_hold_uploads_is_kept_with_every_object(
        self,
    ) -> None:
        # Uploads are records of who sent them (PROTECT): the admin refuses both deletions.
        self.fill_song()
        before = self.keys()
        self.client.force_login(self.admin)
        for url in (
            f"/admin/coaching/user/{self.alice.pk}/delete/",
            f"/admin/coaching/cohort/{self.cohort.pk}/delete/",
        ):
            with self.captureOnCommitCallbacks(execute=True):
                response = self.client.post(url, {"post": "yes"})
            self.assertContains(response, "would require deleting the following protected")
        self.assertTrue(Song.objects.exists())
        self.assertEqual(self.keys(), before)

    def test_a_deletion_rolled_back_keeps_every_object(self) -> None:
        self.fill_song()
        before = self.keys()
        with self.captureOnCommitCallbacks(execute=True):
            try:
                with transaction.atomic():
                    delete_with_files(Song.objects.filter(pk=self.song.pk))
                    raise RuntimeError("the deletion fails")
            except RuntimeError:
                pass
        self.assertTrue(Song.objects.exists())
        self.assertEqual(self.keys(), before)

    def test_removing_a_reference_deletes_its_objects_once_committed(self) -> None:
        reference = store_reference(self.song, audio_bytes("FLAC", seconds=2.0))
        from songs.references import services as references

        references.analyse_reference(reference_id=reference.pk)
        reference.refresh_from_db()
        self.assertEqual(len(self.keys("references/")), 2)
        self.client.force_login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(f"/references/{reference.pk}/remove/", headers=HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(ReferenceTrack.objects.exists())
        self.assertEqual(self.keys(), set())

    def test_a_new_cover_deletes_the_old_cover_s_objects(self) -> None:
        self.client.force_login(self.alice)
        for size in (1400, 1500):
            with self.captureOnCommitCallbacks(execute=True):
                response = self.client.post(
                    f"/songs/{self.song.pk}/artwork/",
                    {"file": image_upload("cover.jpg", image_bytes(size))},
                    headers=HTMX,
                )
            self.assertEqual(response.status_code, 200)
        song = Song.objects.get(pk=self.song.pk)
        self.assertEqual(self.keys(), {song.artwork.name, song.artwork_thumbnail.name})
        cover = self.client.get(f"/songs/{self.song.pk}/cover/")
        self.assertEqual(b"".join(cover.streaming_content), self.object_bytes(song.artwork.name))


class LocalDiskDeleteTests(SongWithFilesMixin, BaseTestCase):
    def test_deleting_a_song_with_its_files_works_on_local_disk_too(self) -> None:
        bounce = self.fill_song()
        names = [bounce.file.name, bounce.waveform.name, bounce.peaks.name]
        names += [Comment.objects.get().voice.name, Song.objects.get().artwork.name]
        names += [ReferenceTrack.objects.get().file.name]
        for name in names:
            self.assertTrue(default_storage.exists(name), name)
        with self.captureOnCommitCallbacks(execute=True):
            delete_with_files([Song.objects.get(pk=self.song.pk)])
        for name in names:
            self.assertFalse(default_storage.exists(name), name)

    def test_deleting_nothing_deletes_nothing(self) -> None:
        delete_with_files(Song.objects.none())
        delete_with_files([])
        self.assertTrue(Song.objects.exists())
