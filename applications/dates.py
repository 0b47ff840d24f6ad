"""Dates as people read them: a deadline is the last working day on which it is due, written as
a date with its weekday in the reader's language ("2026年12月4日（星期五）", "Fri 4 Dec 2026").

The applicant's tracking page, the staff pages and the messages all go through `due_date` and
`date_text`, so a deadline reads the same wherever it is shown.
"""

from __future__ import annotations

import datetime as dt

from django.utils import dateformat
from django.utils.translation import pgettext

from workgroups.calendar import last_day_of


def date_text(day: dt.date | None) -> str:
    """A day with its weekday, in the active language."""
    if day is None:
        return ""
    # Translators: a Django date format (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date).
    return dateformat.format(day, pgettext("date with weekday", "D j M Y"))


def due_day(deadline: dt.datetime | None) -> dt.date | None:
    """The last working day of a deadline stamped as the midnight that ends it (inclusive)."""
    return last_day_of(deadline) if deadline is not None else None


def due_date(deadline: dt.datetime | None) -> str:
    """A deadline as a date: its last working day, with the weekday."""
    return date_text(due_day(deadline))
