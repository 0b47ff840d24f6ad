"""Working-day arithmetic for SLAs and clocks, on the one working-day calendar (CalendarDay).

Statutory holidays and make-up working days (调休) change every year: the table is seeded from
the chinese-calendar package for the years it knows, and staff enter each new year's official
arrangement (国务院办公厅 notice) in the staff site or with `manage.py calendar_import`.

A new deadline is never guessed: `add_working_days` refuses to run into a year the table does
not hold (CalendarMissing, a domain error the pages and the API show). Counting days that have
already passed (a clock, the sweep's cut-off) falls back to Monday-Friday for such a year and
logs a warning, so nothing that only reports stops working. The indicators read the same table
in SQL (indicators.services.rollup).
"""

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import CalendarDay

logger = logging.getLogger(__name__)

# A process re-reads a year after this many seconds, so a year staff enter reaches every web
# and worker process within minutes without a restart.
YEAR_CACHE_SECONDS = 300


class CalendarMissing(DomainError):
    """A deadline would fall in a year whose working-day arrangement has not been entered."""

    status_code = 409

    def __init__(self, year: int) -> None:
        super().__init__(
            _(
                "The working-day calendar for %(year)s has not been entered yet, so no deadline "
                "can be set in it. An administrator enters the State Council's holiday "
                "arrangement for %(year)s in the staff site (Working-day calendar)."
            )
            % {"year": year}
        )
        self.year = year


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_zone()).date()


class _Years:
    """Each year's {day: working?} read from the table once per YEAR_CACHE_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._years: dict[int, tuple[float, dict[dt.date, bool]]] = {}
        self._warned: set[int] = set()

    def days(self, year: int) -> dict[dt.date, bool]:
        cached = self._years.get(year)
        if cached is not None and time.monotonic() - cached[0] < YEAR_CACHE_SECONDS:
            return cached[1]
        days = dict(CalendarDay.objects.filter(day__year=year).values_list("day", "is_working_day"))
        with self._lock:
            self._years[year] = (time.monotonic(), days)
        return days

    def warn_once(self, year: int) -> None:
        if year not in self._warned:
            self._warned.add(year)
            logger.warning(
                "The working-day calendar has no data for %s; counting Monday-Friday for days "
                "already passed. Enter the year's arrangement (manage.py calendar_import).",
                year,
            )

    def clear(self) -> None:
        with self._lock:
            self._years.clear()
            self._warned.clear()


_years = _Years()


def forget_cached_years() -> None:
    """Read the table again on next use (after an import, and in tests)."""
    _years.clear()


def year_covered(year: int) -> bool:
    return bool(_years.days(year))


def next_year_missing(today: dt.date) -> int | None:
    """From 1 November, next year if the calendar does not hold it yet (staff are warned)."""
    if today.month >= 11 and not year_covered(today.year + 1):
        return today.year + 1
    return None


def holiday_data_covers(year: int) -> bool:
    """Whether the calendar holds `year` (readiness and metrics ask)."""
    return year_covered(year)


def is_working_day(day: dt.date, *, strict: bool = False) -> bool:
    """True on a working day: weekdays that are not holidays, plus make-up working days.

    For a year the table does not hold: `strict` (a new deadline) raises CalendarMissing,
    otherwise Monday-Friday with a warning logged once per year and process."""
    days = _years.days(day.year)
    if days:
        return days.get(day, day.weekday() < 5)
    if strict:
        raise CalendarMissing(day.year)
    _years.warn_once(day.year)
    return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The deadline `days` working days after `start`: midnight ending the last working day.

    The day of receipt does not count (the usual rule for administrative time limits), so
    something received on Friday afternoon with one working day is due by the end of Monday.
    Refused (CalendarMissing) when it would run into a year the calendar does not hold.
    """
    if days < 1:
        raise ValueError("an SLA is at least one working day")
    day = local_date(start)
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day, strict=True):
            remaining -= 1
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), local_zone())
    return next_midnight


def last_day_of(deadline: dt.datetime) -> dt.date:
    """The last working day of a deadline stamped as the midnight that ends it."""
    return local_date(deadline - dt.timedelta(microseconds=1))


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


# Seeding and entering years.


def package_years() -> list[int]:
    """The years the chinese-calendar package knows."""
    years = []
    for year in range(2004, 2200):
        try:
            chinese_calendar.is_workday(dt.date(year, 1, 2))
        except NotImplementedError:
            break
        years.append(year)
    return years


def package_year(year: int) -> list[tuple[dt.date, bool, str]]:
    """Every day of `year` from the package: (day, working?, holiday or make-up day name)."""
    day, rows = dt.date(year, 1, 1), []
    while day.year == year:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        rows.append((day, not on_holiday, name or ""))
        day += dt.timedelta(days=1)
    return rows


def weekday_year(year: int) -> list[tuple[dt.date, bool, str]]:
    """Every day of `year` by the Monday-Friday rule alone (a provisional year)."""
    day, rows = dt.date(year, 1, 1), []
    while day.year == year:
        rows.append((day, day.weekday() < 5, ""))
        day += dt.timedelta(days=1)
    return rows


def arrangement_year(
    year: int, exceptions: Iterable[tuple[dt.date, bool, str]]
) -> list[tuple[dt.date, bool, str]]:
    """Every day of `year`: Monday-Friday, changed by the notice's holidays and make-up days."""
    changed = {day: (working, name) for day, working, name in exceptions}
    outside = [d for d in changed if d.year != year]
    if outside:
        raise ValueError(f"{outside[0]} is not in {year}")
    return [(day, *changed.get(day, (working, name))) for day, working, name in weekday_year(year)]
