"""The front server in the production shape: nginx (the shipped config, started as compose
starts it) in front of gunicorn. TLS with HSTS, HTTPS seen by Django, the client's own
address for login throttling, protected media through X-Accel-Redirect, the app's upload
limits, timeouts for slow clients and rate limits."""

from __future__ import annotations

import threading
import time

import pytest
from axes.models import AccessAttempt

from songs.release import artwork
from tests.base import audio_bytes, store_bounce
from tests.frontserver.client import MB, send_upload
from tests.frontserver.harness import FrontServerTestCase

pytestmark = [pytest.mark.services]


class TlsTests(FrontServerTestCase):
    def test_pages_come_over_tls_with_exactly_one_hsts_header(self) -> None:
        response, _ = self.session.request("GET", "/accounts/login/")
        self.assertEqual(response.status, 200)  # Django sees HTTPS: no redirect to it
        self.assertEqual(
            response.headers.get_all("Strict-Transport-Security"),
            ["max-age=31536000; includeSubDomains"],
        )
        self.assertIn("Secure", response.headers["Set-Cookie"])

    def test_plain_http_is_sent_to_the_same_path_over_https(self) -> None:
        plain = type(self.session)(self.front.http_base)
        response, _ = plain.request("GET", "/songs/?page=2")
        self.assertEqual(response.status, 301)
        self.assertEqual(response.headers["Location"], self.front.base + "/songs/?page=2")

    def test_a_failed_login_is_counted_for_the_client_and_not_a_forged_address(self) -> None:
        # From 127.0.0.2, so the client's address is not the one gunicorn sees (nginx's).
        self.session.source = "127.0.0.2"
        self.session.request("GET", "/accounts/login/")
        body = (
            "username=ada&password=wrong&csrfmiddlewaretoken=" + self.session.cookies["csrftoken"]
        )
        response, _ = self.session.request(
            "POST",
            "/accounts/login/",
            body.encode(),
            **{
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": "203.0.113.7",
            },
        )
        self.assertEqual(response.status, 200)  # the form again, with its error
        attempt = AccessAttempt.objects.get(username="ada")
        self.assertEqual(attempt.ip_address, "127.0.0.2")


class ProtectedMediaTests(FrontServerTestCase):
    def test_a_permitted_bounce_leaves_through_nginx_with_the_apps_headers(self) -> None:
        data = audio_bytes("WAV", seconds=1.0)
        bounce = store_bounce(self.record, data, name="take.wav")
        self.session.log_in("ada", "password-ada")
        response, body = self.session.request("GET", f"/bounces/{bounce.pk}/audio/")
        self.assertEqual(response.status, 200)
        self.assertEqual(body, data)
        self.assertIsNone(response.headers["X-Accel-Redirect"])
        self.assertEqual(response.headers["Content-Type"], "audio/wav")
        self.assertEqual(response.headers["Cache-Control"], "private, max-age=3600")
        self.assertEqual(response.headers["Content-Security-Policy"], "default-src 'none'; sandbox")
        self.assertEqual(response.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(len(response.headers.get_all("Strict-Transport-Security")), 1)

        ranged, part = self.session.request(
            "GET", f"/bounces/{bounce.pk}/audio/", Range="bytes=0-99"
        )
        self.assertEqual((ranged.status, part), (206, data[:100]))

    def test_the_media_location_cannot_be_asked_for_directly(self) -> None:
        bounce = store_bounce(self.record, audio_bytes("WAV", seconds=1.0), name="take.wav")
        response, _ = self.session.request("GET", "/protected-media/" + bounce.file.name)
        self.assertEqual(response.status, 404)


class UploadLimitTests(FrontServerTestCase):
    def test_an_upload_declaring_more_than_the_apps_limit_gets_413_from_nginx(self) -> None:
        self.session.log_in("ada", "password-ada")
        for path, limit_mb in [
            (self.record_path() + "bounces/", 250),
            (f"/songs/{self.song.pk}/references/", 250),
            (f"/songs/{self.song.pk}/artwork/", 30),
            (f"/records/{self.record.pk}/comments/", 10),
        ]:
            with self.subTest(path=path):
                sock = self.session.open_socket(timeout=30)
                headers = self.session.headers(
                    **{
                        "Content-Type": "multipart/form-data; boundary=x",
                        "Content-Length": str(limit_mb * MB + 65 * 1024),
                    }
                )
                head = f"POST {path} HTTP/1.1\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in headers.items()
                )
                sock.sendall(head.encode() + b"\r\n")  # not a byte of the body
                answer = sock.recv(65536)
                sock.close()
                self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer[:200])
                self.assertIn(b"This upload is too large", answer)
        self.assertNotIn(" 413 ", self.web.output())  # gunicorn never saw them

    def test_a_cover_just_over_the_apps_limit_gets_the_apps_own_message(self) -> None:
        self.session.log_in("ada", "password-ada")
        answer = send_upload(
            self.session,
            f"/songs/{self.song.pk}/artwork/",
            field_name="file",
            file_bytes=artwork.MAX_UPLOAD_BYTES + 16 * 1024,
        )
        self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:300])
        self.assertIn(b"covers can be up to 30 MB", answer)

    def test_a_chunked_cover_over_the_limit_is_cut_off_by_nginx_as_it_arrives(self) -> None:
        self.session.log_in("ada", "password-ada")
        answer = send_upload(
            self.session,
            f"/songs/{self.song.pk}/artwork/",
            field_name="file",
            file_bytes=artwork.MAX_UPLOAD_BYTES + 10 * MB,
            chunked=True,
        )
        self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer[:300])
        self.assertNotIn(" 413 ", self.web.output())

    def test_a_body_within_the_limits_reaches_the_app_through_the_buffer(self) -> None:
        self.session.log_in("ada", "password-ada")
        answer = send_upload(
            self.session,
            f"/songs/{self.song.pk}/artwork/",
            field_name="file",
            file_bytes=1 * MB,
        )
        # Not an image: the app itself read the whole megabyte and said why it refuses it.
        self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:300])
        self.assertIn(b"JPEG or PNG", answer)


class SlowRequestTests(FrontServerTestCase):
    def test_stalled_headers_and_bodies_are_cut_off_within_ten_seconds(self) -> None:
        stalled = {
            "headers": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n",
            "body": b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Length: 1000\r\n\r\nusername=",
        }
        took: dict[str, float] = {}

        def stall(name: str, sent: bytes) -> None:
            sock = self.session.open_socket(timeout=60)
            started = time.monotonic()
            sock.sendall(sent)
            try:
                while sock.recv(4096):
                    pass  # a 408 may come first; the end of the connection is what counts
            except OSError:
                pass
            took[name] = time.monotonic() - started
            sock.close()

        threads = [threading.Thread(target=stall, args=item) for item in stalled.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for name in stalled:
            self.assertLess(took[name], 20, f"a stalled {name} was kept {took[name]:.0f} s")


class RateLimitTests(FrontServerTestCase):
    def test_a_burst_of_login_posts_beyond_twenty_gets_429_with_a_message(self) -> None:
        statuses = []
        for _ in range(30):
            try:
                response, page = self.session.request(
                    "POST",
                    "/accounts/login/",
                    b"username=ada&password=wrong",
                    **{"Content-Type": "application/x-www-form-urlencoded"},
                )
            except OSError:
                continue
            statuses.append(response.status)
            if response.status == 429:
                self.assertIn(b"Too many requests", page)
        self.assertNotIn(429, statuses[:20])
        self.assertIn(429, statuses[20:])
        # Pages are limited separately, and far more loosely.
        response, _ = self.session.request("GET", "/accounts/login/")
        self.assertEqual(response.status, 200)

    def test_a_burst_of_uploads_beyond_thirty_gets_429_from_one_address(self) -> None:
        self.session.source = "127.0.0.3"  # an address of its own: the zones count per address
        statuses = []
        for _ in range(40):
            try:
                response, _ = self.session.request(
                    "POST",
                    self.record_path() + "bounces/",
                    b"--x--\r\n",
                    **{"Content-Type": "multipart/form-data; boundary=x"},
                )
            except OSError:
                continue
            statuses.append(response.status)
        self.assertNotIn(429, statuses[:30])
        self.assertIn(429, statuses[30:])
