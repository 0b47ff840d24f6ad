"""One working-day calendar, in a table: new years entered from the State Council's notice, a
missing year refused for new deadlines, Python and SQL reading the same days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation

from applications.constants import ServiceStatus
from applications.services import service_application_transition
from indicators.services.rollup import _CALENDAR
from tests.error_summary import assert_error_summary
from tests.factories import make_service, staff_of
from workgroups.calendar import (
    CalendarMissing,
    add_working_days,
    forget_cached_years,
    is_working_day,
    last_day_of,
    working_days_between,
)
from workgroups.models import CalendarDay, CalendarSource, SlaPolicy
from workgroups.services import calendar_notice_parse, calendar_year_enter

CST = ZoneInfo("Asia/Shanghai")
# A made-up 2027 arrangement (the real notice was not out when this was written): New Year's
# Day, and a Spring Festival week with a make-up Saturday.
NOTICE_2027 = """date,working,name
2027-01-01,0,元旦
2027-02-05,0,春节
2027-02-08,0,春节
2027-02-09,0,春节
2027-02-10,0,春节
2027-02-11,0,春节
2027-02-13,1,春节调休
"""


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=CST)


def enter_2027(text=NOTICE_2027):
    return calendar_year_enter(
        actor=None, year=2027, exceptions=calendar_notice_parse(text, year=2027)
    )


def test_a_holiday_entered_for_2027_moves_a_deadline(reference):
    # The tests hold 2027 as Monday-Friday: one working day after New Year's Eve is 1 January.
    assert add_working_days(at(2026, 12, 31), 1) == at(2027, 1, 2, 0)
    assert enter_2027() == 365
    # New Year's Day is a holiday now: the deadline moves to the end of Monday 4 January.
    assert add_working_days(at(2026, 12, 31), 1) == at(2027, 1, 5, 0)
    assert last_day_of(at(2027, 1, 5, 0)) == dt.date(2027, 1, 4)
    assert is_working_day(dt.date(2027, 2, 13))  # the make-up Saturday
    assert CalendarDay.objects.get(day=dt.date(2027, 2, 13)).name == "春节调休"
    assert set(CalendarDay.objects.filter(day__year=2027).values_list("source", flat=True)) == {
        CalendarSource.OFFICIAL_NOTICE
    }


def test_a_missing_year_refuses_new_deadlines_with_a_clear_message(
    db, applicant_org, applicant, project, client
):
    CalendarDay.objects.filter(day__year=2027).delete()
    forget_cached_years()
    SlaPolicy.objects.filter(workgroup__code="electricity", stage="accepted").update(working_days=3)
    sa = make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    operator = staff_of("csg-zhongshan")
    with time_machine.travel(at(2026, 12, 30), tick=False):
        with pytest.raises(CalendarMissing) as refused:
            service_application_transition(
                actor=operator, service_application=sa, transition="accept"
            )
        assert "2027" in refused.value.message
        sa.refresh_from_db()
        assert sa.status == ServiceStatus.SUBMITTED  # nothing half-done
        assert not sa.history.filter(transition="accept").exists()
        # The staff page says so instead of failing.
        client.force_login(operator)
        url = reverse("staff:case_transition", args=[sa.combined.uuid, sa.uuid, "accept"])
        response = client.post(url)
    assert response.status_code == 409
    assert "2027" in response.content.decode()
    # Counting days already passed keeps working (Monday-Friday), as a clock must.
    assert working_days_between(at(2026, 12, 30), at(2027, 1, 4)) == 3


def test_python_and_sql_read_the_same_days_over_2025_to_2027(reference):
    enter_2027()
    with connection.cursor() as cursor:
        cursor.execute(_CALENDAR, {"start": dt.date(2024, 12, 31), "end": dt.date(2027, 12, 31)})
        cursor.execute("SELECT day, n FROM kpi_cal ORDER BY day")
        running = cursor.fetchall()
        cursor.execute("DROP TABLE kpi_cal")
    for (_before, n_before), (day, n) in zip(running, running[1:], strict=False):
        assert n - n_before == int(is_working_day(day)), day
    first, last = running[0], running[-1]
    moment = dt.datetime.combine(first[0], dt.time(12), CST)
    end = dt.datetime.combine(last[0], dt.time(12), CST)
    assert working_days_between(moment, end) == last[1] - first[1]


def test_a_notice_with_mistakes_is_refused_line_by_line(reference):
    notice = "2027-01-01,0,元旦\n2027-13-01,0,x\n2026-05-01,0,劳动节\n2027-02-13,maybe\n"
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        calendar_notice_parse(notice, year=2027)
    messages = refused.value.message_dict["notice"]
    assert [m.split(":")[0] for m in messages] == ["Line 2", "Line 3", "Line 4"]
    assert not CalendarDay.objects.filter(source=CalendarSource.OFFICIAL_NOTICE).exists()


def test_the_leadership_office_enters_a_year_on_the_staff_site(reference, client):
    client.force_login(staff_of("csg-zhongshan"))
    url = reverse("staff:calendar")
    assert client.get(url).status_code == 200
    assert client.post(url, {"year": 2027, "notice": NOTICE_2027}).status_code == 403
    office = staff_of("leadership-office")
    client.force_login(office)
    bad = client.post(url, {"year": 2027, "notice": "2027-01-01,0,元旦\n2027-02-30,0,x"})
    assert_error_summary(bad, "“2027-02-30”不是日期", field="id_notice")
    assert "Line 2" in bad.content.decode() or "第 2 行" in bad.content.decode()
    response = client.post(url, {"year": 2027, "notice": NOTICE_2027})
    assert response.status_code == 302
    row = CalendarDay.objects.get(day=dt.date(2027, 1, 1))
    assert (row.is_working_day, row.source, row.entered_by) == (
        False,
        CalendarSource.OFFICIAL_NOTICE,
        office,
    )
    page = client.get(url).content.decode()
    assert 'data-year="2027" data-source="official_notice"' in page


def test_staff_are_warned_from_november_while_next_year_is_missing(reference, client):
    client.force_login(staff_of("csg-zhongshan"))
    url = reverse("staff:queue")
    with time_machine.travel(at(2026, 11, 30), tick=False):
        assert 'data-calendar-gap="2027"' not in client.get(url).content.decode()
        CalendarDay.objects.filter(day__year=2027).delete()
        forget_cached_years()
        assert 'data-calendar-gap="2027"' in client.get(url).content.decode()
    with time_machine.travel(at(2026, 10, 30), tick=False):
        assert "data-calendar-gap" not in client.get(url).content.decode()


def test_the_command_enters_a_notice_file_and_reports_the_years(reference, tmp_path, capsys):
    notice = tmp_path / "notice-2027.csv"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    call_command("calendar_import", "notice", "--year", "2027", str(notice))
    assert not is_working_day(dt.date(2027, 2, 10))
    call_command("calendar_import", "status")
    out = capsys.readouterr().out
    assert "2027: 365 days entered, 7 from the notice" in out
    assert "2027  official_notice  365 days" in out
    assert "2026  package" in out
