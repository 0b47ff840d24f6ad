"""The working-day clock: due dates on entering a stage, paused while the applicant holds it."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from applications.clock import working_days_left, working_days_used
from applications.constants import ClockEvent, ServiceStatus
from applications.models import StateChange
from applications.services import service_application_transition
from workgroups.models import SlaPolicy

CST = ZoneInfo("Asia/Shanghai")


def at(m, d, h=10):
    return dt.datetime(2025, m, d, h, tzinfo=CST)


def test_due_date_follows_the_workgroups_sla_for_the_stage(submit, operator_staff):
    SlaPolicy.objects.filter(workgroup__code="water", stage="accepted").update(working_days=2)
    with time_machine.travel(at(9, 26), tick=False):  # Friday
        sa = submit(["water"]).services.get()
    assert sa.due_at == dt.datetime(2025, 9, 29, tzinfo=CST)  # make-up Sunday counts
    with time_machine.travel(at(9, 30), tick=False):
        sa = service_application_transition(
            actor=operator_staff("zs-water"), service_application=sa, transition="accept"
        )
    # Two working days after 30 Sep: 9 and 10 October (1-8 October are holidays).
    assert sa.due_at == dt.datetime(2025, 10, 11, tzinfo=CST)
    assert StateChange.objects.get(transition="accept").due_at == sa.due_at


def test_the_clock_pauses_on_correction_and_the_pause_is_in_the_history(
    submit, applicant, operator_staff
):
    op = operator_staff("csg-zhongshan")
    with time_machine.travel(at(9, 23), tick=False):
        sa = submit(["electricity"]).services.get()
    with time_machine.travel(at(9, 24), tick=False):
        sa = service_application_transition(
            actor=op,
            service_application=sa,
            transition="return_for_correction",
            data={"reason": "用电设备清单缺少功率"},
        )
    assert sa.status == ServiceStatus.RETURNED
    assert sa.due_at is None

    # While the applicant holds the case, the clock does not run.
    with time_machine.travel(at(10, 9), tick=False):
        assert working_days_used(sa, now=dt.datetime.now(tz=CST)) == 1

    with time_machine.travel(at(10, 10), tick=False):
        sa = service_application_transition(
            actor=applicant, service_application=sa, transition="resubmit"
        )
    # 25, 26, 28 (make-up Sunday), 29, 30 September, 9 and 10 October.
    assert sa.paused_working_days == 7
    assert sa.due_at == dt.datetime(2025, 10, 12, tzinfo=CST)  # Saturday 11 Oct is worked

    history = list(
        StateChange.objects.filter(service_application=sa).values_list(
            "transition", "clock_event", "paused_working_days"
        )
    )
    assert history == [
        ("submit", ClockEvent.NONE, None),
        ("return_for_correction", ClockEvent.PAUSED, None),
        ("resubmit", ClockEvent.RESUMED, 7),
    ]
    with time_machine.travel(at(10, 13), tick=False):
        # 24 Sep (1) + 11 and 13 October (2): the 7 paused days are not counted.
        assert working_days_used(sa, now=dt.datetime.now(tz=CST)) == 3


def test_the_clock_pauses_while_the_applicant_considers_the_plan(
    applicant_org, applicant, project, operator_staff
):
    from tests.factories import make_service

    op = operator_staff("csg-zhongshan")
    with time_machine.travel(at(11, 3), tick=False):
        sa = make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            status=ServiceStatus.SURVEYING,
        )
        sa = service_application_transition(
            actor=op,
            service_application=sa,
            transition="issue_plan",
            data={"survey_result": "可接入", "plan": "新建箱变", "fee_quote_cny": "12800.00"},
        )
    assert sa.due_at is None and sa.paused_since is not None
    with time_machine.travel(at(11, 7), tick=False):
        sa = service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    assert sa.status == ServiceStatus.CONSTRUCTING
    assert sa.paused_working_days == 4
    # Construction: 15 working days from Friday 7 November -> end of Friday 28 November.
    assert sa.due_at == dt.datetime(2025, 11, 29, tzinfo=CST)


def test_dual_source_electricity_gets_the_longer_plan_sla(
    applicant, applicant_org, project, operator_staff
):
    from applications.services import combined_application_submit
    from tests.factories import submission

    data = submission(applicant, applicant_org, ["electricity"])
    data.utilities["electricity"]["supply_mode"] = "dual"
    op = operator_staff("csg-zhongshan")
    with time_machine.travel(at(11, 3), tick=False):  # Monday
        combined = combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
        sa = combined.services.get()
        sa = service_application_transition(actor=op, service_application=sa, transition="accept")
        sa = service_application_transition(
            actor=op, service_application=sa, transition="start_survey"
        )
    assert sa.sla_variant == "dual_source"
    # 30 working days from Monday 3 November 2025: Tuesday 4 Nov .. Monday 15 December.
    assert sa.due_at == dt.datetime(2025, 12, 16, tzinfo=CST)


def test_working_days_left_skip_the_holidays_and_count_overdue_days(submit, operator_staff):
    """Due at the end of Friday 10 October 2025 (after National Day): on 30 September two
    working days are left (9 and 10 October); on Monday 13 October the case is two working
    days late (Saturday 11 October was a make-up working day)."""
    SlaPolicy.objects.filter(workgroup__code="water", stage="accepted").update(working_days=2)
    with time_machine.travel(at(9, 30), tick=False):
        sa = submit(["water"]).services.get()
        sa = service_application_transition(
            actor=operator_staff("zs-water"), service_application=sa, transition="accept"
        )
    assert sa.due_at == dt.datetime(2025, 10, 11, tzinfo=CST)
    assert working_days_left(sa, now=at(9, 30)) == 2
    assert working_days_left(sa, now=at(10, 3)) == 2  # holidays do not count down
    assert working_days_left(sa, now=at(10, 10)) == 0  # the last day
    assert working_days_left(sa, now=at(10, 11, 9)) == -1
    assert working_days_left(sa, now=at(10, 13)) == -2
    sa.paused_since = at(10, 9)
    assert working_days_left(sa, now=at(10, 13)) is None  # the applicant's turn: no count
