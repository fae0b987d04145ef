"""Rate limits (issue 16): password-reset e-mails per address and per client, uploads per
person per hour; a limited request gets 429 with Retry-After, a sentence saying when to try
again, and what was typed still in the form (htmx requests too)."""

from __future__ import annotations

import uuid

from django.core import mail
from django.test import override_settings

from songs.models import Bounce, ReferenceTrack
from tests.base import HTMX, BaseTestCase, make_song, upload_file
from tests.release.base import image_bytes, image_upload

RESET_URL = "/accounts/password_reset/"


@override_settings(PASSWORD_RESETS_PER_ADDRESS_PER_HOUR=3, PASSWORD_RESETS_PER_CLIENT_PER_HOUR=20)
class PasswordResetLimitTests(BaseTestCase):
    def ask(self, email: str, ip: str = "203.0.113.7"):
        return self.client.post(RESET_URL, {"email": email}, REMOTE_ADDR=ip)

    def test_twenty_requests_for_one_address_send_three_emails(self) -> None:
        answers = [self.ask("alice@example.com").status_code for _ in range(20)]
        self.assertEqual(len(mail.outbox), 3)
        self.assertEqual(answers[:3], [302, 302, 302])
        self.assertEqual(set(answers[3:]), {429})

    def test_the_limited_answer_says_when_and_keeps_the_address(self) -> None:
        for _ in range(3):
            self.ask("alice@example.com")
        response = self.ask("Alice@Example.com")
        self.assertEqual(response.status_code, 429)
        retry_after = int(response["Retry-After"])
        self.assertTrue(0 < retry_after <= 3600)
        self.assertContains(response, "asked for 3 times this hour", status_code=429)
        self.assertContains(response, 'value="Alice@Example.com"', status_code=429)

    def test_an_address_without_an_account_is_limited_the_same_way(self) -> None:
        for _ in range(3):
            self.ask("nobody@example.com")
        response = self.ask("nobody@example.com")
        self.assertContains(response, "asked for 3 times this hour", status_code=429)

    def test_one_client_is_limited_across_addresses(self) -> None:
        answers = [self.ask(f"person{n}@example.com").status_code for n in range(21)]
        self.assertEqual(answers[:20], [302] * 20)
        self.assertEqual(answers[20], 429)
        self.assertContains(self.ask("alice@example.com"), "this network", status_code=429)
        self.assertEqual(self.ask("alice@example.com", ip="198.51.100.1").status_code, 302)

    def test_another_address_is_not_held_up_by_a_limited_one(self) -> None:
        for _ in range(4):
            self.ask("alice@example.com")
        self.assertEqual(self.ask("carol@example.com").status_code, 302)
        self.assertEqual([m.to for m in mail.outbox].count(["carol@example.com"]), 1)


@override_settings(UPLOADS_PER_HOUR=2)
class UploadLimitTests(BaseTestCase):
    def setUp(self) -> None:
        self.started("recording")
        self.url = f"/songs/{self.song.pk}/stages/recording/bounces/"
        self.client.force_login(self.alice)

    def upload(self, note: str = "", **kwargs):
        data = {"note": note, "request_key": str(uuid.uuid4()), "file": upload_file()}
        return self.client.post(self.url, data, **kwargs)

    def test_uploads_over_the_hourly_limit_get_429_with_retry_after_and_the_note_kept(
        self,
    ) -> None:
        self.upload()
        self.upload()
        response = self.upload(note="Brighter chorus")
        self.assertEqual(response.status_code, 429)
        self.assertTrue(0 < int(response["Retry-After"]) <= 3600)
        self.assertContains(response, "You have uploaded 2 files this hour", status_code=429)
        self.assertContains(response, "Brighter chorus", status_code=429)
        self.assertEqual(Bounce.objects.count(), 2)

    def test_an_htmx_upload_over_the_limit_gets_the_fragment_with_the_message(self) -> None:
        self.upload()
        self.upload()
        response = self.upload(note="Brighter chorus", headers=HTMX)
        self.assertEqual(response.status_code, 429)
        self.assertTemplateUsed(response, "songs/_bounces.html")
        self.assertTemplateNotUsed(response, "base.html")
        self.assertContains(response, "Try again in", status_code=429)

    def test_reference_tracks_and_covers_count_towards_the_same_limit(self) -> None:
        self.upload()
        self.client.post(
            f"/songs/{self.song.pk}/references/",
            {"title": "A record", "file": upload_file("record.wav")},
        )
        self.assertEqual(ReferenceTrack.objects.count(), 1)
        response = self.client.post(
            f"/songs/{self.song.pk}/artwork/",
            {"file": image_upload("cover.png", image_bytes(1400))},
        )
        self.assertContains(response, "You have uploaded 2 files this hour", status_code=429)
        self.song.refresh_from_db()
        self.assertFalse(self.song.artwork)

    def test_each_person_has_their_own_count(self) -> None:
        self.upload()
        self.upload()
        carols = make_song(self.carol, self.cohort, title="Carol's")
        self.started("recording", song=carols)
        self.client.force_login(self.carol)
        response = self.client.post(
            f"/songs/{carols.pk}/stages/recording/bounces/",
            {"note": "", "request_key": str(uuid.uuid4()), "file": upload_file()},
        )
        self.assertEqual(response.status_code, 302)

    @override_settings(UPLOADS_PER_HOUR=0)
    def test_a_limit_of_zero_turns_the_limit_off(self) -> None:
        answers = [self.upload().status_code for _ in range(4)]
        self.assertEqual(answers, [302] * 4)


class RateLimitEdgeTests(BaseTestCase):
    @override_settings(PASSWORD_RESETS_PER_CLIENT_PER_HOUR=1, PROXY_COUNT=1)
    def test_behind_a_proxy_each_client_is_counted_by_the_address_the_proxy_added(
        self,
    ) -> None:
        def ask(email: str, forwarded: str) -> int:
            return self.client.post(
                RESET_URL,
                {"email": email},
                REMOTE_ADDR="10.0.0.1",  # the proxy
                HTTP_X_FORWARDED_FOR=forwarded,
            ).status_code

        self.assertEqual(ask("a@example.com", "203.0.113.1"), 302)
        self.assertEqual(ask("b@example.com", "203.0.113.2"), 302)
        self.assertEqual(ask("c@example.com", "203.0.113.1"), 429)
        # What the client wrote itself, left of the proxy's entry, changes nothing.
        self.assertEqual(ask("d@example.com", "198.51.100.9, 203.0.113.1"), 429)

    @override_settings(PASSWORD_RESETS_PER_CLIENT_PER_HOUR=1)
    def test_without_a_proxy_x_forwarded_for_is_ignored(self) -> None:
        def ask(email: str, forwarded: str) -> int:
            return self.client.post(
                RESET_URL,
                {"email": email},
                REMOTE_ADDR="203.0.113.5",
                HTTP_X_FORWARDED_FOR=forwarded,
            ).status_code

        self.assertEqual(ask("a@example.com", "198.51.100.1"), 302)
        self.assertEqual(ask("b@example.com", "198.51.100.2"), 429)

    def test_a_cache_that_does_not_answer_lets_the_request_through_and_logs(self) -> None:
        from unittest import mock

        with (
            mock.patch("coaching.limits.get_usage", side_effect=ConnectionError("down")),
            self.assertLogs("coaching.limits", "WARNING") as logs,
        ):
            response = self.client.post(RESET_URL, {"email": "alice@example.com"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("the cache did not answer", logs.output[0])
