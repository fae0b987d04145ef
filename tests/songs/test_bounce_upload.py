from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.test import override_settings

from songs.models import Bounce
from tests.base import HTMX, BaseTestCase, audio_bytes, m4a_bytes, upload_file


def stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


class UploadTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.record_ = self.started("recording")
        self.url = f"/songs/{self.song.pk}/stages/recording/bounces/"
        self.client.force_login(self.alice)

    def post(self, file, note: str = "", key: str | None = None, **kwargs):
        data = {"note": note, "request_key": key or str(uuid.uuid4()), "file": file}
        return self.client.post(self.url, data, **kwargs)


class AcceptedFormatTests(UploadTestCase):
    def test_each_accepted_format_is_recognised_by_its_content(self) -> None:
        cases = [
            ("take.wav", audio_bytes("WAV"), "wav"),
            ("take.aiff", audio_bytes("AIFF"), "aiff"),
            ("take.flac", audio_bytes("FLAC"), "flac"),
            ("take.ogg", audio_bytes("OGG"), "ogg"),
            ("take.mp3", audio_bytes("MP3"), "mp3"),
            ("take.m4a", m4a_bytes("aac"), "m4a"),
            ("take-alac.m4a", m4a_bytes("alac"), "m4a"),
            ("24bit.wav", audio_bytes("WAV", subtype="PCM_24"), "wav"),
            ("float.wav", audio_bytes("WAV", subtype="FLOAT"), "wav"),
        ]
        for version, (name, data, expected) in enumerate(cases, start=1):
            response = self.post(upload_file(name, data))
            self.assertEqual(response.status_code, 302, name)
            bounce = Bounce.objects.get(record=self.record_, version=version)
            self.assertEqual(bounce.audio_format, expected, name)
            self.assertEqual(bounce.original_name, name)
            self.assertEqual(bounce.size_bytes, len(data))

    def test_the_extension_does_not_decide(self) -> None:
        self.post(upload_file("export.mp3", audio_bytes("FLAC")))
        bounce = Bounce.objects.get()
        self.assertEqual(bounce.audio_format, "flac")
        self.assertTrue(bounce.file.name.endswith(".flac"))

    def test_the_stored_name_is_generated_and_the_original_kept_as_data(self) -> None:
        self.post(upload_file("../../etc/passwd\x00.wav"))
        bounce = Bounce.objects.get()
        self.assertEqual(bounce.original_name, "passwd.wav")
        self.assertRegex(bounce.file.name, rf"^bounces/{self.song.pk}/[0-9a-f]{{32}}\.wav$")

    def test_the_checksum_of_the_original_is_kept(self) -> None:
        import hashlib

        data = audio_bytes("WAV")
        self.post(upload_file("a.wav", data))
        self.assertEqual(Bounce.objects.get().sha256, hashlib.sha256(data).hexdigest())
        with Bounce.objects.get().file.open("rb") as handle:
            self.assertEqual(handle.read(), data)


class VersionTests(UploadTestCase):
    def test_uploads_become_v1_v2_with_their_notes(self) -> None:
        self.post(upload_file("a.wav"), note="Guide vocal")
        response = self.post(upload_file("b.wav"), note="Re-recorded verse 2", follow=True)
        self.assertContains(response, "v2 of Recording is uploaded.")
        versions = list(Bounce.objects.order_by("version").values_list("version", "note"))
        self.assertEqual(versions, [(1, "Guide vocal"), (2, "Re-recorded verse 2")])
        self.assertContains(response, "Re-recorded verse 2")
        self.assertContains(response, "Upload v3")

    def test_a_double_submitted_upload_keeps_one_version(self) -> None:
        key = str(uuid.uuid4())
        self.post(upload_file("a.wav"), key=key)
        self.post(upload_file("a.wav"), key=key)
        self.assertEqual(Bounce.objects.count(), 1)

    def test_versions_count_per_stage(self) -> None:
        self.post(upload_file("a.wav"))
        self.complete(self.record_)
        self.record_.approve()
        editing = self.record("editing")
        editing.start()
        self.client.post(
            f"/songs/{self.song.pk}/stages/editing/bounces/",
            {"file": upload_file("b.wav"), "request_key": str(uuid.uuid4())},
        )
        self.assertEqual(Bounce.objects.get(record=editing).version, 1)

    def test_htmx_upload_returns_the_bounces_fragment_with_a_fresh_form(self) -> None:
        response = self.post(upload_file("a.wav"), note="first", headers=HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "songs/_bounces.html")
        self.assertNotContains(response, "<html")
        self.assertContains(response, "v1 is uploaded.")
        self.assertContains(response, "Upload v2")
        self.assertContains(response, f"/bounces/{Bounce.objects.get().pk}/audio/")


class RefusedUploadTests(UploadTestCase):
    def test_a_png_named_wav_is_refused_with_a_reason(self) -> None:
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
        response = self.post(upload_file("cover.wav", png), note="My note")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "is not an audio file Stagecoach can take")
        self.assertContains(response, "My note")
        self.assertFalse(Bounce.objects.exists())

    def test_html_named_mp3_is_refused(self) -> None:
        html = b"<html><script>alert(1)</script></html>" * 20
        response = self.post(upload_file("song.mp3", html), headers=HTMX)
        self.assertContains(response, "not an audio file")
        self.assertFalse(Bounce.objects.exists())

    def test_an_empty_file_is_refused(self) -> None:
        response = self.post(upload_file("empty.wav", b""))
        self.assertContains(response, "empty")
        self.assertFalse(Bounce.objects.exists())

    def test_an_upload_without_a_file_says_so_and_keeps_the_note(self) -> None:
        response = self.client.post(self.url, {"note": "forgot it"})
        self.assertContains(response, "Choose an audio file to upload.")
        self.assertContains(response, "forgot it")

    @override_settings(BOUNCE_MAX_UPLOAD_BYTES=100_000)
    def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(self) -> None:
        before = stored_files()
        data = audio_bytes("WAV", seconds=2.0)
        self.assertGreater(len(data), 100_000)
        response = self.post(upload_file("long.wav", data), note="Long take", headers=HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "bounces can be up to 98 KB")
        self.assertContains(response, "FLAC keeps full quality")  # refused while streaming
        self.assertContains(response, "Long take")
        self.assertFalse(Bounce.objects.exists())
        self.assertEqual(stored_files(), before)

    @override_settings(BOUNCE_MAX_UPLOAD_BYTES=100_000, FILE_UPLOAD_MAX_MEMORY_SIZE=1000)
    def test_a_file_over_the_limit_leaves_no_temporary_file(self) -> None:
        import tempfile

        temp_dir = tempfile.mkdtemp()
        with override_settings(FILE_UPLOAD_TEMP_DIR=temp_dir):
            self.post(upload_file("long.wav", audio_bytes("WAV", seconds=2.0)))
        self.assertEqual(os.listdir(temp_dir), [])
        self.assertFalse(Bounce.objects.exists())

    def test_a_record_under_review_takes_no_uploads(self) -> None:
        self.complete(self.record_)
        response = self.post(upload_file("a.wav"))
        self.assertContains(response, "bounces can be added while a stage is in progress")
        self.assertFalse(Bounce.objects.exists())


class UploadPermissionTests(UploadTestCase):
    def test_nobody_but_the_owner_can_upload(self) -> None:
        for user in [self.bob, self.frank, *self.other_users()]:
            self.client.force_login(user)
            self.assertEqual(self.post(upload_file("a.wav")).status_code, 404, user)
        self.assertFalse(Bounce.objects.exists())

    def test_csrf_is_still_checked(self) -> None:
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(self.alice)
        response = client.post(self.url, {"file": upload_file("a.wav")})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Bounce.objects.exists())

    def test_the_upload_url_refuses_get(self) -> None:
        self.assertEqual(self.client.get(self.url).status_code, 405)
