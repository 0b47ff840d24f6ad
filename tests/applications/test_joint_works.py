"""Joint works plans (联合施工): one trench, one permit set, several utilities."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from applications.constants import JointWorksStatus, PermitStatus, ServiceStatus
from applications.models import JointWorksEvent, JointWorksPlan, PermitRequest, StateChange
from applications.services import permit_request_decide, service_application_transition
from applications.services.joint_works import joint_works_plan_act, joint_works_plan_join
from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from tests.applications.joint_works_helpers import (
    AGENCY,
    UTILITIES,
    lead_of,
    plan_input,
    propose,
    services_for,
    window_start,
)
from tests.factories import ProjectFactory, staff_of
from workgroups.calendar import local_date

J = JointWorksStatus
ALL = list(UTILITIES)


@pytest.fixture
def make(applicant_org, applicant, project):
    def do(utilities, **fields):
        return services_for(
            utilities, applicant_org=applicant_org, applicant=applicant, project=project, **fields
        )

    return do


@pytest.fixture
def operators(reference):
    cache = {}

    def get(utility):
        if utility not in cache:
            cache[utility] = staff_of(UTILITIES[utility][0])
        return cache[utility]

    return get


def _confirm_all(plan, services, operators):
    for sa in services:
        plan = joint_works_plan_act(actor=operators(sa.utility), plan=plan, action="confirm")
    return plan


def _approve_all(plan):
    for permit in PermitRequest.objects.filter(joint_works_plan=plan, status=PermitStatus.PENDING):
        permit_request_decide(
            actor=staff_of(AGENCY[permit.permit_type]), permit_request=permit, decision="approve"
        )
    plan.refresh_from_db()
    return plan


@pytest.mark.parametrize("count", [2, 3, 4, 5])
def test_a_lead_agency_proposes_one_plan_for_two_to_five_utilities(count, make):
    services = make(ALL[:count])
    plan = propose(services)
    assert plan.status == J.PROPOSED
    assert plan.participants.filter(active=True).count() == count
    # The largest works (the highest fee quote: electricity) lead by default.
    assert plan.lead_operator.code == "csg-zhongshan"
    assert plan.window_end > plan.window_start
    assert JointWorksEvent.objects.filter(plan=plan, transition="propose").count() == 1
    assert not PermitRequest.objects.exists()


def test_the_proposal_refuses_one_application_and_another_project(make, applicant_org, applicant):
    services = make(["electricity", "water"])
    with pytest.raises(ValidationError) as one:
        propose(services[:1])
    assert "service_applications" in one.value.message_dict
    other = services_for(
        ["gas"],
        applicant_org=applicant_org,
        applicant=applicant,
        project=ProjectFactory(owner=applicant_org, created_by=applicant),
    )
    with pytest.raises(ValidationError):
        propose([services[0], other[0]])


def test_only_a_participating_workgroups_lead_agency_may_propose(make):
    services = make(["electricity", "water"])
    with pytest.raises(PermissionDenied):
        from applications.services.joint_works import joint_works_plan_propose

        joint_works_plan_propose(
            actor=staff_of("housing"), service_applications=services, data=plan_input()
        )


def test_the_workgroup_lead_chooses_another_lead_operator(make, operators):
    services = make(["electricity", "water"])
    plan = propose(services, lead_operator="zs-water")
    assert plan.lead_operator.code == "zs-water"
    plan = joint_works_plan_act(
        actor=lead_of("water"),
        plan=plan,
        action="change_lead",
        data={"lead_operator": "csg-zhongshan"},
    )
    assert plan.lead_operator.code == "csg-zhongshan"
    with pytest.raises(ValidationError):
        joint_works_plan_act(
            actor=lead_of("water"),
            plan=plan,
            action="change_lead",
            data={"lead_operator": "gcable-zs"},
        )
    with pytest.raises(PermissionDenied):
        joint_works_plan_act(
            actor=operators("water"),
            plan=plan,
            action="change_lead",
            data={"lead_operator": "zs-water"},
        )


@pytest.mark.parametrize(
    "field,value",
    [
        ("window_working_days", 0),
        ("window_start", "2020-01-06"),
        ("route", {"type": "LineString", "coordinates": [[22.52, 113.48], [22.53, 113.49]]}),
        ("route", {"type": "LineString", "coordinates": [[113.48, 22.52]]}),
        ("route", {"type": "Point", "coordinates": [113.48, 22.52]}),
        ("route", {"type": "LineString", "coordinates": [[200, 22.52], [113.49, 22.53]]}),
        ("road_name", ""),
    ],
)
def test_bad_plan_input_is_a_field_error(make, field, value):
    services = make(["electricity", "water"])
    with pytest.raises(ValidationError) as error:
        propose(services, **{field: value})
    assert field in error.value.message_dict
    assert not JointWorksPlan.objects.exists()


def test_the_window_must_start_on_a_working_day(make):
    services = make(["electricity", "water"])
    day = window_start()
    while day.weekday() < 5:
        day += dt.timedelta(days=1)
    from workgroups.calendar import is_working_day

    if is_working_day(day):  # a make-up working day: try the Sunday after
        day += dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        propose(services, window_start=day.isoformat())
    assert "window_start" in error.value.message_dict


@pytest.mark.parametrize("order", list(itertools.permutations(["electricity", "water", "gas"])))
def test_confirmations_in_any_order_lock_the_plan_at_the_last_one(order, make, operators):
    services = make(["electricity", "water", "gas"])
    plan = propose(services)
    for index, utility in enumerate(order):
        plan = joint_works_plan_act(actor=operators(utility), plan=plan, action="confirm")
        assert plan.status == (J.CONFIRMED if index == 2 else J.PROPOSED)
    assert plan.locked_at is not None
    # ONE permit set for all three: each type once, not once per utility.
    permits = PermitRequest.objects.filter(joint_works_plan=plan)
    assert sorted(p.permit_type for p in permits) == [
        "planning",
        "road_excavation",
        "road_occupation",
    ]
    assert PermitRequest.objects.count() == 3


def test_confirming_twice_is_refused(make, operators):
    services = make(["electricity", "water"])
    plan = propose(services)
    joint_works_plan_act(actor=operators("water"), plan=plan, action="confirm")
    with pytest.raises(IllegalTransition):
        joint_works_plan_act(actor=operators("water"), plan=plan, action="confirm")


def test_another_window_needs_everyones_confirmation_again(make, operators):
    services = make(["electricity", "water", "gas"])
    plan = propose(services)
    joint_works_plan_act(actor=operators("electricity"), plan=plan, action="confirm")
    new_start = window_start(15)
    plan = joint_works_plan_act(
        actor=operators("water"),
        plan=plan,
        action="propose_window",
        data={"window_start": new_start, "window_working_days": 8, "reason": "避开汛期"},
    )
    assert plan.window_start == new_start and plan.window_working_days == 8
    confirmed = set(
        plan.participants.filter(confirmed_at__isnull=False).values_list(
            "operator__code", flat=True
        )
    )
    assert confirmed == {"zs-water"}  # the proposer agrees to its own window only
    plan = joint_works_plan_act(actor=operators("gas"), plan=plan, action="confirm")
    assert plan.status == J.PROPOSED
    plan = joint_works_plan_act(actor=operators("electricity"), plan=plan, action="confirm")
    assert plan.status == J.CONFIRMED


def test_an_operator_leaves_before_the_lock_with_a_reason(make, operators):
    services = make(["electricity", "water", "gas"])
    plan = propose(services)
    joint_works_plan_act(actor=operators("electricity"), plan=plan, action="confirm")
    joint_works_plan_act(actor=operators("water"), plan=plan, action="confirm")
    with pytest.raises(ValidationError):
        joint_works_plan_act(actor=operators("gas"), plan=plan, action="leave", data={})
    plan = joint_works_plan_act(
        actor=operators("gas"), plan=plan, action="leave", data={"reason": "改为架空敷设"}
    )
    # The two left had both confirmed: the plan locks.
    assert plan.status == J.CONFIRMED
    gone = plan.participants.get(operator__code="towngas-zs")
    assert (gone.active, gone.leave_reason) == (False, "改为架空敷设")
    with pytest.raises(PermissionDenied):
        joint_works_plan_act(actor=operators("gas"), plan=plan, action="report_installed")
    # Leaving after the lock is refused.
    with pytest.raises(IllegalTransition):
        joint_works_plan_act(
            actor=operators("water"), plan=plan, action="leave", data={"reason": "太晚了"}
        )


def test_the_last_but_one_leaving_cancels_the_plan_and_frees_the_other(make, operators, applicant):
    services = make(["electricity", "water"])
    plan = propose(services)
    # The applicant confirms the water plan first: it waits for the joint permits.
    water = service_application_transition(
        actor=applicant, service_application=services[1], transition="confirm_plan"
    )
    assert water.status == ServiceStatus.PERMITTING
    assert not PermitRequest.objects.filter(service_application=water).exists()
    plan = joint_works_plan_act(
        actor=operators("electricity"), plan=plan, action="leave", data={"reason": "方案调整"}
    )
    assert plan.status == J.CANCELLED
    assert not plan.participants.filter(active=True).exists()
    # Water files its own permits now.
    own = PermitRequest.objects.filter(service_application=water, joint_works_plan=None)
    assert sorted(own.values_list("permit_type", flat=True)) == [
        "road_excavation",
        "road_occupation",
    ]


def test_applications_follow_the_plan_through_permitting_to_construction(
    make, operators, applicant
):
    services = make(["electricity", "water", "gas"])
    plan = propose(services)
    electricity = service_application_transition(
        actor=applicant, service_application=services[0], transition="confirm_plan"
    )
    assert electricity.status == ServiceStatus.PERMITTING
    plan = _confirm_all(plan, services, operators)
    water = service_application_transition(
        actor=applicant, service_application=services[1], transition="confirm_plan"
    )
    assert water.status == ServiceStatus.PERMITTING
    # Still one permit set: the participants never file their own.
    assert PermitRequest.objects.count() == 3
    assert not PermitRequest.objects.filter(joint_works_plan=None).exists()
    plan = _approve_all(plan)
    assert plan.status == J.PERMITTED
    for sa in services[:2]:
        sa.refresh_from_db()
        assert sa.status == ServiceStatus.CONSTRUCTING
        assert StateChange.objects.filter(
            service_application=sa, transition="permits_approved", actor=None
        ).exists()
    # Gas confirms its plan after the permits: straight on to construction.
    gas = service_application_transition(
        actor=applicant, service_application=services[2], transition="confirm_plan"
    )
    gas.refresh_from_db()
    assert gas.status == ServiceStatus.CONSTRUCTING
    assert PermitRequest.objects.count() == 3


def test_a_returned_joint_permit_is_filed_again_once(make, operators, applicant):
    services = make(["electricity", "water"])
    plan = propose(services)
    for sa in services:
        service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    plan = _confirm_all(plan, services, operators)
    planning = PermitRequest.objects.get(joint_works_plan=plan, permit_type="planning")
    permit_request_decide(
        actor=staff_of("natural-resources"),
        permit_request=planning,
        decision="return_to_applicant",
        data={"reason": "补充管线综合图"},
    )
    for sa in services:
        sa.refresh_from_db()
        assert sa.status == ServiceStatus.RETURNED
    for sa in services:
        service_application_transition(
            actor=applicant, service_application=sa, transition="resubmit"
        )
    rounds = PermitRequest.objects.filter(joint_works_plan=plan, permit_type="planning")
    assert sorted(rounds.values_list("round", flat=True)) == [1, 2]
    plan = _approve_all(plan)
    assert plan.status == J.PERMITTED


def test_a_rejected_joint_permit_cancels_the_plan_and_rejects_its_applications(
    make, operators, applicant
):
    services = make(["electricity", "water"])
    plan = propose(services)
    for sa in services:
        service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    plan = _confirm_all(plan, services, operators)
    permit = PermitRequest.objects.get(joint_works_plan=plan, permit_type="road_excavation")
    permit_request_decide(
        actor=staff_of("urban-management"),
        permit_request=permit,
        decision="reject",
        data={"reason": "道路刚完成大修"},
    )
    plan.refresh_from_db()
    assert plan.status == J.CANCELLED
    for sa in services:
        sa.refresh_from_db()
        assert sa.status == ServiceStatus.REJECTED
    assert not PermitRequest.objects.filter(status=PermitStatus.PENDING).exists()


def _to_excavating(make, operators, applicant, utilities):
    services = make(utilities)
    plan = propose(services)
    for sa in services:
        service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    plan = _confirm_all(plan, services, operators)
    plan = _approve_all(plan)
    return services, joint_works_plan_act(
        actor=operators("electricity"), plan=plan, action="start_excavation"
    )


def test_only_the_lead_operator_digs_backfills_and_restores(make, operators, applicant):
    services = make(["electricity", "water"])
    plan = propose(services)
    for sa in services:
        service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    plan = _approve_all(_confirm_all(plan, services, operators))
    with pytest.raises(PermissionDenied):
        joint_works_plan_act(actor=operators("water"), plan=plan, action="start_excavation")
    plan = joint_works_plan_act(
        actor=operators("electricity"), plan=plan, action="start_excavation"
    )
    assert plan.status == J.EXCAVATING


def test_backfill_is_refused_until_every_operator_reports_its_conduit_in(
    make, operators, applicant
):
    utilities = ["electricity", "water", "gas", "network"]
    services, plan = _to_excavating(make, operators, applicant, utilities)
    for index, utility in enumerate(utilities):
        with pytest.raises(IllegalTransition) as refused:
            joint_works_plan_act(actor=operators("electricity"), plan=plan, action="backfill")
        assert "所有企业报告管线敷设完成" in refused.value.message
        plan = joint_works_plan_act(actor=operators(utility), plan=plan, action="report_installed")
        assert plan.status == (J.INSTALLED if index == 3 else J.EXCAVATING)
    with pytest.raises(IllegalTransition):
        joint_works_plan_act(actor=operators("water"), plan=plan, action="report_installed")
    plan = joint_works_plan_act(actor=operators("electricity"), plan=plan, action="backfill")
    assert plan.status == J.BACKFILLED
    today = local_date(timezone.now())
    with pytest.raises(ValidationError):
        joint_works_plan_act(
            actor=operators("electricity"),
            plan=plan,
            action="restore",
            data={"restored_on": today + dt.timedelta(days=3)},
        )
    plan = joint_works_plan_act(
        actor=operators("electricity"), plan=plan, action="restore", data={"restored_on": today}
    )
    assert plan.status == J.RESTORED and plan.restored_on == today
    moves = list(JointWorksEvent.objects.filter(plan=plan).values_list("transition", flat=True))
    assert moves[0] == "propose" and moves[-1] == "restore"


def test_an_operator_outside_the_plan_does_not_see_it(make, operators):
    services = make(["electricity", "water"])
    plan = propose(services)
    with pytest.raises(NotFound):
        joint_works_plan_act(actor=staff_of("mobile-zs"), plan=plan, action="confirm")


def test_an_operator_joins_an_open_plan_with_its_own_work(
    make, operators, applicant_org, applicant
):
    services = make(["electricity", "water"])
    plan = propose(services)
    other_project = ProjectFactory(owner=applicant_org, created_by=applicant)
    (network,) = services_for(
        ["network"], applicant_org=applicant_org, applicant=applicant, project=other_project
    )
    with pytest.raises(PermissionDenied):
        joint_works_plan_join(actor=operators("water"), plan=plan, service_application=network)
    plan = joint_works_plan_join(actor=operators("network"), plan=plan, service_application=network)
    assert plan.participants.filter(active=True).count() == 3
    plan = _confirm_all(plan, [*services, network], operators)
    assert plan.status == J.CONFIRMED


def test_a_withdrawn_application_leaves_its_plan(make, operators, applicant):
    services = make(["electricity", "water", "gas"])
    plan = propose(services)
    joint_works_plan_act(actor=operators("electricity"), plan=plan, action="confirm")
    joint_works_plan_act(actor=operators("water"), plan=plan, action="confirm")
    service_application_transition(
        actor=applicant,
        service_application=services[2],
        transition="withdraw",
        data={"reason": "不再需要燃气"},
    )
    plan.refresh_from_db()
    # The two left had confirmed: the plan locks and files its permits without gas's needs.
    assert plan.status == J.CONFIRMED
    assert not plan.participants.get(operator__code="towngas-zs").active
    assert JointWorksEvent.objects.filter(plan=plan, transition="participant_withdrawn").exists()
    with pytest.raises(PermissionDenied):
        joint_works_plan_act(actor=operators("gas"), plan=plan, action="confirm")
