"""The SLA sweep over holidays, pauses and every tier; running it twice changes nothing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from applications.constants import EscalationStatus, ServiceStatus
from applications.models import Escalation, EscalationEvent
from applications.services import service_application_transition
from applications.services.escalations import (
    escalation_acknowledge,
    escalation_resolve,
    sla_sweep,
)
from core.errors import IllegalTransition, PermissionDenied
from tests.factories import make_service, staff_of
from workgroups.calendar import working_day_cutoff, working_days_between
from workgroups.constants import PermitType

CST = ZoneInfo("Asia/Shanghai")


def at(m, d, h=10):
    return dt.datetime(2025, m, d, h, tzinfo=CST)


def sweep(moment):
    with time_machine.travel(moment, tick=False):
        return sla_sweep()


@pytest.fixture
def late_case(submit):
    """Submitted Tuesday 30 Sep 2025: 1 working day to accept, due end of Thursday 9 Oct."""
    with time_machine.travel(at(9, 30), tick=False):
        return submit(["electricity"]).services.get()


def _tiers(sa):
    return list(Escalation.objects.filter(service_application=sa).values_list("tier", "status"))


def test_no_escalation_before_the_deadline_even_across_the_holiday(late_case):
    assert late_case.due_at == dt.datetime(2025, 10, 10, tzinfo=CST)
    assert sweep(at(10, 9, 23)).opened == 0
    assert _tiers(late_case) == []


def test_a_missed_deadline_opens_tier_one_once(late_case):
    assert sweep(at(10, 10, 9)).opened == 1
    assert sweep(at(10, 10, 9)).opened == 0
    assert sweep(at(10, 10, 15)).opened == 0
    assert _tiers(late_case) == [(1, EscalationStatus.OPEN)]
    escalation = Escalation.objects.get()
    assert (escalation.stage, escalation.breached_due_at) == ("submitted", late_case.due_at)
    assert list(EscalationEvent.objects.values_list("kind", "tier")) == [("opened", 1)]


def test_unresolved_escalations_climb_by_working_days_to_the_leading_group(late_case):
    sweep(at(10, 10, 9))  # opened at tier 1, Friday 10 October
    # Tier 1 has 2 working days: Saturday 11 Oct is a make-up working day, then Monday 13.
    assert sweep(at(10, 11, 12)).climbed == 0
    assert sweep(at(10, 13, 8)).climbed == 1
    assert _tiers(late_case) == [(2, EscalationStatus.OPEN)]
    # Tier 2 has 3 working days: 14, 15, 16 October.
    assert sweep(at(10, 15, 23)).climbed == 0
    assert sweep(at(10, 16, 8)).climbed == 1
    assert _tiers(late_case) == [(3, EscalationStatus.OPEN)]
    # The leading group is the top: nothing climbs further, nothing is duplicated.
    assert sweep(at(11, 28)) == sla_sweep_result(opened=0, climbed=0)
    kinds = list(EscalationEvent.objects.values_list("kind", "tier"))
    assert kinds == [("opened", 1), ("climbed", 2), ("climbed", 3)]


def sla_sweep_result(**counts):
    from applications.services.escalations import SweepResult

    return SweepResult(**counts)


def test_a_paused_clock_never_escalates(late_case, operator_staff):
    with time_machine.travel(at(10, 9), tick=False):
        service_application_transition(
            actor=operator_staff("csg-zhongshan"),
            service_application=late_case,
            transition="return_for_correction",
            data={"reason": "缺少用电设备清单"},
        )
    assert sweep(at(12, 31)).opened == 0
    assert _tiers(late_case) == []


def test_when_the_case_moves_on_its_escalation_is_closed_by_the_system(late_case, operator_staff):
    sweep(at(10, 10, 9))
    with time_machine.travel(at(10, 10, 11), tick=False):
        service_application_transition(
            actor=operator_staff("csg-zhongshan"),
            service_application=late_case,
            transition="accept",
        )
    # Closed in the same transaction as the acceptance, with a system note.
    assert _tiers(late_case) == [(1, EscalationStatus.RESOLVED)]
    closed = Escalation.objects.get()
    assert closed.resolved_by is None and closed.resolution_note  # the system, with a note
    assert sweep(at(10, 10, 12)) == sla_sweep_result(opened=0, climbed=0)
    # The new stage has its own deadline and may escalate on its own later.
    assert sweep(at(10, 16, 12)).opened == 1


def test_a_late_permit_agency_is_escalated_too(applicant_org, applicant, project):
    with time_machine.travel(at(11, 3), tick=False):
        sa = make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            status=ServiceStatus.PLAN_ISSUED,
            required_permits=["highway"],
        )
        sa = service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    permit = sa.permits.get()
    assert permit.due_at == dt.datetime(2025, 11, 11, tzinfo=CST)  # 5 working days
    result = sweep(at(11, 11, 9))
    assert result.opened == 2  # the case's permitting stage (5 days) and the permit
    assert Escalation.objects.filter(permit_request=permit, stage="permit:highway").count() == 1


def test_every_permit_type_escalates_when_its_agency_is_late(applicant_org, applicant, project):
    """The longest permit types (road_excavation, road_occupation) once overflowed the stage
    column on PostgreSQL, and the whole sweep rolled back: no case escalated at all."""
    with time_machine.travel(at(11, 3), tick=False):
        sa = make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            status=ServiceStatus.PLAN_ISSUED,
            required_permits=list(PermitType.values),
        )
        service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    result = sweep(at(12, 31, 9))
    assert result.opened == 1 + len(PermitType.values)  # the case's stage and every permit
    assert sorted(
        Escalation.objects.filter(permit_request__isnull=False).values_list("stage", flat=True)
    ) == sorted(f"permit:{value}" for value in PermitType.values)


def test_resolving_stops_the_climb_and_needs_a_note(late_case):
    sweep(at(10, 10, 9))
    escalation = Escalation.objects.get()
    lead = staff_of("ndrc")
    escalation_acknowledge(actor=lead, escalation=escalation)
    with pytest.raises(IllegalTransition):
        escalation_acknowledge(actor=lead, escalation=escalation)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        escalation_resolve(actor=lead, escalation=escalation, note="")
    escalation_resolve(actor=lead, escalation=escalation, note="已协调供电局当日受理")
    assert sweep(at(10, 20)).climbed == 0
    assert _tiers(late_case) == [(1, EscalationStatus.RESOLVED)]


def test_only_the_tiers_that_hold_it_may_handle_an_escalation(late_case):
    sweep(at(10, 10, 9))
    escalation = Escalation.objects.get()
    office = staff_of("leadership-office")
    with pytest.raises(PermissionDenied):  # still with the workgroup (tier 1)
        escalation_acknowledge(actor=office, escalation=escalation)
    with pytest.raises(PermissionDenied):
        escalation_acknowledge(actor=staff_of("water-bureau"), escalation=escalation)
    sweep(at(10, 13, 8))  # climbs to the leadership office
    escalation_acknowledge(actor=office, escalation=escalation)


@pytest.mark.parametrize("days", [1, 2, 3, 5, 10])
@pytest.mark.parametrize(
    "now", [at(10, 13, 8), at(10, 11, 23), at(10, 1, 12), at(9, 28, 1), at(12, 31, 18)]
)
def test_the_cutoff_agrees_with_counting_working_days(reference, now, days):
    cutoff = working_day_cutoff(now, days)
    assert working_days_between(cutoff - dt.timedelta(seconds=1), now) >= days
    assert working_days_between(cutoff, now) < days


def test_a_permit_decision_closes_its_escalation(applicant_org, applicant, project):
    from applications.services import permit_request_decide

    with time_machine.travel(at(11, 3), tick=False):
        sa = make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            status=ServiceStatus.PLAN_ISSUED,
            required_permits=["highway"],
        )
        sa = service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    sweep(at(11, 11, 9))
    permit = sa.permits.get()
    with time_machine.travel(at(11, 11, 10), tick=False):
        permit_request_decide(
            actor=staff_of("transport"), permit_request=permit, decision="approve"
        )
    # The permit's escalation and the case's permitting escalation both closed.
    assert set(Escalation.objects.values_list("status", flat=True)) == {EscalationStatus.RESOLVED}
