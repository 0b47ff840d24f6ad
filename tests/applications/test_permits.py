"""Parallel outside-line permits (并联审批)."""

import itertools

import pytest

from applications.constants import PermitStatus, ServiceStatus
from applications.models import PermitRequest, StateChange
from applications.services import permit_request_decide, service_application_transition
from core.errors import IllegalTransition, NotFound, PermissionDenied
from tests.factories import make_service, staff_of

PERMITS = ["planning", "road_excavation", "road_occupation"]
AGENCY = {
    "planning": "natural-resources",
    "road_excavation": "urban-management",
    "road_occupation": "public-security",
}


@pytest.fixture
def agencies(reference):
    return {permit_type: staff_of(code) for permit_type, code in AGENCY.items()}


@pytest.fixture
def permitting(applicant_org, applicant, project):
    sa = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status=ServiceStatus.PLAN_ISSUED,
        required_permits=PERMITS,
    )
    return service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )


def _permit(sa, permit_type):
    return PermitRequest.objects.filter(service_application=sa, permit_type=permit_type).latest(
        "round"
    )


def test_all_permits_are_issued_at_once_to_their_agencies(permitting):
    permits = PermitRequest.objects.filter(service_application=permitting)
    assert {p.permit_type: p.agency.code for p in permits} == AGENCY
    assert {p.status for p in permits} == {PermitStatus.PENDING}
    assert len({p.issued_at for p in permits}) == 1
    assert all(p.due_at for p in permits)


@pytest.mark.parametrize("order", list(itertools.permutations(PERMITS)))
def test_the_case_moves_on_when_the_last_permit_is_approved(order, permitting, agencies):
    for index, permit_type in enumerate(order):
        permit_request_decide(
            actor=agencies[permit_type],
            permit_request=_permit(permitting, permit_type),
            decision="approve",
        )
        permitting.refresh_from_db()
        expected = ServiceStatus.CONSTRUCTING if index == 2 else ServiceStatus.PERMITTING
        assert permitting.status == expected
    advances = StateChange.objects.filter(
        service_application=permitting, transition="permits_approved"
    )
    assert advances.count() == 1
    assert advances.get().actor is None  # the system moved it


def test_a_returned_permit_sends_the_case_to_the_applicant_with_the_reason(
    permitting, agencies, applicant
):
    permit_request_decide(
        actor=agencies["planning"],
        permit_request=_permit(permitting, "planning"),
        decision="approve",
    )
    permit_request_decide(
        actor=agencies["road_excavation"],
        permit_request=_permit(permitting, "road_excavation"),
        decision="return_to_applicant",
        data={"reason": "开挖路段与地铁施工冲突,请调整路由"},
    )
    permitting.refresh_from_db()
    assert permitting.status == ServiceStatus.RETURNED
    assert permitting.last_reason == "开挖路段与地铁施工冲突,请调整路由"
    assert permitting.due_at is None and permitting.paused_since is not None

    # The applicant corrects; only the returned permit is filed again, the approved one stays.
    permitting = service_application_transition(
        actor=applicant, service_application=permitting, transition="resubmit"
    )
    assert permitting.status == ServiceStatus.PERMITTING
    reissued = _permit(permitting, "road_excavation")
    assert (reissued.round, reissued.status) == (2, PermitStatus.PENDING)
    assert _permit(permitting, "planning").round == 1
    for permit_type in ("road_excavation", "road_occupation"):
        permit_request_decide(
            actor=agencies[permit_type],
            permit_request=_permit(permitting, permit_type),
            decision="approve",
        )
    permitting.refresh_from_db()
    assert permitting.status == ServiceStatus.CONSTRUCTING


def test_a_rejected_permit_rejects_the_case_and_cancels_the_rest(permitting, agencies):
    permit_request_decide(
        actor=agencies["road_occupation"],
        permit_request=_permit(permitting, "road_occupation"),
        decision="reject",
        data={"reason": "该路段禁止占道施工"},
    )
    permitting.refresh_from_db()
    assert permitting.status == ServiceStatus.REJECTED
    statuses = dict(PermitRequest.objects.values_list("permit_type", "status"))
    assert statuses == {
        "planning": PermitStatus.CANCELLED,
        "road_excavation": PermitStatus.CANCELLED,
        "road_occupation": PermitStatus.REJECTED,
    }


def test_an_agency_decides_only_its_own_permits(permitting, agencies, operator_staff):
    planning = _permit(permitting, "planning")
    with pytest.raises(NotFound):
        permit_request_decide(
            actor=agencies["road_excavation"], permit_request=planning, decision="approve"
        )
    # The operator may follow the permit but not decide it.
    with pytest.raises(PermissionDenied):
        permit_request_decide(
            actor=operator_staff("csg-zhongshan"), permit_request=planning, decision="approve"
        )
    assert _permit(permitting, "planning").status == PermitStatus.PENDING


def test_a_decided_permit_cannot_be_decided_again(permitting, agencies):
    planning = _permit(permitting, "planning")
    permit_request_decide(actor=agencies["planning"], permit_request=planning, decision="approve")
    with pytest.raises(IllegalTransition):
        permit_request_decide(
            actor=agencies["planning"],
            permit_request=planning,
            decision="reject",
            data={"reason": "改变主意"},
        )


def test_return_and_reject_need_a_reason(permitting, agencies):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        permit_request_decide(
            actor=agencies["planning"],
            permit_request=_permit(permitting, "planning"),
            decision="return_to_applicant",
        )
    assert "reason" in caught.value.message_dict


def test_withdrawing_cancels_pending_permits(permitting, applicant):
    service_application_transition(
        actor=applicant, service_application=permitting, transition="withdraw"
    )
    assert set(PermitRequest.objects.values_list("status", flat=True)) == {PermitStatus.CANCELLED}


def test_decisions_available_follow_the_state_and_the_agency(permitting, agencies):
    from applications.workflow import transitions_available

    planning = _permit(permitting, "planning")
    mine = transitions_available(actor=agencies["planning"], obj=planning)
    assert mine == ["approve", "return_to_applicant", "reject"]
    other = transitions_available(actor=agencies["road_excavation"], obj=planning)
    assert other == []
    permit_request_decide(actor=agencies["planning"], permit_request=planning, decision="approve")
    planning.refresh_from_db()
    assert transitions_available(actor=agencies["planning"], obj=planning) == []
