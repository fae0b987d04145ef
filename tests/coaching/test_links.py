"""A link made for many keys is the link `reverse` gives for each."""

from __future__ import annotations

from django.test import SimpleTestCase
from django.urls import reverse

from coaching.links import KEY, url_maker


class LinksTests(SimpleTestCase):
    def test_each_key_gets_the_link_reverse_gives(self) -> None:
        review = url_maker("coaching:review")
        compare = url_maker("songs:compare", 12)
        record = url_maker("stages:record", KEY, "mixing")
        for key in (1, 42, 999_999_998, 123_456_789_012):
            with self.subTest(key=key):
                self.assertEqual(review(key), reverse("coaching:review", args=[key]))
                self.assertEqual(compare(key), reverse("songs:compare", args=[12, key]))
                self.assertEqual(record(key), reverse("stages:record", args=[key, "mixing"]))
