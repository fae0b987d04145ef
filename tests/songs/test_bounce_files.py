from __future__ import annotations

import json

from django.test import override_settings

from songs import services
from tests.base import BaseTestCase, audio_bytes, make_user, store_bounce, upload_file


class BounceFileTests(BaseTestCase):
    def setUp(self) -> None:
        record = self.started("recording")
        self.data = audio_bytes("WAV")
        self.bounce = services.upload_bounce(
            record=record,
            uploaded_by=self.alice,
            upload=upload_file("Take 1 <final>.wav", self.data),
        )
        self.audio = f"/bounces/{self.bounce.pk}/audio/"
        self.download = f"/bounces/{self.bounce.pk}/download/"

    def test_the_owner_plays_it_inline_as_audio(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.audio)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "audio/wav")
        self.assertTrue(response["Content-Disposition"].startswith("inline"))
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertIn("sandbox", response["Content-Security-Policy"])
        self.assertEqual(b"".join(response.streaming_content), self.data)

    def test_download_is_an_attachment_with_the_original_name(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.download)
        self.assertTrue(response["Content-Disposition"].startswith("attachment"))
        self.assertIn("Take 1", response["Content-Disposition"])

    def test_a_range_request_gets_part_of_the_file(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.audio, headers={"Range": "bytes=100-199"})
        self.assertEqual(response.status_code, 206)
        self.assertEqual(response["Content-Range"], f"bytes 100-199/{len(self.data)}")
        self.assertEqual(b"".join(response.streaming_content), self.data[100:200])
        tail = self.client.get(self.audio, headers={"Range": "bytes=-10"})
        self.assertEqual(b"".join(tail.streaming_content), self.data[-10:])
        beyond = self.client.get(self.audio, headers={"Range": f"bytes={len(self.data)}-"})
        self.assertEqual(beyond.status_code, 416)

    def test_the_coach_and_course_admin_may_listen(self) -> None:
        for user in [self.bob, self.frank]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.audio).status_code, 200, user)

    def test_other_users_get_404_for_the_audio_and_download(self) -> None:
        for user in [*self.other_users(), make_user("visitor")]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.audio).status_code, 404, user)
            self.assertEqual(self.client.get(self.download).status_code, 404, user)

    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        self.assertEqual(self.client.get(self.audio).status_code, 302)

    def test_a_missing_stored_file_is_404_not_500(self) -> None:
        self.bounce.file.storage.delete(self.bounce.file.name)
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.audio).status_code, 404)

    @override_settings(MEDIA_SERVE="x-accel-redirect", MEDIA_ACCEL_PREFIX="/protected/")
    def test_nginx_can_send_the_bytes(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.audio)
        self.assertEqual(response["X-Accel-Redirect"], "/protected/" + self.bounce.file.name)
        self.assertEqual(response.content, b"")

    def test_posting_to_a_bounce_file_is_refused(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.post(self.audio).status_code, 405)

    def test_media_is_not_published_under_a_url(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get("/media/" + self.bounce.file.name).status_code, 404)


class PeaksTests(BaseTestCase):
    def test_the_peaks_are_served_to_those_who_see_the_song_and_nobody_else(self) -> None:
        bounce = store_bounce(self.started("mixing"), audio_bytes("WAV", seconds=2.0))
        services.analyse_bounce(bounce_id=bounce.pk, task_id="peaks")
        url = f"/bounces/{bounce.pk}/peaks.json"
        self.client.force_login(self.bob)
        response = self.client.get(url)
        self.assertEqual(response["Content-Type"], "application/json")
        data = json.loads(b"".join(response.streaming_content))
        self.assertAlmostEqual(data["duration_s"], 2.0, places=2)
        self.assertEqual(len(data["levels"]), 2)
        for user in self.other_users():
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).status_code, 404, user)
