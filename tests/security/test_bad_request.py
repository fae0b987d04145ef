"""The project's own 400 page (issue 16): a file name of thousands of characters made
Django's plain "Bad Request" page answer, with no word of what to do."""

from __future__ import annotations

from django.test import override_settings

from songs.models import Bounce
from tests.base import BaseTestCase, audio_bytes

BOUNDARY = "stagecoach-boundary"


def multipart(file_name: str, data: bytes) -> bytes:
    """A form body as a browser sends it; the test client would shorten the file name."""
    return b"".join(
        [
            f"--{BOUNDARY}\r\n".encode(),
            b'Content-Disposition: form-data; name="note"\r\n\r\nFirst take\r\n',
            f"--{BOUNDARY}\r\n".encode(),
            f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'.encode(),
            b"Content-Type: audio/wav\r\n\r\n",
            data,
            f"\r\n--{BOUNDARY}--\r\n".encode(),
        ]
    )


@override_settings(DEBUG=False)
class BadRequestPageTests(BaseTestCase):
    def setUp(self) -> None:
        self.started("recording")
        self.client.force_login(self.alice)
        self.url = f"/songs/{self.song.pk}/stages/recording/bounces/"

    def test_a_file_name_of_4096_characters_gets_our_400_page_saying_what_to_do(self) -> None:
        response = self.client.generic(
            "POST",
            self.url,
            multipart("a" * 4096 + ".wav", audio_bytes()),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )
        self.assertEqual(response.status_code, 400)
        self.assertTemplateUsed(response, "400.html")
        self.assertContains(response, "Rename the file to something shorter", status_code=400)
        self.assertFalse(Bounce.objects.exists())

    def test_any_other_bad_request_gets_our_page_with_a_general_sentence(self) -> None:
        response = self.client.get("/", headers={"host": "evil.example"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "could not read that request", status_code=400)
        self.assertContains(response, "Nothing was saved", status_code=400)

    def test_the_upload_form_tells_the_browser_the_longest_name_and_what_to_say(self) -> None:
        response = self.client.get(f"/songs/{self.song.pk}/stages/recording/")
        self.assertContains(response, 'data-max-name="255"')
        self.assertContains(response, "Rename the file and choose it again.")
