"""Permitted files leave the bucket through the permission-checked view, streamed, with
range requests answered by ranged reads of the object (README: Configuration)."""

from __future__ import annotations

from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from coaching import services as coaching
from songs import services
from songs.release import artwork
from songs.s3 import MediaS3Storage
from tests.base import HTMX, audio_bytes, upload_file, voice_bytes
from tests.processes import free_port
from tests.release.base import image_bytes, image_upload
from tests.storage.base import S3TestCase


class S3DownloadTests(S3TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.data = audio_bytes("WAV", seconds=2.0)
        with self.captureOnCommitCallbacks(execute=True):
            self.bounce = services.upload_bounce(
                record=self.started("mixing"),
                uploaded_by=self.alice,
                upload=upload_file("Final mix.wav", self.data),
            )
        self.bounce.refresh_from_db()
        self.audio = f"/bounces/{self.bounce.pk}/audio/"
        self.download = f"/bounces/{self.bounce.pk}/download/"

    def test_the_owner_gets_the_stored_bounce_with_the_media_headers(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.audio)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "audio/wav")
        self.assertEqual(response["Content-Length"], str(len(self.data)))
        self.assertEqual(response["Accept-Ranges"], "bytes")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertIn("sandbox", response["Content-Security-Policy"])
        self.assertEqual(b"".join(response.streaming_content), self.data)

    def test_a_download_is_an_attachment_with_the_original_name(self) -> None:
        self.client.force_login(self.bob)
        response = self.client.get(self.download)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Disposition"].startswith("attachment"))
        self.assertIn("Final mix", response["Content-Disposition"])
        self.assertEqual(b"".join(response.streaming_content), self.data)

    def test_a_range_request_reads_only_that_range_of_the_object(self) -> None:
        self.client.force_login(self.alice)
        size = len(self.data)
        # Opening the object would download all of it; a range must not.
        with mock.patch.object(MediaS3Storage, "_open", side_effect=AssertionError("opened")):
            middle = self.client.get(self.audio, headers={"Range": "bytes=1000-200999"})
            self.assertEqual(middle.status_code, 206)
            self.assertEqual(middle["Content-Range"], f"bytes 1000-200999/{size}")
            self.assertEqual(b"".join(middle.streaming_content), self.data[1000:201000])
            tail = self.client.get(self.audio, headers={"Range": "bytes=-10"})
            self.assertEqual(b"".join(tail.streaming_content), self.data[-10:])
            rest = self.client.get(self.audio, headers={"Range": f"bytes={size - 5}-"})
            self.assertEqual(b"".join(rest.streaming_content), self.data[-5:])
        beyond = self.client.get(self.audio, headers={"Range": f"bytes={size}-"})
        self.assertEqual(beyond.status_code, 416)
        self.assertEqual(beyond["Content-Range"], f"bytes */{size}")

    def test_the_waveform_and_peaks_leave_through_their_views(self) -> None:
        self.client.force_login(self.alice)
        picture = self.client.get(f"/bounces/{self.bounce.pk}/waveform.png")
        self.assertEqual(picture["Content-Type"], "image/png")
        self.assertEqual(
            b"".join(picture.streaming_content), self.object_bytes(self.bounce.waveform.name)
        )
        peaks = self.client.get(f"/bounces/{self.bounce.pk}/peaks.json")
        self.assertEqual(peaks["Content-Type"], "application/json")
        self.assertEqual(
            b"".join(peaks.streaming_content), self.object_bytes(self.bounce.peaks.name)
        )

    def test_other_people_get_404_and_no_bytes(self) -> None:
        for user in self.other_users():
            self.client.force_login(user)
            for url in (self.audio, self.download, f"/bounces/{self.bounce.pk}/peaks.json"):
                self.assertEqual(self.client.get(url).status_code, 404, (user, url))

    def test_a_bounce_whose_object_is_gone_answers_404(self) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=self.bounce.file.name)
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.audio).status_code, 404)

    def test_the_media_views_refuse_post(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.post(self.audio).status_code, 405)

    def test_a_store_out_of_reach_answers_try_again_not_an_error(self) -> None:
        self.client.force_login(self.alice)
        nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        with (
            override_settings(STORAGES=self.storages(nobody, timeout_s=1)),
            self.assertLogs("coaching.middleware", "ERROR"),
        ):
            response = self.client.get(self.audio)
            fragment = self.client.get(self.audio, headers=HTMX)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], "5")
        self.assertContains(response, "cannot reach its file store", status_code=503)
        self.assertContains(fragment, "nothing was saved", status_code=503)
        self.assertEqual(b"".join(self.client.get(self.audio).streaming_content), self.data)

    def test_a_voice_note_and_a_cover_leave_the_bucket_through_their_views(self) -> None:
        comment = coaching.add_comment(
            record=self.bounce.record,
            author=self.bob,
            body="",
            bounce=self.bounce,
            at_s=0.5,
            voice_note=SimpleUploadedFile("n.webm", voice_bytes(), "audio/webm"),
        )
        cover = image_upload("c.jpg", image_bytes(1400))
        artwork.store(song=self.song, processed=artwork.process(cover))
        self.song.refresh_from_db()
        self.client.force_login(self.alice)
        note = self.client.get(f"/comments/{comment.pk}/voice/", headers={"Range": "bytes=0-3"})
        self.assertEqual(note.status_code, 206)
        self.assertEqual(b"".join(note.streaming_content), b"\x1a\x45\xdf\xa3")  # WebM
        for url, stored in (
            (f"/songs/{self.song.pk}/cover/", self.song.artwork),
            (f"/songs/{self.song.pk}/cover/thumbnail/", self.song.artwork_thumbnail),
        ):
            response = self.client.get(url)
            self.assertEqual(response["Content-Type"], "image/jpeg", url)
            self.assertEqual(b"".join(response.streaming_content), self.object_bytes(stored.name))
        self.client.force_login(self.dave)
        self.assertEqual(self.client.get(f"/comments/{comment.pk}/voice/").status_code, 404)
