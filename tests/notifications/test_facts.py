"""Facts become messages exactly once, even when they commit out of id order."""

import datetime as dt

import time_machine
from django.utils import timezone

from applications.models import StateChange
from applications.services import service_application_transition
from notifications.constants import Channel, EventType
from notifications.models import Delivery, DemandSignal, FactCursor, FactSeen
from notifications.services import facts_process
from notifications.services.facts import COMMIT_HORIZON
from tests.factories import ProjectFactory


def _keys():
    return sorted(Delivery.objects.values_list("idempotency_key", flat=True))


def test_a_submission_reaches_the_applicant_and_the_operator(submit, applicant, operator_staff):
    applicant.email = "boss@acme.cn"
    applicant.save()
    combined = submit(["electricity", "water"])
    facts_process()
    applicant_inbox = Delivery.objects.filter(
        recipient_organization=combined.applicant, channel=Channel.IN_APP
    )
    assert applicant_inbox.count() == 2
    assert Delivery.objects.filter(recipient_user=applicant, channel=Channel.EMAIL).count() == 2
    assigned = Delivery.objects.filter(event_type=EventType.WORK_ITEM_ASSIGNED)
    assert sorted(assigned.values_list("recipient_organization__code", flat=True)) == [
        "csg-zhongshan",
        "zs-water",
    ]
    assert combined.reference in applicant_inbox.first().subject


def test_processing_twice_writes_nothing_twice(submit, operator_staff):
    sa = submit(["electricity"]).services.get()
    facts_process()
    service_application_transition(
        actor=operator_staff("csg-zhongshan"), service_application=sa, transition="accept"
    )
    facts_process()
    first = _keys()
    facts_process()
    assert _keys() == first
    accepted = Delivery.objects.filter(payload__transition="accept")
    # The applicant hears of it; the operator did it itself and needs no message.
    assert set(accepted.values_list("recipient_organization__code", flat=True)) == {"acme"}


def test_a_fact_that_commits_late_below_the_read_ids_is_still_delivered(submit):
    sa = submit(["cable_tv"]).services.get()
    facts_process()
    # A slow transaction took id N-1 before the submit row but commits only now.
    first_id = StateChange.objects.order_by("pk").first().pk
    late = StateChange(
        pk=first_id - 1,
        service_application=sa,
        transition="accept",
        from_state="submitted",
        to_state="accepted",
    )
    late.save()
    facts_process()
    assert Delivery.objects.filter(payload__transition="accept").exists()


def test_the_cursor_moves_past_settled_facts_and_forgets_them(submit):
    submit(["cable_tv"])
    facts_process()
    assert FactSeen.objects.filter(cursor="state_changes").count() == 1
    with time_machine.travel(timezone.now() + COMMIT_HORIZON + dt.timedelta(seconds=5)):
        facts_process()
    cursor = FactCursor.objects.get(name="state_changes")
    assert cursor.position == StateChange.objects.latest("pk").pk
    assert FactSeen.objects.filter(cursor="state_changes").count() == 0


def test_a_new_project_becomes_an_early_demand_signal(applicant_org, reference):
    project = ProjectFactory(owner=applicant_org)
    facts_process()
    facts_process()
    signal = DemandSignal.objects.get(project=project)
    assert signal.kind == "new_project"
    # Power, water, Towngas (南朗's gas franchise), four network operators and cable TV.
    assert signal.notices.count() == 8


def test_escalations_reach_the_tier_that_holds_them(submit):
    from zoneinfo import ZoneInfo

    import time_machine as tm

    from applications.services import sla_sweep

    cst = ZoneInfo("Asia/Shanghai")
    with tm.travel(dt.datetime(2025, 9, 30, 10, tzinfo=cst), tick=False):
        submit(["gas"])
    sla_sweep(now=dt.datetime(2025, 10, 10, 9, tzinfo=cst))
    sla_sweep(now=dt.datetime(2025, 10, 13, 9, tzinfo=cst))
    facts_process()
    told = list(
        Delivery.objects.filter(event_type=EventType.ESCALATION, channel=Channel.IN_APP)
        .order_by("payload__tier")
        .values_list("payload__tier", "recipient_organization__code")
    )
    assert told == [(1, "housing"), (2, "leadership-office")]


def test_the_inbox_shows_only_my_organisations_messages(submit, applicant, reference):
    from notifications.selectors import inbox_for
    from notifications.services import inbox_mark_read
    from tests.factories import company, member_of

    submit(["water"])
    facts_process()
    mine = list(inbox_for(user=applicant))
    assert len(mine) == 1
    outsider = member_of(company("other", "另一公司"))
    assert list(inbox_for(user=outsider)) == []
    assert inbox_mark_read(user=outsider, delivery_ids=[mine[0].pk]) == 0
    assert inbox_mark_read(user=applicant, delivery_ids=[mine[0].pk]) == 1
