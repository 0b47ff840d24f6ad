"""The clock of one case: days by party, procedures and cost, across a holiday.

The case below is computed by hand on the 2026 calendar: National Day runs 1-7 October, and
Sunday 20 September and Saturday 10 October are make-up working days.

  stage         entered         left            working days (days beginning in it)  party
  submitted     Mon 28 Sep      Tue 29 Sep      29 Sep                        = 1    operator
  returned      Tue 29 Sep      Wed 30 Sep      30 Sep                        = 1    applicant
  submitted     Wed 30 Sep      Thu  8 Oct      8 Oct (1-7 are holidays)      = 1    operator
  accepted      Thu  8 Oct 9h   Thu  8 Oct 14h  (same day)                    = 0    operator
  surveying     Thu  8 Oct      Sat 10 Oct      9 Oct, 10 Oct (make-up)       = 2    operator
  plan_issued   Sat 10 Oct      Tue 13 Oct      12, 13 Oct (11 is Sunday)     = 2    applicant
  permitting    Tue 13 Oct      Fri 16 Oct      14, 15, 16 Oct                = 3    government
  constructing  Fri 16 Oct      Thu 22 Oct      19, 20, 21, 22 Oct            = 4    operator
  inspecting    Thu 22 Oct      Fri 23 Oct      23 Oct                        = 1    operator

Whole: 15 working days (government 3, operator 9, applicant 3), 25 calendar days; procedures:
submit, resubmit, confirm the plan = 3; fee: the quote. Two permits decided in parallel on 14
and 16 October are one stage, counted once.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from applications.case_clock import case_clock, combined_clock, empty_clock
from applications.constants import Party, ServiceStatus
from applications.models import PermitRequest, StateChange
from applications.services import permit_request_decide, service_application_transition
from tests.error_summary import assert_error_summary
from tests.factories import staff_of

CST = ZoneInfo("Asia/Shanghai")
G, OP, A = Party.GOVERNMENT, Party.OPERATOR, Party.APPLICANT


def at(m, d, h=10):
    return dt.datetime(2026, m, d, h, tzinfo=CST)


def _move(actor, sa, transition, when, **data):
    with time_machine.travel(when, tick=False):
        return service_application_transition(
            actor=actor, service_application=sa, transition=transition, data=data or None
        )


@pytest.fixture
def walked(submit, applicant, operator_staff):
    """The case of the module docstring, walked through the real services."""
    op = operator_staff("csg-zhongshan")
    with time_machine.travel(at(9, 28), tick=False):
        sa = submit(["electricity"]).services.get()
    sa = _move(op, sa, "return_for_correction", at(9, 29), reason="缺少用电设备清单")
    sa = _move(applicant, sa, "resubmit", at(9, 30, 15))
    sa = _move(op, sa, "accept", at(10, 8, 9))
    sa = _move(op, sa, "start_survey", at(10, 8, 14))
    sa = _move(
        op,
        sa,
        "issue_plan",
        at(10, 10, 11),
        survey_result="现场具备接入条件",
        plan="10kV 专线接入",
        fee_quote_cny="12800.50",
        required_permits=["planning", "road_excavation"],
    )
    sa = _move(applicant, sa, "confirm_plan", at(10, 13))
    permits = {p.permit_type: p for p in PermitRequest.objects.filter(service_application=sa)}
    with time_machine.travel(at(10, 14), tick=False):
        permit_request_decide(
            actor=staff_of("natural-resources"),
            permit_request=permits["planning"],
            decision="approve",
        )
    with time_machine.travel(at(10, 16, 16), tick=False):
        permit_request_decide(
            actor=staff_of("urban-management"),
            permit_request=permits["road_excavation"],
            decision="approve",
        )
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.CONSTRUCTING
    sa = _move(op, sa, "complete_construction", at(10, 22))
    return sa, op


def _clock(sa, now):
    changes = list(StateChange.objects.filter(service_application=sa, permit_request=None))
    return case_clock(changes, fee_cny=sa.fee_quote_cny, now=now)


def test_the_hand_computed_case_splits_exactly(walked):
    sa, op = walked
    sa = _move(op, sa, "connect", at(10, 23), inspection_result="验收合格")
    clock = _clock(sa, now=at(12, 1))  # a later look changes nothing once connected

    assert clock.working_by_party == {G: 3, OP: 9, A: 3}
    assert clock.working_days == 15 == sum(clock.working_by_party.values())
    assert clock.calendar_days == 25 == sum(clock.calendar_by_party.values())
    assert clock.calendar_by_party == {G: 3, OP: 18, A: 4}
    assert clock.procedures == 3
    assert clock.fee_cny == Decimal("12800.50")
    assert not clock.running
    # The operator's part is what the SLA clock counts (the applicant's pauses excluded).
    assert clock.working_days - clock.working_by_party[A] == 12
    # Permit rows are in the history but the permitting stage is one span.
    assert StateChange.objects.filter(service_application=sa).exclude(permit_request=None).count()
    assert [s.stage for s in clock.spans].count(ServiceStatus.PERMITTING) == 1


def test_a_running_case_counts_live_up_to_now(walked):
    sa, _op = walked
    # Inspecting since Thursday 22 October; on Monday 26th, 23 and 26 have begun in it.
    clock = _clock(sa, now=at(10, 26))
    assert clock.running
    assert clock.working_by_party == {G: 3, OP: 8 + 2, A: 3}
    assert clock.spans[-1].stage == ServiceStatus.INSPECTING
    assert clock.spans[-1].left_at is None
    later = _clock(sa, now=at(10, 27))
    assert later.working_days == clock.working_days + 1


def test_a_stage_still_running_past_its_deadline_is_marked_late(walked):
    sa, _op = walked
    # Inspection (5 working days from Thursday 22 October) is due by the end of the 29th.
    assert not _clock(sa, now=at(10, 29)).late_spans
    late = _clock(sa, now=at(10, 30)).late_spans
    assert [s.stage for s in late] == [ServiceStatus.INSPECTING]
    # Every earlier stage was left within its deadline, the holiday included.
    assert all(s.due_at for s in late)


def test_a_draft_has_no_clock():
    assert case_clock([], fee_cny=None, now=at(10, 1)) == empty_clock()


def test_the_combined_request_runs_as_long_as_its_slowest_utility(walked):
    sa, _op = walked
    slow = _clock(sa, now=at(10, 26))
    quick = case_clock(
        list(StateChange.objects.filter(service_application=sa, permit_request=None))[:2],
        fee_cny=Decimal("100"),
        now=at(9, 29, 12),
    )
    both = combined_clock([slow, quick])
    assert both.working_days == slow.working_days
    assert both.working_by_party == slow.working_by_party
    # One combined submission is one procedure, not one per utility.
    assert both.procedures == slow.procedures + quick.procedures - 1
    assert both.fee_cny == Decimal("12800.50") + Decimal("100")
    assert both.running


def _page(client, user, url, now):
    client.force_login(user)
    with time_machine.travel(now, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("prefix", "line"),
    [
        (
            "",
            "共 15 个工作日：政府部门 3 天、中山供电局 9 天、您 3 天；"
            "3 个办理环节；费用 ¥12,800.50",
        ),
        (
            "/en",
            "15 working days: government 3, "
            "Zhongshan Power Supply Bureau (China Southern Power Grid) 9, you 3; "
            "3 procedures; fee ¥12,800.50",
        ),
    ],
)
def test_the_applicant_reads_one_line_per_utility_and_one_bar_per_party(
    walked, client, applicant, prefix, line
):
    sa, op = walked
    _move(op, sa, "connect", at(10, 23), inspection_result="验收合格")
    url = prefix + reverse("applications:request_detail", args=[sa.combined.uuid])
    html = _page(client, applicant, url, at(11, 2))
    card = html[html.index(f'id="u-{sa.uuid}"') :]
    assert line in card
    # One bar per party, its length the party's share of the 15 days.
    assert 'class="party-government" width="20"' in card
    assert 'class="party-operator" width="60"' in card
    assert 'class="party-applicant" width="20"' in card
    # With one utility the request's own clock would only repeat it.
    assert "data-combined-clock" not in html


def test_a_request_of_several_utilities_shows_its_slowest_one_on_top(
    submit, client, applicant, operator_staff
):
    with time_machine.travel(at(10, 12), tick=False):
        combined = submit(["electricity", "water"])
    water = combined.services.get(utility="water")
    _move(operator_staff("zs-water"), water, "accept", at(10, 13))
    html = _page(
        client, applicant, reverse("applications:request_detail", args=[combined.uuid]), at(10, 16)
    )
    top = html[html.index("data-combined-clock") :]
    top = top[: top.index("</section>")]
    # Both wait for their operators since Monday the 12th; the request has run 4 working days,
    # and its one submission is one procedure.
    assert "共 4 个工作日（进行中）：政府部门 0 天、公用服务企业 4 天、您 0 天；1 个办理环节" in (
        top
    )


def test_staff_see_each_stage_its_share_and_the_late_one(walked, client):
    sa, _op = walked
    url = reverse("staff:case", args=[sa.combined.uuid])
    html = _page(client, staff_of("csg-zhongshan"), url, at(10, 30))
    column = html[html.index(f'id="u-{sa.uuid}"') :]
    assert "共 20 个工作日（进行中）：政府部门 3 天、中山供电局 14 天、申请人 3 天" in column
    table = column[column.index('data-table="stages-electricity"') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr") == 1 + 9  # header + one row per stay in a stage
    assert table.count("data-late") == 1  # inspection, due by the end of 29 October
    # Each permit agency's own time: planning decided in 1 working day, excavation in 3.
    assert 'data-permit-days="1"' in column
    assert 'data-permit-days="3"' in column


def test_a_counter_visit_staff_record_counts_as_a_procedure_and_moves_nothing(walked, client):
    sa, _op = walked
    due, entered = sa.due_at, sa.stage_entered_at
    staff = staff_of("csg-zhongshan")
    client.force_login(staff)
    url = reverse("staff:case_transition", args=[sa.combined.uuid, sa.uuid, "record_visit"])
    prefix = f"t{sa.pk}-record_visit"
    with time_machine.travel(at(10, 26), tick=False):
        refused = client.post(url, {f"{prefix}-reason": ""})
        assert_error_summary(
            refused, "此项为必填项", field=f"id_t{sa.pk}-record_visit-reason"
        )  # why they came is required
        nul = client.post(url, {f"{prefix}-reason": "递交\x00纸质图纸"})
        assert nul.status_code == 400  # PostgreSQL text cannot hold NUL: refused on the form
        response = client.post(url, {f"{prefix}-reason": "申请人到窗口递交纸质图纸"})
    assert response.status_code == 302
    sa.refresh_from_db()
    assert (sa.status, sa.due_at, sa.stage_entered_at) == (ServiceStatus.INSPECTING, due, entered)
    clock = _clock(sa, now=at(10, 26))
    assert clock.procedures == 4
    assert [s.stage for s in clock.spans].count(ServiceStatus.INSPECTING) == 1  # one stay
    assert clock.working_by_party == {G: 3, OP: 10, A: 3}  # the days are unchanged
