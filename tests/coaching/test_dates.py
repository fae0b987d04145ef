"""The dates that parts of pages write in Python read as the templates' date filter writes
them, on the reader's clock."""

from __future__ import annotations

import datetime as dt

from django.test import SimpleTestCase, override_settings
from django.utils import dateformat, timezone

from coaching.dates import day_month, day_month_time, day_month_year

MOMENTS = [
    dt.datetime(2026, 12, 4, 1, 53, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC),  # the next year in Berlin
    dt.datetime(2027, 1, 1, 0, 5, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 9, 7, 0, tzinfo=dt.UTC),
]


class DatesTests(SimpleTestCase):
    def test_moments_read_as_the_date_filter_writes_them_in_the_current_time_zone(self) -> None:
        for zone in ("UTC", "Europe/Berlin", "America/Los_Angeles"):
            with override_settings(TIME_ZONE=zone), timezone.override(zone):
                for moment in MOMENTS:
                    local = timezone.localtime(moment)
                    with self.subTest(zone=zone, moment=moment):
                        self.assertEqual(day_month(moment), dateformat.format(local, "j M"))
                        self.assertEqual(day_month_year(moment), dateformat.format(local, "j M Y"))
                        self.assertEqual(
                            day_month_time(moment), dateformat.format(local, "j M, H:i")
                        )

    def test_a_date_is_a_day_already(self) -> None:
        day = dt.date(2027, 2, 1)
        self.assertEqual(day_month(day), "1 Feb")
        self.assertEqual(day_month_year(day), "1 Feb 2027")
