"""Deadlines read as dates: the last working day on which a stage is due, the same on the
applicant's and the staff's pages; and the expected completion of each utility and of the whole
request, from the remaining stages' time limits on the working-day calendar (2025's National Day
week, 1-8 October, and its make-up working days, Sunday 28 September and Saturday 11 October)."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.utils.translation import override

from applications.case_clock import expected_completion, request_expected_completion
from applications.dates import date_text, due_date
from applications.services import service_application_transition
from workgroups.calendar import add_working_days
from workgroups.models import SlaPolicy
from workgroups.selectors import sla_table

CST = ZoneInfo("Asia/Shanghai")


def at(m, d, h=10):
    return dt.datetime(2025, m, d, h, tzinfo=CST)


def test_a_deadline_reads_as_its_last_working_day_with_the_weekday(reference):
    # Two working days after Tuesday 30 September: Thursday 9 and Friday 10 October.
    deadline = add_working_days(at(9, 30), 2)
    assert deadline == dt.datetime(2025, 10, 11, tzinfo=CST)  # the midnight that ends it
    with override("zh-hans"):
        assert due_date(deadline) == "2025年10月10日（星期五）"
    with override("en"):
        assert due_date(deadline) == "Fri 10 Oct 2025"


def test_a_day_with_its_weekday_in_both_languages():
    with override("zh-hans"):
        assert date_text(dt.date(2026, 12, 4)) == "2026年12月4日（星期五）"
    with override("en"):
        assert date_text(dt.date(2026, 12, 4)) == "Fri 4 Dec 2026"


def _two_days_everywhere(code: str) -> None:
    SlaPolicy.objects.filter(workgroup__code=code).update(working_days=2)


def test_expected_completion_adds_the_remaining_stages_over_the_holiday(submit):
    _two_days_everywhere("water")
    with time_machine.travel(at(9, 26), tick=False):  # Friday
        sa = submit(["water"]).services.get()
        now = dt.datetime.now(tz=CST)
        slas = sla_table([sa.workgroup_id])
        expected = expected_completion(sa, slas=slas, now=now)
    # submitted: due Monday 29 Sep (Sunday 28th is a make-up working day);
    # accepted: 30 Sep, then 9 Oct (1-8 October are holidays);
    # surveying: 10 Oct and Saturday 11 Oct (a make-up working day);
    # (plan confirmation is the applicant's: no time limit);
    # constructing: 13 and 14 Oct; inspecting: 15 and 16 Oct.
    assert expected == dt.date(2025, 10, 16)


def test_expected_completion_moves_with_the_case(submit, operator_staff):
    _two_days_everywhere("water")
    operator = operator_staff("zs-water")
    with time_machine.travel(at(9, 26), tick=False):
        sa = submit(["water"]).services.get()
    slas = sla_table([sa.workgroup_id])
    with time_machine.travel(at(10, 9), tick=False):  # accepted late, after the holiday
        sa = service_application_transition(
            actor=operator, service_application=sa, transition="accept"
        )
        # accepted: 10, 11 Oct; surveying 13, 14; constructing 15, 16; inspecting 17, 20.
        assert expected_completion(sa, slas=slas, now=dt.datetime.now(tz=CST)) == dt.date(
            2025, 10, 20
        )


def test_a_late_stage_is_expected_to_end_today_at_the_earliest(submit):
    _two_days_everywhere("cable_tv")
    with time_machine.travel(at(9, 1), tick=False):
        sa = submit(["cable_tv"]).services.get()
    slas = sla_table([sa.workgroup_id])
    # Weeks later the submitted stage is long overdue: what remains counts from today.
    with time_machine.travel(at(11, 3), tick=False):  # Monday
        now = dt.datetime.now(tz=CST)
        expected = expected_completion(sa, slas=slas, now=now)
    # cable TV: accepted, constructing (no survey, no inspection): 4, 5 Nov; 6, 7 Nov.
    assert expected == dt.date(2025, 11, 7)


def test_the_whole_request_is_expected_when_its_last_utility_is():
    days = [dt.date(2025, 10, 16), None, dt.date(2025, 11, 3), dt.date(2025, 10, 1)]
    assert request_expected_completion(days) == dt.date(2025, 11, 3)
    assert request_expected_completion([None]) is None


def test_the_tracking_page_and_the_staff_case_page_show_the_same_due_date(
    client, applicant, submit, operator_staff
):
    with time_machine.travel(at(9, 30), tick=False):
        combined = submit(["water", "gas"])
        water = combined.services.get(utility="water")
        client.force_login(applicant)
        mine = client.get(f"/en/requests/{combined.uuid}/").content.decode()
        mine_zh = client.get(f"/requests/{combined.uuid}/").content.decode()
        client.force_login(operator_staff("zs-water"))
        theirs = client.get(f"/en/staff/cases/{combined.uuid}/").content.decode()
    with override("zh-hans"):
        day = due_date(water.due_at)
    with override("en"):
        english = due_date(water.due_at)
    assert english.startswith(("Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun "))
    assert "Due by" in mine and "Due by" in theirs
    assert english in mine and english in theirs
    assert "办理期限" in mine_zh and day in mine_zh
    # The expected completion of each utility and of the whole request.
    assert mine.count("data-expected=") == 2
    assert "data-request-expected=" in mine
    assert "Expected completion of the whole request" in mine
