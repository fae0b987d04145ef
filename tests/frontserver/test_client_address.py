"""The client's address behind the front server, as login throttling counts it."""

from __future__ import annotations

from django.test import RequestFactory, SimpleTestCase, override_settings

from coaching.http import client_ip


class ClientAddressTests(SimpleTestCase):
    def ip(self, forwarded: str | None = None) -> str | None:
        extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
        return client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", **extra))

    @override_settings(PROXY_COUNT=0)
    def test_without_a_proxy_the_peer_address_counts_and_the_header_is_ignored(self) -> None:
        self.assertEqual(self.ip("203.0.113.7"), "10.0.0.5")

    @override_settings(PROXY_COUNT=1)
    def test_behind_one_proxy_the_address_it_appended_counts(self) -> None:
        self.assertEqual(self.ip("198.51.100.4"), "198.51.100.4")

    @override_settings(PROXY_COUNT=1)
    def test_an_address_the_client_forged_before_the_proxy_is_ignored(self) -> None:
        self.assertEqual(self.ip("203.0.113.7, 198.51.100.4"), "198.51.100.4")

    @override_settings(PROXY_COUNT=2)
    def test_behind_two_proxies_the_outer_proxys_entry_counts(self) -> None:
        self.assertEqual(self.ip("203.0.113.7, 198.51.100.4, 10.0.0.9"), "198.51.100.4")

    @override_settings(PROXY_COUNT=1)
    def test_a_request_that_bypassed_the_proxy_counts_its_peer_address(self) -> None:
        self.assertEqual(self.ip(), "10.0.0.5")
