"""Joint works plans tell who must act: the participating operators and the workgroups' lead
agencies of a proposal, another window, a departure, the lock and a moratorium or overlap; the
applicant of the window its works are set for and of the restored road. In the reader's
language."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import override

from applications.models import PermitRequest
from applications.services import permit_request_decide, service_application_transition
from applications.services.joint_works import joint_works_plan_act
from notifications.constants import Channel
from notifications.inbox import message_text
from notifications.models import Delivery
from notifications.services import facts_process
from tests.applications.joint_works_helpers import (
    AGENCY,
    UTILITIES,
    propose,
    services_for,
)
from tests.factories import ProjectFactory, staff_of
from workgroups.calendar import local_date
from workgroups.models import Organization


@pytest.fixture
def make(applicant_org, applicant, project):
    def do(utilities, **fields):
        return services_for(
            utilities, applicant_org=applicant_org, applicant=applicant, project=project, **fields
        )

    return do


def _org(code: str) -> Organization:
    return Organization.objects.get(code=code)


def _inbox(org, code: str) -> list[Delivery]:
    return list(
        Delivery.objects.filter(recipient_organization=org, channel=Channel.IN_APP, code=code)
    )


def _operator(utility: str):
    return staff_of(UTILITIES[utility][0])


def test_a_proposal_reaches_every_operator_and_lead_agency_but_not_the_applicant(
    make, applicant_org
):
    services = make(["electricity", "water", "gas"])
    propose(services)
    facts_process()
    for utility in ("electricity", "water", "gas"):
        operator, lead, *_rest = UTILITIES[utility]
        for code in (operator, lead):
            (message,) = _inbox(_org(code), "joint_works.proposed")
            with override("zh-hans"):
                text = message_text(message)
                assert "和清路" in text.subject and "确认" in text.subject
            with override("en"):
                assert "confirm or propose another window" in message_text(message).subject
    assert not _inbox(_org(UTILITIES["network"][0]), "joint_works.proposed")
    assert not Delivery.objects.filter(recipient_organization=applicant_org).exists()
    # Read again: nothing is written twice.
    facts_process()
    assert len(_inbox(_org("zs-water"), "joint_works.proposed")) == 1


def test_another_window_and_a_departure_reach_the_others(make):
    services = make(["electricity", "water", "gas"])
    plan = propose(services)
    later = plan.window_start + dt.timedelta(days=7)
    while later.weekday() >= 5:
        later += dt.timedelta(days=1)
    joint_works_plan_act(
        actor=_operator("water"),
        plan=plan,
        action="propose_window",
        data={"window_start": later, "window_working_days": 5},
    )
    joint_works_plan_act(
        actor=_operator("gas"), plan=plan, action="leave", data={"reason": "管位冲突"}
    )
    facts_process()
    (window,) = _inbox(_org("csg-zhongshan"), "joint_works.window_proposed")
    assert window.params["start"] == later.isoformat()
    assert not _inbox(_org("zs-water"), "joint_works.window_proposed")
    (left,) = _inbox(_org("ndrc"), "joint_works.left")
    with override("en"):
        text = message_text(left)
    assert "left the joint works" in text.subject and "管位冲突" in text.body
    assert not _inbox(_org("towngas-zs"), "joint_works.left")


def test_the_lock_tells_the_operators_and_sets_the_applicants_window(make, applicant_org):
    services = make(["electricity", "water"])
    plan = propose(services)
    for utility in ("electricity", "water"):
        plan = joint_works_plan_act(actor=_operator(utility), plan=plan, action="confirm")
    facts_process()
    assert _inbox(_org("zs-water"), "joint_works.locked")
    assert _inbox(_org("water-bureau"), "joint_works.locked")
    # One message per request taking part.
    windows = _inbox(applicant_org, "joint_works.window_set")
    assert {w.params["request"] for w in windows} == {str(sa.combined.uuid) for sa in services}
    assert len(windows) == len({sa.combined_id for sa in services})
    with override("zh-hans"):
        text = message_text(windows[0])
    assert "施工时间已确定" in text.subject and "道路只开挖一次" in text.body


def test_the_applicant_hears_the_road_is_restored(make, applicant, applicant_org):
    services = make(["electricity", "water"])
    plan = propose(services)
    for sa in services:
        service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    for utility in ("electricity", "water"):
        plan = joint_works_plan_act(actor=_operator(utility), plan=plan, action="confirm")
    for permit in PermitRequest.objects.filter(joint_works_plan=plan):
        permit_request_decide(
            actor=staff_of(AGENCY[permit.permit_type]), permit_request=permit, decision="approve"
        )
    plan.refresh_from_db()
    lead = _operator("electricity")
    for action in ("start_excavation",):
        plan = joint_works_plan_act(actor=lead, plan=plan, action=action)
    for utility in ("electricity", "water"):
        plan = joint_works_plan_act(actor=_operator(utility), plan=plan, action="report_installed")
    plan = joint_works_plan_act(actor=lead, plan=plan, action="backfill")
    today = local_date(timezone.now())
    joint_works_plan_act(actor=lead, plan=plan, action="restore", data={"restored_on": today})
    facts_process()
    restored = _inbox(applicant_org, "joint_works.restored")
    assert restored
    with override("en"):
        assert "is restored" in message_text(restored[0]).subject


def test_a_plan_on_a_restored_road_warns_of_the_moratorium(make, applicant_org, applicant, project):
    first = make(["electricity", "water"])
    plan = propose(first)
    facts_process()
    # The first plan restored the road last month (recorded through the model, as after works).
    type(plan).objects.filter(pk=plan.pk).update(
        status="restored", restored_on=local_date(timezone.now()) - dt.timedelta(days=30)
    )
    other = ProjectFactory(owner=applicant_org, created_by=applicant)
    second = services_for(
        ["gas", "network"], applicant_org=applicant_org, applicant=applicant, project=other
    )
    propose(second)
    facts_process()
    (warning,) = _inbox(_org("towngas-zs"), "joint_works.warning")
    with override("zh-hans"):
        assert "禁挖期" in message_text(warning).body
    assert _inbox(_org("comms-office"), "joint_works.warning")
    assert not _inbox(_org("zs-water"), "joint_works.warning")
