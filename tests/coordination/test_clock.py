"""Demands run on working days: deadlines over the National Day holiday, the sweep escalating a
missed one to the workgroup's lead agencies and climbing it like a case's, answered demands
no longer escalating, and an answer nobody rates closing by itself."""

import datetime as dt

import pytest
import time_machine

from coordination.constants import DemandStatus, EscalationStatus
from coordination.models import Demand, DemandHistory, ItemEscalation, ItemEscalationEvent
from coordination.services import (
    SweepResult,
    coordination_sweep,
    demand_submit,
    demand_transition,
    item_escalation_resolve,
)
from core.errors import PermissionDenied
from workgroups.calendar import CalendarMissing
from workgroups.models import CalendarDay

from .conftest import CST, at, demand_input

pytestmark = pytest.mark.django_db


def sweep(moment):
    with time_machine.travel(moment, tick=False):
        return coordination_sweep(now=moment)


@pytest.fixture
def before_national_day(submit_demand):
    """Received Tuesday 30 September 2025 at 10:00, the day before the National Day holiday
    (1-8 October; Saturday 11 October is a make-up working day)."""
    return submit_demand(when=at(9, 30))


def _tiers(demand):
    return list(ItemEscalation.objects.filter(demand=demand).values_list("tier", "status"))


def test_deadlines_run_over_the_national_day_holiday(before_national_day):
    demand = before_national_day
    # 1 working day to acknowledge: Thursday 9 October, due at its end.
    assert demand.acknowledge_due_at == dt.datetime(2025, 10, 10, tzinfo=CST)
    assert demand.due_at == demand.acknowledge_due_at
    # 5 working days to answer: 9, 10, 11 (make-up Saturday), 13, 14 October.
    assert demand.answer_due_at == dt.datetime(2025, 10, 15, tzinfo=CST)


def test_acknowledging_moves_the_clock_to_the_answer_deadline(before_national_day, staff):
    demand = demand_transition(
        actor=staff("ndrc"), demand=before_national_day, transition="acknowledge", now=at(10, 9)
    )
    assert demand.status == DemandStatus.ACKNOWLEDGED
    assert demand.due_at == dt.datetime(2025, 10, 15, tzinfo=CST)
    entry = DemandHistory.objects.filter(demand=demand).last()
    assert (entry.transition, entry.from_state, entry.to_state) == (
        "acknowledge",
        "submitted",
        "acknowledged",
    )
    assert entry.actor == staff("ndrc") and entry.actor_organization.code == "ndrc"
    assert entry.due_at == demand.due_at


def test_no_escalation_before_the_deadline_even_across_the_holiday(before_national_day):
    assert sweep(at(10, 9, 23)).opened == 0
    assert _tiers(before_national_day) == []


def test_a_missed_deadline_escalates_to_tier_one_once_and_climbs(before_national_day):
    demand = before_national_day
    assert sweep(at(10, 10, 9)) == SweepResult(opened=1, climbed=0, lapsed=0)
    assert sweep(at(10, 10, 15)).opened == 0
    escalation = ItemEscalation.objects.get()
    assert (escalation.stage, escalation.breached_due_at) == ("submitted", demand.due_at)
    assert escalation.workgroup.code == "electricity"
    assert _tiers(demand) == [(1, EscalationStatus.OPEN)]
    # Tier 1 holds it 2 working days (as for a case): Saturday 11 (make-up) and Monday 13.
    assert sweep(at(10, 11, 12)).climbed == 0
    assert sweep(at(10, 13, 8)).climbed == 1
    assert _tiers(demand) == [(2, EscalationStatus.OPEN)]
    # Tier 2 holds it 3 working days: 14, 15, 16 October.
    assert sweep(at(10, 15, 23)).climbed == 0
    assert sweep(at(10, 16, 8)).climbed == 1
    assert _tiers(demand) == [(3, EscalationStatus.OPEN)]
    assert sweep(at(11, 28)).climbed == 0  # the leading group is the top
    kinds = list(ItemEscalationEvent.objects.values_list("kind", "tier"))
    assert kinds == [("opened", 1), ("climbed", 2), ("climbed", 3)]


def test_answering_stops_the_escalation_and_the_clock(before_national_day, staff):
    demand = before_national_day
    sweep(at(10, 10, 9))
    demand = demand_transition(
        actor=staff("ndrc"),
        demand=demand,
        transition="answer",
        data={"answer": "已安排10月14日送电。"},
        now=at(10, 10, 11),
    )
    assert demand.status == DemandStatus.ANSWERED
    escalation = ItemEscalation.objects.get()
    assert escalation.status == EscalationStatus.RESOLVED
    assert escalation.resolved_by is None  # the system closed it: the demand moved on
    # Answered on 10 October: 2 working days after receipt, within the 5 allowed.
    assert demand.answer_working_days == 2
    assert demand.first_answered_at <= demand.answer_due_at
    # No further escalation, however late it gets: the answer waits for the submitter.
    assert sweep(at(10, 20)).opened == 0
    assert ItemEscalation.objects.count() == 1


def test_acknowledged_late_the_answer_deadline_escalates_on_its_own(before_national_day, staff):
    demand = before_national_day
    sweep(at(10, 10, 9))  # acknowledgement missed: escalation 1
    demand = demand_transition(
        actor=staff("ndrc"), demand=demand, transition="acknowledge", now=at(10, 14)
    )
    assert list(ItemEscalation.objects.values_list("stage", "status")) == [
        ("submitted", EscalationStatus.RESOLVED)
    ]
    assert sweep(at(10, 16, 9)).opened == 1  # the answer was due by the end of 14 October
    assert set(ItemEscalation.objects.values_list("stage", "status")) == {
        ("submitted", EscalationStatus.RESOLVED),
        ("acknowledged", EscalationStatus.OPEN),
    }


def test_the_tier_holding_an_escalation_resolves_it_others_may_not(before_national_day, staff):
    sweep(at(10, 10, 9))
    escalation = ItemEscalation.objects.get()
    with pytest.raises(PermissionDenied):
        item_escalation_resolve(actor=staff("housing"), escalation=escalation, note="不是我们的")
    with pytest.raises(PermissionDenied):  # the office holds tier 2, not tier 1
        item_escalation_resolve(actor=staff("leadership-office"), escalation=escalation, note="x")
    item_escalation_resolve(actor=staff("ndrc"), escalation=escalation, note="已督办供电局。")
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.RESOLVED
    assert escalation.resolved_by == staff("ndrc")


def test_an_answer_nobody_rates_closes_after_ten_working_days(before_national_day, staff):
    demand = demand_transition(
        actor=staff("ndrc"),
        demand=before_national_day,
        transition="answer",
        data={"answer": "已处理。"},
        now=at(10, 9),
    )
    # 10 working days from 9 October: 10, 11, 13-17, 20-22: due at the end of 22 October.
    assert demand.due_at == dt.datetime(2025, 10, 23, tzinfo=CST)
    assert sweep(at(10, 22, 23)).lapsed == 0
    assert sweep(at(10, 23, 1)).lapsed == 1
    demand.refresh_from_db()
    assert demand.status == DemandStatus.CLOSED
    assert demand.verdict == ""
    last = DemandHistory.objects.filter(demand=demand).last()
    assert (last.transition, last.actor) == ("close_unrated", None)
    assert sweep(at(10, 24)).lapsed == 0


def test_no_deadline_is_set_in_a_year_without_calendar_data(reference):
    CalendarDay.objects.filter(day__year=2027).delete()
    moment = dt.datetime(2026, 12, 30, 10, tzinfo=CST)
    with time_machine.travel(moment, tick=False), pytest.raises(CalendarMissing):
        demand_submit(actor=None, data=demand_input())
    assert not Demand.objects.exists()
