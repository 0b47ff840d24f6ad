"""A demand goes to the workgroup of its utility and to its town: exactly their staff see it
and may act on it, and a demand may be about the submitter's own case only."""

import pytest

from applications.constants import ServiceStatus
from coordination.models import Demand, DemandHistory
from coordination.permissions import ANSWER_AS_TOWN, HANDLE_DEMAND, SUBMITTER, VIEW_DEMAND
from coordination.services import demand_submit
from core.errors import ValidationError
from tests.factories import company, make_service, member_of
from workgroups.models import Town

from .conftest import demand_input

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("utility", "leads"),
    [
        ("electricity", {"ndrc"}),
        ("water", {"water-bureau"}),
        ("gas", {"housing"}),
        ("network", {"comms-office", "miit"}),
        ("cable_tv", {"culture-tourism"}),
    ],
)
def test_a_demand_is_routed_to_the_workgroup_of_its_utility(utility, leads, submit_demand, staff):
    demand = submit_demand(utility=utility)
    assert demand.workgroup.code == utility
    everyone = {"ndrc", "water-bureau", "housing", "comms-office", "miit", "culture-tourism"}
    for code in everyone:
        user = staff(code)
        assert user.has_perm(VIEW_DEMAND, demand) == (code in leads), code
        assert user.has_perm(HANDLE_DEMAND, demand) == (code in leads), code


@pytest.mark.parametrize(
    ("town", "governor"),
    [("nanlang", "cuiheng"), ("zhongshangang", "torch-zone"), ("xiaolan", "xiaolan-gov")],
)
def test_a_demand_is_routed_to_its_town_which_may_answer_but_not_handle_it(
    town, governor, submit_demand, staff
):
    demand = submit_demand(town=Town.objects.get(code=town))
    town_staff = staff(governor)
    assert town_staff.has_perm(VIEW_DEMAND, demand)
    assert town_staff.has_perm(ANSWER_AS_TOWN, demand)
    assert not town_staff.has_perm(HANDLE_DEMAND, demand)
    other = staff("shiqi-office")
    assert not other.has_perm(VIEW_DEMAND, demand)


def test_operators_are_not_routed_demands(submit_demand, staff):
    demand = submit_demand(utility="electricity")
    assert not staff("csg-zhongshan").has_perm(VIEW_DEMAND, demand)


def test_a_signed_in_demand_belongs_to_the_submitters_organisation(
    submit_demand, applicant, applicant_org
):
    demand = submit_demand(actor=applicant)
    assert demand.organization == applicant_org
    assert demand.submitted_by == applicant
    colleague = member_of(applicant_org, username="colleague")
    assert colleague.has_perm(SUBMITTER, demand)
    assert demand.reference.startswith("SQ") and len(demand.reference) == 13
    entry = DemandHistory.objects.get(demand=demand)
    assert (entry.transition, entry.from_state, entry.to_state) == ("submit", "", "submitted")
    assert (entry.actor, entry.actor_organization) == (applicant, applicant_org)


def test_a_demand_may_be_about_the_submitters_own_case_never_another(
    reference, applicant, applicant_org, project
):
    own = make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    demand = demand_submit(actor=applicant, data=demand_input(service_application=own))
    assert demand.service_application == own

    rival_org = company(code="rival", name="另一家公司")
    rival = member_of(rival_org, username="rival")
    with pytest.raises(ValidationError) as refused:
        demand_submit(actor=rival, data=demand_input(service_application=own))
    assert "case" in refused.value.message_dict
    # Without an account no case can be named either.
    with pytest.raises(ValidationError) as refused:
        demand_submit(actor=None, data=demand_input(service_application=own))
    assert "case" in refused.value.message_dict
    assert Demand.objects.count() == 1


def test_a_case_of_another_utility_or_still_a_draft_is_refused(
    reference, applicant, applicant_org, project
):
    water = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        utility="water",
        operator_code="zs-water",
    )
    with pytest.raises(ValidationError) as refused:
        demand_submit(actor=applicant, data=demand_input(service_application=water))
    assert "case" in refused.value.message_dict
    draft = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status=ServiceStatus.DRAFT,
    )
    with pytest.raises(ValidationError):
        demand_submit(actor=applicant, data=demand_input(service_application=draft))


def test_without_an_account_a_contact_is_required(reference):
    with pytest.raises(ValidationError) as refused:
        demand_submit(actor=None, data=demand_input(contact_name="", contact_mobile=""))
    assert {"contact_name", "contact_mobile"} <= set(refused.value.message_dict)
    demand = demand_submit(
        actor=None, data=demand_input(contact_mobile="", contact_email="chen@example.cn")
    )
    assert demand.organization is None and demand.submitted_by is None
    assert demand.contact_email == "chen@example.cn"
