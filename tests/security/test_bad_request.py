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


class NulInAnAddressTests(BaseTestCase):
    """PostgreSQL refuses text with a NUL character. Forms refuse it (Django's CharField
    validator); a search or filter in a page's address goes to the database without a
    form, through coaching.http.search_text, so each of those pages answers as if the NUL
    were not there."""

    def test_every_search_and_filter_in_an_address_takes_a_nul(self) -> None:
        self.client.force_login(self.frank)  # a course admin: every page below is theirs
        pages = [
            f"/cohorts/{self.cohort.pk}/?q=al%00ice",
            f"/cohorts/{self.cohort.pk}/progress/?q=al%00ice",
            "/people/tendencies/?q=al%00ice",
            "/coach/queue/?stage=mix%00ing",
        ]
        for url in pages:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)
        found = self.client.get(f"/cohorts/{self.cohort.pk}/progress/?q=al%00ice")
        self.assertEqual({row.student.pk for row in found.context["matrix"].rows}, {self.alice.pk})
