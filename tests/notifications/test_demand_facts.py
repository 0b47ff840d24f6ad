"""Demands and their escalations reach people through the facts they record: the workgroup
and the town hear of a new demand, the submitter of the answer (in the inbox, or by e-mail with
the private link when they have no account), each tier of the escalation it holds."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from coordination.access import demand_private_path
from coordination.services import (
    DemandInput,
    coordination_sweep,
    demand_submit,
    demand_transition,
)
from notifications.constants import Channel, EventType
from notifications.models import Delivery
from notifications.services import deliveries_send, facts_process
from tests.factories import staff_of
from workgroups.models import Town

CST = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def _demand(actor=None, now=None, **overrides) -> DemandInput:
    fields = {
        "kind": "need",
        "theme": "connection",
        "utility": "electricity",
        "town": Town.objects.get(code="nanlang"),
        "title": "新厂房需要双电源",
        "description": "请提前规划10kV双电源接入。",
        "contact_name": "周经理",
        "contact_email": "zhou@example.cn",
    }
    fields.update(overrides)
    return demand_submit(actor=actor, data=DemandInput(**fields), now=now)


@pytest.fixture
def people(reference):
    return {code: staff_of(code, username=f"n-{code}") for code in ("ndrc", "cuiheng", "housing")}


def _recipients(event_type: str, channel: str) -> set[str]:
    rows = Delivery.objects.filter(event_type=event_type, channel=channel)
    return {
        row.recipient_address
        or (row.recipient_organization.code if row.recipient_organization else "")
        for row in rows
    }


def test_a_new_demand_reaches_its_workgroup_and_its_town_once(people, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.gov.cn"
    demand = _demand()
    facts_process()
    facts_process()
    received = EventType.DEMAND_RECEIVED
    assert _recipients(received, Channel.IN_APP) == {"ndrc", "cuiheng"}
    staff_mail = Delivery.objects.filter(event_type=received, channel=Channel.EMAIL)
    assert {d.recipient_user for d in staff_mail if d.recipient_user} == {
        people["ndrc"],
        people["cuiheng"],
    }
    # The submitter without an account gets the receipt with the private link, by e-mail.
    receipt = staff_mail.get(recipient_address="zhou@example.cn")
    assert "https://portal.example.gov.cn" + demand_private_path(demand) in receipt.body
    assert demand.reference in receipt.subject
    # Nothing of the submitter's contact goes into what other systems may receive.
    assert all("zhou" not in str(d.payload) for d in Delivery.objects.all())


def test_the_answer_reaches_the_submitter_without_an_account_by_e_mail(people):
    demand = _demand()
    demand_transition(
        actor=people["ndrc"],
        demand=demand,
        transition="answer",
        data={"answer": "已纳入明年电网规划。"},
    )
    facts_process()
    answer = Delivery.objects.get(
        event_type=EventType.DEMAND_ANSWERED, recipient_address="zhou@example.cn"
    )
    assert "已纳入明年电网规划" in answer.body
    assert demand_private_path(demand) in answer.body
    deliveries_send(delivery_ids=[answer.pk])
    sent = [m for m in mail.outbox if m.to == ["zhou@example.cn"]]
    assert len(sent) == 1 and demand_private_path(demand) in sent[0].body


def test_not_solved_tells_the_workgroup_again(people, applicant):
    demand = _demand(actor=applicant)
    demand = demand_transition(
        actor=people["ndrc"], demand=demand, transition="answer", data={"answer": "已处理"}
    )
    demand_transition(
        actor=applicant, demand=demand, transition="report_unsolved", data={"reason": "没有解决"}
    )
    facts_process()
    assert _recipients(EventType.DEMAND_REOPENED, Channel.IN_APP) == {"ndrc", "cuiheng"}
    assert not Delivery.objects.filter(recipient_address="zhou@example.cn").exists()


def test_each_tier_hears_of_the_escalation_it_holds(people):
    people["office"] = staff_of("leadership-office", username="n-office")
    received = dt.datetime(2025, 9, 30, 10, tzinfo=CST)
    demand = _demand(now=received)
    coordination_sweep(now=dt.datetime(2025, 10, 10, 9, tzinfo=CST))  # tier 1
    coordination_sweep(now=dt.datetime(2025, 10, 13, 9, tzinfo=CST))  # climbed to tier 2
    facts_process()
    escalations = Delivery.objects.filter(event_type=EventType.ESCALATION, channel=Channel.IN_APP)
    tiers = {(d.payload["tier"], d.recipient_organization.code) for d in escalations}
    assert tiers == {(1, "ndrc"), (2, "leadership-office")}
    assert all(d.payload["demand"] == str(demand.uuid) for d in escalations)
