"""Working days across China's National Day holiday and its make-up working days."""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest

from workgroups.calendar import (
    CalendarMissing,
    add_working_days,
    is_working_day,
    working_days_between,
)

CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _world(reference):
    """The calendar is a table (seeded from the package, entered by staff for new years): the
    tests' world, loaded again when a transactional test has flushed the database before."""


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=CST)


def test_national_day_2025_is_a_holiday_and_its_make_up_days_are_working_days():
    assert not is_working_day(dt.date(2025, 10, 1))
    assert not is_working_day(dt.date(2025, 10, 8))
    assert is_working_day(dt.date(2025, 9, 28))  # a Sunday worked in exchange
    assert is_working_day(dt.date(2025, 10, 11))  # a Saturday worked in exchange
    assert not is_working_day(dt.date(2025, 9, 27))  # an ordinary Saturday


def test_one_working_day_from_friday_lands_on_the_make_up_sunday():
    assert add_working_days(at(2025, 9, 26), 1) == dt.datetime(2025, 9, 29, tzinfo=CST)


def test_the_holiday_week_is_skipped():
    # Received Tuesday 30 September: 1-8 October are holidays, so due end of Thursday 9 Oct.
    assert add_working_days(at(2025, 9, 30), 1) == dt.datetime(2025, 10, 10, tzinfo=CST)
    assert add_working_days(at(2025, 9, 30), 3) == dt.datetime(2025, 10, 12, tzinfo=CST)


def test_the_day_of_receipt_does_not_count_even_late_at_night():
    assert add_working_days(at(2025, 9, 23, 23), 1) == dt.datetime(2025, 9, 25, tzinfo=CST)


def test_working_days_between_counts_the_end_day_not_the_start_day():
    assert working_days_between(at(2025, 9, 30), at(2025, 10, 9)) == 1
    # 28 Sep (make-up Sunday), 29, 30 Sep, 9, 10, 11 Oct (make-up Saturday), 13 Oct.
    assert working_days_between(at(2025, 9, 26), at(2025, 10, 13)) == 7
    assert working_days_between(at(2025, 10, 13), at(2025, 10, 13, 18)) == 0


def test_utc_inputs_are_read_in_china_time():
    # 2025-09-30 17:00 UTC is already 1 October in Zhongshan.
    start = dt.datetime(2025, 9, 30, 17, tzinfo=dt.UTC)
    assert add_working_days(start, 1) == dt.datetime(2025, 10, 10, tzinfo=CST)


def test_a_deadline_in_a_year_without_data_is_refused_not_guessed(caplog):
    with pytest.raises(CalendarMissing) as refused:
        add_working_days(at(2031, 1, 3), 1)
    assert "2031" in refused.value.message
    # Counting days that have passed falls back to Monday-Friday, with a warning in the log.
    with caplog.at_level(logging.WARNING, logger="workgroups.calendar"):
        assert working_days_between(at(2031, 1, 3), at(2031, 1, 6)) == 1
    assert "no data for 2031" in caplog.text


def test_an_sla_is_at_least_one_day():
    with pytest.raises(ValueError):
        add_working_days(at(2025, 9, 30), 0)
