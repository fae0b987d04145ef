"""Voice notes: a spoken comment, recorded in the browser, checked by its content, stored
under a generated name and served only to those who see the song."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import av
import numpy as np
import soundfile
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from coaching.models import Cohort, Comment, Notification
from songs.models import Song
from tests.base import HTMX, BaseTestCase, audio_bytes, m4a_bytes, store_bounce, voice_bytes
from tests.world import png


def note(data: bytes | None = None, name: str = "voice-note.webm") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, voice_bytes() if data is None else data, "audio/webm")


def long_wav(seconds: float) -> bytes:
    """A long but small WAV (8 kHz mono, 8-bit): minutes of sound in a few megabytes."""
    buffer = io.BytesIO()
    samples = np.zeros(int(seconds * 8000), dtype=np.float32)
    soundfile.write(buffer, samples, 8000, subtype="PCM_U8", format="WAV")
    return buffer.getvalue()


def webm_with_video() -> bytes:
    """A camera recording: VP8 video and Opus sound in WebM."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as container:
        video = container.add_stream("libvpx", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound = container.add_stream("libopus", rate=48_000, layout="mono")
        for index in range(10):
            picture = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            picture.pts = index
            for packet in video.encode(picture):
                container.mux(packet)
            chunk = av.AudioFrame.from_ndarray(np.zeros((1, 960), np.int16), layout="mono")
            chunk.sample_rate, chunk.pts = 48_000, index * 960
            for packet in sound.encode(chunk):
                container.mux(packet)
        for stream in (video, sound):
            for packet in stream.encode(None):
                container.mux(packet)
    return buffer.getvalue()


class VoiceNoteTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.record_ = self.started("mixing")
        self.bounce = store_bounce(self.record_, audio_bytes("WAV", seconds=4.0))
        self.bounce.duration_s = 4.0
        self.bounce.save(update_fields=["duration_s"])
        self.url = f"/records/{self.record_.pk}/comments/"

    def post(self, user, data, headers=HTMX):
        self.client.force_login(user)
        return self.client.post(self.url, data, headers=headers)

    def on_bounce(self, **extra):
        # The fields as the form sends them, the recording last (as voice.js sends it).
        return {"bounce": self.bounce.pk, "at_s": "1.5", "until_s": "", **extra}

    def stored_notes(self) -> set[str]:
        folder = Path(settings.MEDIA_ROOT) / "voice" / str(self.record_.pk)
        return {entry.name for entry in folder.iterdir()} if folder.exists() else set()


class VoiceNoteTests(VoiceNoteTestCase):
    def test_a_voice_note_without_text_is_stored_with_its_type_duration_and_size(self) -> None:
        response = self.post(self.bob, self.on_bounce(body="", voice=note(name="../../evil.webm")))
        self.assertEqual(response.status_code, 200)
        comment = Comment.objects.get()
        self.assertEqual((comment.body, comment.at_s, comment.bounce), ("", 1.5, self.bounce))
        self.assertEqual(comment.voice_content_type, "audio/webm")
        self.assertAlmostEqual(comment.voice_duration_s, 2.0, delta=0.05)
        self.assertEqual(comment.voice_size_bytes, comment.voice.size)
        # A generated name: nothing of the browser's file name is kept.
        self.assertRegex(comment.voice.name, rf"^voice/{self.record_.pk}/[0-9a-f]{{32}}\.webm$")
        self.assertNotIn("evil", comment.voice.name)
        self.assertContains(response, f'src="/comments/{comment.pk}/voice/"')
        self.assertContains(response, 'preload="none"')
        self.assertContains(response, "Voice note, 0:02")
        self.assertContains(response, 'hx-swap-oob="true"')  # the marker moves in as well

    def test_a_voice_note_with_text_shows_both_in_the_thread(self) -> None:
        response = self.post(self.bob, self.on_bounce(body="Listen from here", voice=note()))
        comment = Comment.objects.get()
        self.assertEqual(comment.body, "Listen from here")
        self.assertContains(response, "Listen from here")
        self.assertContains(response, f"/comments/{comment.pk}/voice/")

    def test_a_range_and_the_blocking_mark_go_with_a_voice_note(self) -> None:
        self.post(self.bob, self.on_bounce(until_s="3.25", blocking="on", voice=note()))
        comment = Comment.objects.get()
        self.assertEqual((comment.at_s, comment.until_s, comment.blocking), (1.5, 3.25, True))

    def test_a_stage_comment_and_a_reply_take_voice_notes(self) -> None:
        response = self.post(self.alice, {"body": "", "voice": note()})
        stage_note = Comment.objects.get()
        self.assertIsNone(stage_note.bounce)
        self.assertTemplateUsed(response, "coaching/_record_comments.html")
        self.assertContains(response, f"/comments/{stage_note.pk}/voice/")
        response = self.post(self.bob, {"body": "", "parent": stage_note.pk, "voice": note()})
        reply = Comment.objects.exclude(pk=stage_note.pk).get()
        self.assertEqual(reply.parent, stage_note)
        self.assertContains(response, f"/comments/{reply.pk}/voice/")

    def test_a_comment_with_neither_text_nor_voice_says_so(self) -> None:
        response = self.post(self.bob, self.on_bounce(body="  "))
        self.assertContains(response, "Write something first.")
        self.assertFalse(Comment.objects.exists())

    def test_each_recording_format_a_browser_makes_is_taken_as_its_type(self) -> None:
        formats = {
            "audio/webm": voice_bytes(),
            "audio/ogg": voice_bytes(fmt="ogg"),
            "audio/mp4": m4a_bytes("aac", 1.0),
            "audio/mpeg": audio_bytes("MP3", 1.0),
            "audio/wav": audio_bytes("WAV", 1.0),
        }
        for content_type, data in formats.items():
            with self.subTest(content_type=content_type):
                # Named and typed wrongly on purpose: the content decides.
                upload = SimpleUploadedFile("note.txt", data, "text/plain")
                self.post(self.bob, self.on_bounce(body=content_type, voice=upload))
                comment = Comment.objects.get(body=content_type)
                self.assertEqual(comment.voice_content_type, content_type)
                self.assertGreater(comment.voice_duration_s, 0.9)
        vorbis = SimpleUploadedFile("note.ogg", audio_bytes("OGG", 1.0))
        self.post(self.bob, self.on_bounce(body="vorbis", voice=vorbis))
        self.assertEqual(Comment.objects.get(body="vorbis").voice_content_type, "audio/ogg")

    def test_the_stored_note_states_its_duration_though_the_recorder_did_not(self) -> None:
        # A recorder's WebM has no duration in it, so a player could not show one; the
        # note is copied into a fresh container that has it.
        with av.open(io.BytesIO(voice_bytes())) as recorded:
            self.assertIsNone(recorded.duration)
        self.post(self.bob, self.on_bounce(voice=note()))
        comment = Comment.objects.get()
        with comment.voice.open("rb") as stored, av.open(stored) as container:
            self.assertAlmostEqual(container.duration / av.time_base, 2.0, delta=0.1)
            self.assertEqual([s.type for s in container.streams], ["audio"])

    def test_the_reader_is_told_a_voice_note_came(self) -> None:
        self.post(self.bob, self.on_bounce(body="", voice=note()))
        message = Notification.objects.get(recipient=self.alice).message
        self.assertIn("a voice note (0:02)", message)

    def test_the_recorder_states_the_limits_set_for_the_server(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(f"/bounces/{self.bounce.pk}/")
        self.assertContains(page, "Record a voice note")
        self.assertContains(page, f'data-max-s="{settings.VOICE_MAX_S}"')
        self.assertContains(page, "(up to 5:00)")
        self.assertContains(page, "The microphone was not allowed")
        with override_settings(VOICE_MAX_S=90, VOICE_MAX_BYTES=2 * 1024 * 1024):
            page = self.client.get(f"/bounces/{self.bounce.pk}/")
        self.assertContains(page, "(up to 1:30)")
        self.assertContains(page, "over 2 MB")


class VoiceNoteLimitsTests(VoiceNoteTestCase):
    def assert_refused_with_text_kept(self, response, reason: str, before: set[str]) -> None:
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, reason)
        self.assertContains(response, "Listen from the chorus")  # the text, to send again
        self.assertContains(response, 'value="1.500"')  # and the moment
        self.assertFalse(Comment.objects.exists())
        self.assertEqual(self.stored_notes(), before, "nothing is stored")

    def test_a_recording_over_the_duration_limit_is_refused_with_the_text_kept(self) -> None:
        before = self.stored_notes()
        data = self.on_bounce(
            at_s="1.500", body="Listen from the chorus", voice=note(voice_bytes(6.0))
        )
        with override_settings(VOICE_MAX_S=3):
            response = self.post(self.bob, data)
        self.assert_refused_with_text_kept(
            response, "This recording is 0:06; voice notes can be up to 0:03.", before
        )

    def test_the_duration_refusal_names_both_lengths(self) -> None:
        before = self.stored_notes()
        data = self.on_bounce(
            at_s="1.500", body="Listen from the chorus", voice=note(long_wav(372))
        )
        response = self.post(self.bob, data)
        self.assert_refused_with_text_kept(
            response, "This recording is 6:12; voice notes can be up to 5:00.", before
        )

    def test_a_recording_over_the_size_limit_is_refused_while_it_streams_in(self) -> None:
        wav = audio_bytes("WAV", 1.0)  # about 172 KB
        # Declared over the limit (refused before a byte is kept), and declared within the
        # room for the form's fields but over the limit once the bytes arrive.
        for limit in (20 * 1024, 150 * 1024):
            with self.subTest(limit=limit), override_settings(VOICE_MAX_BYTES=limit):
                before = self.stored_notes()
                data = self.on_bounce(at_s="1.500", body="Listen from the chorus", voice=note(wav))
                response = self.post(self.bob, data)
                self.assert_refused_with_text_kept(
                    response, f"voice notes can be up to {limit // 1024} KB", before
                )
                self.assertContains(response, "This recording is about")

    def test_a_png_named_webm_is_refused_by_its_content(self) -> None:
        before = self.stored_notes()
        data = self.on_bounce(at_s="1.500", body="Listen from the chorus", voice=note(png(64)))
        response = self.post(self.bob, data)
        self.assert_refused_with_text_kept(response, "This file is not a voice recording", before)

    def test_a_recording_with_video_or_damaged_bytes_is_refused(self) -> None:
        cases = {
            "flac": (audio_bytes("FLAC", 1.0), "This file is not a voice recording"),
            "video": (webm_with_video(), "This file holds video"),
            "garbage": (b"\x1a\x45\xdf\xa3" + os.urandom(4000), "cannot be read"),
            "empty": (b"", "The recording is empty"),
        }
        for name, (data, reason) in cases.items():
            with self.subTest(name):
                response = self.post(self.bob, self.on_bounce(body="x", voice=note(data)))
                self.assertContains(response, reason)
                self.assertFalse(Comment.objects.exists())

    def test_without_htmx_a_refused_note_comes_back_as_a_message(self) -> None:
        with override_settings(VOICE_MAX_S=3):
            response = self.post(
                self.bob, self.on_bounce(body="x", voice=note(voice_bytes(6.0))), headers={}
            )
        self.assertRedirects(response, f"/bounces/{self.bounce.pk}/", fetch_redirect_response=False)
        page = self.client.get(f"/bounces/{self.bounce.pk}/")
        self.assertContains(page, "voice notes can be up to 0:03")


class VoiceNotePermissionsTests(VoiceNoteTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.post(self.bob, self.on_bounce(body="", voice=note()))
        self.comment = Comment.objects.get()
        self.voice_url = f"/comments/{self.comment.pk}/voice/"

    def test_a_voice_note_is_served_only_to_those_who_see_the_song(self) -> None:
        stored = self.comment.voice.read()
        for user in (self.alice, self.bob, self.frank):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                response = self.client.get(self.voice_url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response["Content-Type"], "audio/webm")
                self.assertEqual(response["X-Content-Type-Options"], "nosniff")
                self.assertEqual(response["Content-Security-Policy"], "default-src 'none'; sandbox")
                self.assertEqual(b"".join(response.streaming_content), stored)
        for user in self.other_users():
            with self.subTest(user=user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(self.voice_url).status_code, 404)
        self.client.logout()
        self.assertRedirects(
            self.client.get(self.voice_url), f"/accounts/login/?next={self.voice_url}"
        )

    def test_a_voice_note_answers_range_requests_for_the_player(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.voice_url, headers={"Range": "bytes=0-99"})
        self.assertEqual(response.status_code, 206)
        self.assertEqual(response["Content-Range"], f"bytes 0-99/{self.comment.voice_size_bytes}")
        self.assertEqual(len(b"".join(response.streaming_content)), 100)

    def test_a_comment_without_a_voice_note_has_no_voice_url(self) -> None:
        self.post(self.bob, self.on_bounce(body="Just words"))
        words = Comment.objects.get(body="Just words")
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(f"/comments/{words.pk}/voice/").status_code, 404)

    def test_a_stored_type_that_is_not_ours_is_served_as_plain_bytes(self) -> None:
        Comment.objects.filter(pk=self.comment.pk).update(voice_content_type="text/html")
        self.client.force_login(self.alice)
        response = self.client.get(self.voice_url)
        self.assertEqual(response["Content-Type"], "application/octet-stream")

    def test_an_archived_cohort_refuses_a_voice_note_and_keeps_playing_the_old(self) -> None:
        Cohort.objects.filter(pk=self.cohort.pk).update(archived_at=timezone.now())
        before = self.stored_notes()
        for headers in (HTMX, {}):
            with self.subTest(htmx=bool(headers)):
                response = self.post(
                    self.bob, self.on_bounce(body="More", voice=note()), headers=headers
                )
                self.assertEqual(response.status_code, 403)
                if headers:
                    self.assertEqual(response["HX-Refresh"], "true")
                else:
                    self.assertContains(response, "is archived", status_code=403)
        self.assertEqual(Comment.objects.count(), 1)
        self.assertEqual(self.stored_notes(), before)
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.voice_url).status_code, 200)
        page = self.client.get(f"/bounces/{self.bounce.pk}/")
        self.assertContains(page, self.voice_url)
        self.assertNotContains(page, "Record a voice note")

    def test_a_settled_song_refuses_a_voice_note(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(released_at=timezone.now())
        response = self.post(self.alice, {"body": "", "voice": note()})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(Comment.objects.count(), 1)

    def test_the_stored_name_is_generated_and_unguessable(self) -> None:
        self.post(self.bob, self.on_bounce(body="", voice=note()))
        names = [c.voice.name for c in Comment.objects.all()]
        self.assertEqual(len(set(names)), 2)
        for name in names:
            self.assertTrue(re.fullmatch(rf"voice/{self.record_.pk}/[0-9a-f]{{32}}\.webm", name))
