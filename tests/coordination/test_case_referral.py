"""Referral up of cases (提级协调, issue 14 item 3): the workgroup's lead agency refers a case it
cannot solve to the leadership office with a reason, the office refers it on to the leading
group, the holder resolves it; the resolution flows back down every tier to the lead agency
(and the operator), and the operator reads the case's escalations on the case page and in
its API."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.constants import ServiceStatus
from applications.models import Escalation, ServiceApplication
from applications.services import sla_sweep
from coordination.constants import EscalationOrigin, EscalationStatus, ItemKind
from coordination.models import ItemEscalation, ItemEscalationEvent
from coordination.services import case_refer_up
from core.errors import IllegalTransition
from notifications.constants import Channel, EventType
from notifications.models import Delivery
from notifications.services import facts_process
from tests.error_summary import assert_error_summary

from .conftest import client_for

pytestmark = pytest.mark.django_db

REASON = "外线需穿越市政道路，多部门审批意见不一，需市级统筹。"


@pytest.fixture
def case(submit):
    combined = submit(["electricity", "water"])
    return combined, {sa.utility: sa for sa in combined.services.all()}


def _refer(client, sa, reason=REASON):
    return client.post(reverse("staff:case_refer_up", args=[sa.uuid]), {f"r{sa.pk}-reason": reason})


def _act(client, referral, action, **data):
    return client.post(reverse("staff:demand_escalation", args=[referral.uuid, action]), data)


def _case_page(client, combined) -> str:
    response = client.get(reverse("staff:case", args=[combined.uuid]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_lead_refers_a_case_up_and_it_keeps_its_state_and_clock(case, staff):
    combined, services = case
    sa = services["electricity"]
    lead = client_for(staff("ndrc"))
    page = _case_page(lead, combined)
    assert f'data-refer-up="{sa.uuid}"' in page
    # Water's lead is another agency: no form under water for 发改局.
    assert f'data-refer-up="{services["water"].uuid}"' not in page

    response = _refer(lead, sa)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:case", args=[combined.uuid]))
    referral = ItemEscalation.objects.get()
    assert (referral.item_kind, referral.origin, referral.tier, referral.status) == (
        ItemKind.CASE,
        EscalationOrigin.REFERRAL,
        2,
        EscalationStatus.OPEN,
    )
    assert (referral.service_application, referral.reason, referral.referred_by) == (
        sa,
        REASON,
        staff("ndrc"),
    )
    before = (sa.status, sa.due_at)
    sa.refresh_from_db()
    assert (sa.status, sa.due_at) == before == (ServiceStatus.SUBMITTED, sa.due_at)
    page = _case_page(lead, combined)
    assert f'data-escalation="{referral.uuid}"' in page and REASON in page
    assert f'data-refer-up="{sa.uuid}"' not in page  # one open referral at a time
    assert _refer(lead, sa).status_code == 409
    assert ItemEscalation.objects.count() == 1


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("csg-zhongshan", 403),  # the operator reads the case but does not refer it
        ("housing", 404),  # another workgroup's lead
        ("leadership-office", 403),  # reads every case; it receives referrals
        ("cuiheng", 403),  # the town reads the case in its area
        ("torch-zone", 404),
    ],
)
def test_only_the_workgroups_lead_agency_refers_a_case(case, staff, code, status):
    _, services = case
    assert _refer(client_for(staff(code)), services["electricity"]).status_code == status
    assert not ItemEscalation.objects.exists()


def test_a_referral_needs_a_reason(case, staff):
    _, services = case
    response = _refer(client_for(staff("ndrc")), services["electricity"], reason=" ")
    assert_error_summary(response, "请说明需要上一级协调的原因。")
    assert "Say why it needs the next tier." in response.content.decode() or "说明" in (
        response.content.decode()
    )
    assert not ItemEscalation.objects.exists()


def test_two_referrals_of_one_case_at_once_leave_one(case, staff):
    _, services = case
    sa = services["electricity"]
    case_refer_up(actor=staff("ndrc"), service_application=sa, reason=REASON)
    with pytest.raises(IllegalTransition):
        case_refer_up(actor=staff("ndrc"), service_application=sa, reason="再次提级。")
    assert ItemEscalation.objects.filter(service_application=sa).count() == 1


def test_up_to_the_leading_group_and_the_resolution_flows_down_to_every_tier(case, staff):
    combined, services = case
    sa = services["electricity"]
    _refer(client_for(staff("ndrc")), sa)
    referral = ItemEscalation.objects.get()
    office = client_for(staff("leadership-office"))
    for url in (reverse("staff:referrals"), reverse("staff:demand_escalations")):
        page = office.get(url).content.decode()
        assert f'data-escalation="{referral.uuid}"' in page
        assert 'data-item-kind="case"' in page and REASON in page
    # Only cases, when asked.
    page = office.get(reverse("staff:referrals"), {"kind": "demand"}).content.decode()
    assert f'data-escalation="{referral.uuid}"' not in page
    # The lead agency may not refer the office's referral further.
    assert _act(client_for(staff("ndrc")), referral, "refer_up", reason="xx").status_code == 403
    moved = _act(
        office,
        referral,
        "refer_up",
        reason="涉及多部门职责，提请领导小组。",
        **{"from": "referrals"},
    )
    assert (moved.status_code, moved["Location"]) == (302, reverse("staff:referrals"))
    group = client_for(staff("leading-group"))
    page = group.get(reverse("staff:referrals")).content.decode()
    assert f'data-escalation="{referral.uuid}"' in page
    assert "提请领导小组" in page  # its history travels with it
    resolved = _act(group, referral, "resolve", note="由住建局牵头，5个工作日内完成审批。")
    assert resolved.status_code == 302
    assert resolved["Location"] == reverse("staff:case", args=[combined.uuid])
    referral.refresh_from_db()
    assert referral.status == EscalationStatus.RESOLVED
    assert list(ItemEscalationEvent.objects.values_list("kind", "tier")) == [
        ("opened", 2),
        ("climbed", 3),
        ("resolved", 3),
    ]

    facts_process()
    told: dict[str, set[str]] = {}
    for row in Delivery.objects.filter(event_type=EventType.ESCALATION, channel=Channel.IN_APP):
        assert row.payload["service_application"] == str(sa.uuid)
        told.setdefault(row.payload["kind"], set()).add(row.recipient_organization.code)
    assert told["opened"] == {"leadership-office"}
    assert told["climbed"] == {"leading-group"}
    # Down every tier it passed to the lead agency, and to the operator of the case.
    assert told["resolved"] == {"leading-group", "leadership-office", "ndrc", "csg-zhongshan"}
    note = Delivery.objects.filter(payload__kind="resolved", channel=Channel.IN_APP).first()
    assert "5个工作日内完成审批" in note.body

    # The resolution shows on the case page, and the lead may refer the case again.
    page = _case_page(client_for(staff("ndrc")), combined)
    assert "5个工作日内完成审批" in page
    assert f'data-refer-up="{sa.uuid}"' in page


def test_the_operator_sees_the_escalations_of_its_own_case_and_no_others(case, staff):
    combined, services = case
    sa = services["electricity"]
    _refer(client_for(staff("ndrc")), sa)
    referral = ItemEscalation.objects.get()
    ServiceApplication.objects.filter(pk=sa.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    sla_sweep()
    deadline = Escalation.objects.get(service_application=sa)

    operator = client_for(staff("csg-zhongshan"))
    page = _case_page(operator, combined)
    assert f'data-escalation="{referral.uuid}"' in page and REASON in page
    assert f'data-escalation="{deadline.uuid}"' in page
    # Read-only: neither moves on the referral nor the form to refer.
    assert 'data-action="escalation-' not in page
    assert "data-refer-up" not in page
    # The water operator reads only its own utility: not electricity's referral.
    water = client_for(staff(services["water"].operator.code))
    assert str(referral.uuid) not in _case_page(water, combined)


def test_the_case_page_costs_the_same_with_one_or_two_referrals(case, staff):
    combined, services = case
    office = client_for(staff("leadership-office"))
    url = reverse("staff:case", args=[combined.uuid])
    case_refer_up(actor=staff("ndrc"), service_application=services["electricity"], reason=REASON)
    office.get(url)
    with CaptureQueriesContext(connection) as one:
        office.get(url)
    case_refer_up(actor=staff("water-bureau"), service_application=services["water"], reason=REASON)
    with CaptureQueriesContext(connection) as two:
        page = office.get(url).content.decode()
    assert len(re.findall(r'data-escalation-action="resolve"', page)) == 2
    assert len(two) == len(one)
