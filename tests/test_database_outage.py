"""A database that is away for a moment (a restart, a failover) never shows a 500: a page
being read is tried again on a fresh connection, and what still cannot reach the database
gets a 503 with Retry-After that keeps what the user sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.urls import reverse

from tests.base import HTMX, BaseTestCase


@contextmanager
def database_away(failures: int | None) -> Iterator[list[int]]:
    """Every query fails with the error a dropped connection gives, `failures` times (or
    for ever with None); yields the count of refused queries."""
    refused = [0]
    real = CursorWrapper.execute

    def execute(self: CursorWrapper, *args: Any, **kwargs: Any) -> Any:
        if failures is None or refused[0] < failures:
            refused[0] += 1
            raise OperationalError("server closed the connection unexpectedly")
        return real(self, *args, **kwargs)

    with mock.patch.object(CursorWrapper, "execute", execute):
        yield refused


class DatabaseOutageTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.alice)
        # As a browser sees it: the response, not the exception the test client re-raises.
        self.client.raise_request_exception = False
        self.song_url = reverse("songs:detail", args=[self.song.pk])

    def test_a_page_read_during_a_blip_is_answered_from_a_fresh_connection(self) -> None:
        with database_away(failures=3) as refused:
            response = self.client.get(self.song_url)
        self.assertEqual(refused[0], 3, "the page waited for the database to answer again")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, self.song.title)

    def test_a_page_read_while_the_database_stays_away_gets_503_with_retry_after(self) -> None:
        with database_away(failures=None), mock.patch("coaching.middleware.DATABASE_WAIT_S", 0.3):
            response = self.client.get(self.song_url)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], "5")
        self.assertContains(response, "Try again in a moment", status_code=503)
        self.assertContains(response, f'href="{self.song_url}"', status_code=503)

    def test_a_change_is_never_retried_and_its_fields_come_back_to_send_again(self) -> None:
        url = reverse("songs:edit", args=[self.song.pk])
        typed = {"title": "Lanterns & Paper", "purpose": 'A goodbye to a "town".'}
        with database_away(failures=1) as refused:
            response = self.client.post(url, typed)
        self.assertEqual(refused[0], 1, "a POST is not sent twice")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], "5")
        self.assertContains(response, "Nothing you just sent was saved", status_code=503)
        self.assertContains(response, f'action="{url}"', status_code=503)
        self.assertContains(response, 'name="title" value="Lanterns &amp; Paper"', status_code=503)
        self.assertContains(
            response,
            'name="purpose" value="A goodbye to a &quot;town&quot;."',
            status_code=503,
        )
        self.song.refresh_from_db()
        self.assertEqual(self.song.title, "Paper Lanterns")

    def test_an_htmx_change_gets_a_plain_503_and_the_page_keeps_what_was_typed(self) -> None:
        url = reverse("songs:edit", args=[self.song.pk])
        with database_away(failures=None):
            response = self.client.post(url, {"title": "New"}, headers=HTMX)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], "5")
        self.assertIn(b"nothing was saved", response.content)

    def test_an_error_that_is_not_the_connection_is_still_a_500(self) -> None:
        with mock.patch("songs.views.render", side_effect=RuntimeError("a bug")):
            response = self.client.get(self.song_url)
        self.assertEqual(response.status_code, 500)
