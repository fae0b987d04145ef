"""Days and moments written as the templates' `date` filter writes them ("j M", "j M Y",
"j M, H:i"), for the parts of pages written in Python (a hundred dates through
`dateformat` cost a page more than its queries). A moment is shown on the reader's clock
(the current time zone); a date is a day already."""

from __future__ import annotations

import datetime as dt

from django.utils import dates, timezone


def _local(value: dt.date) -> dt.date:
    return timezone.localtime(value) if isinstance(value, dt.datetime) else value


def _month(value: dt.date) -> str:
    """The month's abbreviation as the `M` format writes it ("Dec")."""
    return str(dates.MONTHS_3[value.month]).title()


def day_month(value: dt.date) -> str:
    """ "4 Dec": `|date:"j M"`."""
    day = _local(value)
    return f"{day.day} {_month(day)}"


def day_month_year(value: dt.date) -> str:
    """ "4 Dec 2026": `|date:"j M Y"`."""
    day = _local(value)
    return f"{day.day} {_month(day)} {day.year:04d}"


def day_month_time(value: dt.datetime) -> str:
    """ "4 Dec, 01:53": `|date:"j M, H:i"`."""
    moment = timezone.localtime(value)
    return f"{moment.day} {_month(moment)}, {moment:%H:%M}"
