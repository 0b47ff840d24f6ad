"""Who holds an escalation tier: one answer, read the same way by every caller."""

import pytest

from workgroups.models import EscalationTier, Organization, Workgroup
from workgroups.selectors import escalation_holders

pytestmark = pytest.mark.django_db

TIERS = (1, 2, 3)


def _agrees_with_handling(holders, org_id: int) -> None:
    workgroup_ids, from_tier = holders.reach([org_id])
    for workgroup_id in Workgroup.objects.values_list("pk", flat=True):
        for tier in TIERS:
            reached = workgroup_id in workgroup_ids or (from_tier is not None and tier >= from_tier)
            handles = org_id in holders.handling(workgroup_id=workgroup_id, tier=tier)
            assert reached == handles, (org_id, workgroup_id, tier)


def test_what_an_organisation_reaches_is_what_it_may_handle(reference):
    holders = escalation_holders()
    for org_id in Organization.objects.values_list("pk", flat=True):
        _agrees_with_handling(holders, org_id)


def test_an_organisation_given_a_tier_reaches_that_tier_and_above(reference):
    housing = Organization.objects.get(code="housing")
    EscalationTier.objects.filter(level=2).update(organization=housing)
    holders = escalation_holders()
    workgroup_ids, from_tier = holders.reach([housing.pk])
    assert from_tier == 2
    assert workgroup_ids == {Workgroup.objects.get(code="gas").pk}
    _agrees_with_handling(holders, housing.pk)
    office = Organization.objects.get(code="leadership-office")
    assert escalation_holders().reach([office.pk]) == (frozenset(), None)


def test_the_holders_are_every_lead_agency_and_every_tier_organisation(reference):
    holders = escalation_holders()
    handling = set().union(
        *(
            holders.handling(workgroup_id=workgroup_id, tier=tier)
            for workgroup_id in Workgroup.objects.values_list("pk", flat=True)
            for tier in TIERS
        )
    )
    assert holders.organizations == handling
    codes = set(
        Organization.objects.filter(pk__in=holders.organizations).values_list("code", flat=True)
    )
    assert {"ndrc", "leadership-office", "leading-group"} <= codes
    assert "csg-zhongshan" not in codes
