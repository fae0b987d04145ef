"""Uploads stream into the bucket: from Django's temporary file on disk, in parts."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any
from unittest import mock

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.test import override_settings

from songs.models import AnalysisState, Bounce
from songs.s3 import MediaS3Storage
from tests.base import audio_bytes, upload_file
from tests.processes import free_port
from tests.storage.base import S3TestCase


class S3UploadTests(S3TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.record_ = self.started("mixing")
        self.url = f"/songs/{self.song.pk}/stages/mixing/bounces/"
        self.client.force_login(self.alice)

    def post(self, data: bytes, name: str = "mix.wav") -> Any:
        return self.client.post(
            self.url, {"file": upload_file(name, data), "request_key": str(uuid.uuid4())}
        )

    def test_an_upload_is_stored_in_the_bucket_and_analysed_from_it(self) -> None:
        data = audio_bytes("FLAC", seconds=3.0)
        # A media folder of this test's own: other tests in this process write to theirs.
        local = Path(tempfile.mkdtemp(prefix="stagecoach-unused-media-"))
        self.addCleanup(shutil.rmtree, local, ignore_errors=True)
        with (
            override_settings(MEDIA_ROOT=str(local)),
            self.captureOnCommitCallbacks(execute=True),
        ):
            response = self.post(data, "mix.flac")
        self.assertEqual(response.status_code, 302)
        bounce = Bounce.objects.get()
        self.assertEqual(self.object_bytes(bounce.file.name), data)
        self.assertEqual(bounce.sha256, hashlib.sha256(data).hexdigest())
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE, bounce.analysis_error)
        self.assertAlmostEqual(bounce.duration_s or 0, 3.0, places=2)
        self.assertEqual(bounce.report["format"], "flac")
        self.assertEqual(self.keys(), {bounce.file.name, bounce.waveform.name, bounce.peaks.name})
        self.assertTrue(bounce.waveform.name.startswith(f"waveforms/{self.song.pk}/"))
        self.assertEqual([p for p in local.rglob("*") if p.is_file()], [], "nothing on disk")

    def test_a_large_upload_goes_to_the_bucket_from_a_file_on_disk_in_parts(self) -> None:
        data = audio_bytes("WAV", seconds=60.0)  # 10.6 MB: over the 8 MB multipart threshold
        self.assertGreater(len(data), 8 * 1024 * 1024)
        saved: list[object] = []
        original = MediaS3Storage._save

        def spy(storage: MediaS3Storage, name: str, content: Any) -> str:
            saved.append(content)
            return str(original(storage, name, content))

        with mock.patch.object(MediaS3Storage, "_save", autospec=True, side_effect=spy):
            response = self.post(data)
        self.assertEqual(response.status_code, 302)
        # Django kept the upload in a temporary file, not in memory, and the store got it
        # from there in parts (a multipart upload's ETag ends in "-<parts>").
        self.assertEqual(len(saved), 1)
        self.assertIsInstance(saved[0], TemporaryUploadedFile)
        bounce = Bounce.objects.get()
        head = self.s3.head_object(Bucket=self.bucket, Key=bounce.file.name)
        self.assertRegex(head["ETag"], r'-\d+"$')
        self.assertEqual(head["ContentLength"], len(data))
        self.assertEqual(
            hashlib.sha256(self.object_bytes(bounce.file.name)).digest(),
            hashlib.sha256(data).digest(),
        )

    def test_a_refused_upload_leaves_nothing_in_the_bucket(self) -> None:
        response = self.post(b"this is not audio at all" * 100, "notes.wav")
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Bounce.objects.exists())
        self.assertEqual(self.keys(), set())

    def test_an_upload_while_the_store_is_away_keeps_the_fields_to_send_again(self) -> None:
        nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        with (
            override_settings(STORAGES=self.storages(nobody, timeout_s=1)),
            self.assertLogs("coaching.middleware", "ERROR"),
        ):
            response = self.client.post(
                self.url,
                {"file": upload_file(), "note": "Vocal up", "request_key": str(uuid.uuid4())},
            )
        self.assertContains(response, "cannot reach its file store", status_code=503)
        self.assertContains(response, 'value="Vocal up"', status_code=503)
        self.assertContains(response, "choose it again", status_code=503)
        self.assertFalse(Bounce.objects.exists())
