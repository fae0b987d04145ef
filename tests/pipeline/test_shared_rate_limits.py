"""Rate limits hold across web processes (issue 16): gunicorn's workers count in the one
Redis cache that STAGECOACH_CACHE_URL names, as compose sets it. With memory local to each
worker, three workers would let through up to three times the limit."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.pipeline.harness import ServicesTestCase, production_env
from tests.processes import PrivateRedis, gunicorn

pytestmark = [pytest.mark.services]


def ask_for_reset(base: str, email: str) -> int:
    """One visitor (a fresh cookie jar): the form, then the request; the status answered."""
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    url = base + "/accounts/password_reset/"
    page = opener.open(url, timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token[1], "email": email}).encode()
    request = urllib.request.Request(url, data=body, headers={"Referer": url})
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as answer:
        return int(answer.code)


class SharedRateLimitTests(ServicesTestCase):
    def test_three_gunicorn_workers_share_one_count_in_redis(self) -> None:
        with PrivateRedis() as redis:
            env = production_env(
                STAGECOACH_CACHE_URL=redis.url.replace("/0", "/1"),
                STAGECOACH_RESETS_PER_ADDRESS_PER_HOUR="3",
            )
            server, base = gunicorn(env, workers=3, quiet=True)
            with server:
                answers = [ask_for_reset(base, "ada@example.com") for _ in range(9)]
        self.assertEqual(answers, [302] * 3 + [429] * 6)
