"""Working-day arithmetic for SLAs, with China's statutory holidays and make-up working days.

`chinese_calendar` knows the State Council's holiday arrangements for the years it ships with;
outside them we fall back to Monday-Friday and log a warning once per year, so a stale package
is visible in the logs instead of silently wrong.
"""

import datetime as dt
import logging
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

logger = logging.getLogger(__name__)
_warned_years: set[int] = set()


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    """True on a working day: weekdays that are not holidays, plus make-up working days."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "chinese_calendar has no holiday data for %s; counting Monday-Friday only. "
                "Upgrade the chinesecalendar package.",
                day.year,
            )
        return day.weekday() < 5


def holiday_data_covers(year: int) -> bool:
    """Whether the installed chinese_calendar has the holiday arrangement of `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_zone()).date()


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The deadline `days` working days after `start`: midnight ending the last working day.

    The day of receipt does not count (the usual rule for administrative time limits), so
    something received on Friday afternoon with one working day is due by the end of Monday.
    """
    if days < 1:
        raise ValueError("an SLA is at least one working day")
    day = local_date(start)
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), local_zone())
    return next_midnight


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Working days that ended after `start` up to and including `end`'s day.

    Same rule as add_working_days: the start day does not count, the end day does.
    """
    first, last = local_date(start), local_date(end)
    count = 0
    day = first
    while day < last:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def working_day_cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """The latest moment `days` working days before `now`, in working_days_between's sense.

    `working_days_between(start, now) >= days` exactly when `start < cutoff`, so a query can
    compare a timestamp column with one value instead of counting days row by row.
    """
    day = local_date(now)
    counted = 0
    while counted < days:
        if is_working_day(day):
            counted += 1
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), local_zone())


def working_day_after(day: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `day` (`day` itself for 0)."""
    while days > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def working_day_before(day: dt.date, days: int) -> dt.date:
    """The `days`-th working day before `day` (`day` itself for 0)."""
    while days > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day
