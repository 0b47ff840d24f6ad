"""Referral up (提级协调, policy 四(八)) as far as demands need it: a workgroup's lead agency
refers a demand it cannot solve to the leadership office with a reason, the office refers it to
the leading group, the holder resolves it, and the resolution flows back down."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination.constants import DemandStatus, EscalationOrigin, EscalationStatus
from coordination.models import DemandHistory, ItemEscalation, ItemEscalationEvent
from coordination.services import coordination_sweep, demand_transition
from notifications.constants import Channel, EventType
from notifications.models import Delivery
from notifications.services import facts_process
from tests.error_summary import assert_error_summary

from .conftest import at, client_for

pytestmark = pytest.mark.django_db


def _refer(client, demand, reason="涉及道路开挖审批，需市级统筹协调。"):
    url = reverse("staff:demand_act", args=[demand.uuid, "refer_up"])
    return client.post(url, {"refer_up-reason": reason})


def _escalation_url(escalation, action):
    return reverse("staff:demand_escalation", args=[escalation.uuid, action])


def test_a_lead_refers_a_demand_to_the_leadership_office(submit_demand, staff):
    demand = submit_demand(when=at(10, 9))
    due_before = demand.due_at
    lead = client_for(staff("ndrc"))
    assert _refer(lead, demand).status_code == 302
    referral = ItemEscalation.objects.get()
    assert (referral.origin, referral.tier, referral.status) == (
        EscalationOrigin.REFERRAL,
        2,
        EscalationStatus.OPEN,
    )
    assert referral.reason == "涉及道路开挖审批，需市级统筹协调。"
    assert referral.referred_by == staff("ndrc")
    demand.refresh_from_db()
    # The demand's own state and clock stay: the workgroup still owes the answer.
    assert (demand.status, demand.due_at) == (DemandStatus.SUBMITTED, due_before)
    entry = DemandHistory.objects.filter(demand=demand).last()
    assert (entry.transition, entry.from_state, entry.to_state) == (
        "refer_up",
        "submitted",
        "submitted",
    )
    # The office finds it on its page with the reason, and may act on it.
    office = client_for(staff("leadership-office"))
    page = office.get(reverse("staff:demand_escalations")).content.decode()
    assert f'data-escalation="{referral.uuid}"' in page
    assert "需市级统筹协调" in page
    assert 'data-action="escalation-refer_up"' in page
    # Once referred, it cannot be referred again until resolved.
    again = _refer(lead, demand)
    assert again.status_code == 409
    assert ItemEscalation.objects.count() == 1
    offered = lead.get(reverse("staff:demand", args=[demand.uuid])).content.decode()
    assert 'data-action="refer_up"' not in offered


def test_the_office_refers_up_the_leading_group_resolves_and_it_flows_down(submit_demand, staff):
    demand = submit_demand()
    _refer(client_for(staff("ndrc")), demand)
    referral = ItemEscalation.objects.get()
    office = client_for(staff("leadership-office"))
    # The leads hold tier 1, not the office's tier: they may not refer it further.
    lead = client_for(staff("ndrc"))
    assert lead.post(_escalation_url(referral, "refer_up"), {"reason": "x" * 5}).status_code == 403
    assert_error_summary(
        office.post(_escalation_url(referral, "refer_up"), {"reason": ""}),
        "请说明需要上一级协调的原因。",
    )
    response = office.post(
        _escalation_url(referral, "refer_up"),
        {"reason": "跨部门分歧，提请领导小组调度。", "from": "escalations"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:demand_escalations")
    referral.refresh_from_db()
    assert (referral.tier, referral.status) == (3, EscalationStatus.OPEN)
    group = client_for(staff("leading-group"))
    page = group.get(reverse("staff:demand_escalations")).content.decode()
    assert f'data-escalation="{referral.uuid}"' in page
    assert "跨部门分歧" in page  # its history travels with it
    assert 'data-action="escalation-refer_up"' not in page  # the top tier
    resolved = group.post(_escalation_url(referral, "resolve"), {"note": "由城管局限期审批。"})
    assert resolved.status_code == 302
    referral.refresh_from_db()
    assert referral.status == EscalationStatus.RESOLVED
    demand.refresh_from_db()
    assert not demand.referral_open
    kinds = list(ItemEscalationEvent.objects.values_list("kind", "tier"))
    assert kinds == [("opened", 2), ("climbed", 3), ("resolved", 3)]
    facts_process()
    told = Delivery.objects.filter(event_type=EventType.ESCALATION, channel=Channel.IN_APP)
    by_kind = {}
    for row in told:
        by_kind.setdefault(row.payload["kind"], set()).add(row.recipient_organization.code)
    assert by_kind["opened"] == {"leadership-office"}
    assert by_kind["climbed"] == {"leading-group"}
    # The resolution reaches every tier it passed, down to the workgroup's lead agency.
    assert by_kind["resolved"] == {"ndrc", "leadership-office", "leading-group"}
    # Resolved, the workgroup may refer it again.
    assert _refer(client_for(staff("ndrc")), demand, reason="仍需协调。").status_code == 302


def test_a_referral_neither_climbs_by_itself_nor_closes_when_the_demand_moves(submit_demand, staff):
    demand = submit_demand(when=at(9, 30))
    _refer(client_for(staff("ndrc")), demand)
    demand_transition(
        actor=staff("ndrc"), demand=demand, transition="answer", data={"answer": "已答复。"}
    )
    coordination_sweep(now=at(11, 28))
    referral = ItemEscalation.objects.get(origin=EscalationOrigin.REFERRAL)
    assert (referral.tier, referral.status) == (2, EscalationStatus.OPEN)


@pytest.mark.parametrize(("code", "status"), [("housing", 404), ("cuiheng", 403)])
def test_only_the_workgroups_lead_refers_its_demand(code, status, submit_demand, staff):
    demand = submit_demand()
    assert _refer(client_for(staff(code)), demand).status_code == status
    assert not ItemEscalation.objects.exists()


def test_a_referral_needs_a_reason(submit_demand, staff):
    demand = submit_demand()
    response = _refer(client_for(staff("ndrc")), demand, reason=" ")
    assert_error_summary(response, "请说明需要上一级协调的原因。", field="id_refer_up-reason")
    assert re.search(r'id="id_refer_up-reason_errors"', response.content.decode())
    assert not ItemEscalation.objects.exists()


def test_the_escalations_page_costs_the_same_queries_for_many(
    submit_demand, staff, django_assert_max_num_queries
):
    lead = client_for(staff("ndrc"))
    office = client_for(staff("leadership-office"))
    _refer(lead, submit_demand())
    with CaptureQueriesContext(connection) as few:
        assert office.get(reverse("staff:demand_escalations")).status_code == 200
    budget = len(few.captured_queries)  # counted now: each later request resets the log
    for _ in range(8):
        _refer(lead, submit_demand())
    with django_assert_max_num_queries(budget):
        page = office.get(reverse("staff:demand_escalations")).content.decode()
    assert page.count('data-action="escalation-refer_up"') == 9
