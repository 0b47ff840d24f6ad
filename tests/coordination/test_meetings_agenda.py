"""The agenda's pre-fill (coordination.selectors.meetings.agenda_prefill), over generated data:
for any mix of escalations, cases, follow-ups and demands of two workgroups, open or closed,
old or new, it proposes exactly the workgroup's open matters: nothing closed or resolved,
nothing of the other workgroup, no demand received before the last meeting, and each
matter once."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.models import Escalation, Rating, RatingLevel
from coordination.constants import AgendaKind
from coordination.models import Demand, FollowUp, ItemEscalation
from coordination.selectors.meetings import agenda_prefill
from tests.factories import make_service
from workgroups.models import Workgroup

from .conftest import at, demand_input

pytestmark = pytest.mark.django_db

NOW = at(10, 20, 10)
SINCE = at(10, 10, 10)
WORKGROUPS = ("electricity", "water")
OPERATORS = {"electricity": "csg-zhongshan", "water": "zs-water"}

# One generated matter: its kind, its workgroup, whether it is still open (for a case: whether
# its clock runs past the deadline), and for a demand whether it came before the last meeting.
matter = st.tuples(
    st.sampled_from(["escalation", "item_escalation", "case", "follow_up", "demand"]),
    st.sampled_from(WORKGROUPS),
    st.booleans(),
    st.booleans(),
)


def _service(ctx, utility: str, **fields):
    return make_service(
        applicant_org=ctx["org"],
        applicant=ctx["user"],
        project=ctx["project"],
        utility=utility,
        operator_code=OPERATORS[utility],
        **fields,
    )


def _demand(utility: str, *, open_: bool, old: bool) -> Demand:
    from coordination.services import demand_submit

    demand = demand_submit(actor=None, data=demand_input(utility=utility), now=NOW)
    Demand.objects.filter(pk=demand.pk).update(
        submitted_at=SINCE - dt.timedelta(days=1) if old else SINCE + dt.timedelta(hours=1),
        status="submitted" if open_ else "closed",
    )
    return demand


def _make(ctx, kind: str, utility: str, open_: bool, old: bool) -> list[tuple[str, int]]:
    """Create one matter; say which agenda entries it must give."""
    workgroup = Workgroup.objects.get(code=utility)
    if kind == "escalation":
        sa = _service(ctx, utility, status="surveying", due_at=NOW - dt.timedelta(days=3))
        row = Escalation.objects.create(
            service_application=sa,
            stage="surveying",
            breached_due_at=NOW - dt.timedelta(days=3),
            status="open" if open_ else "resolved",
        )
        # Its case is overdue as well, whether or not the escalation was resolved: that is
        # its own agenda entry.
        escalated = [(AgendaKind.ESCALATION, row.pk)] if open_ else []
        return [*escalated, (AgendaKind.OVERDUE_CASE, sa.pk)]
    if kind == "item_escalation":
        demand = _demand(utility, open_=True, old=True)
        row = ItemEscalation.objects.create(
            item_kind="demand",
            demand=demand,
            workgroup=workgroup,
            stage="submitted",
            breached_due_at=NOW - dt.timedelta(days=1),
            status="open" if open_ else "resolved",
        )
        return [(AgendaKind.ITEM_ESCALATION, row.pk)] if open_ else []
    if kind == "case":
        due = NOW - dt.timedelta(hours=1) if open_ else NOW + dt.timedelta(days=2)
        status = "constructing" if not old else ("closed" if not open_ else "inspecting")
        sa = _service(ctx, utility, status=status, due_at=due)
        runs = status in ("constructing", "inspecting") and due < NOW
        return [(AgendaKind.OVERDUE_CASE, sa.pk)] if runs else []
    if kind == "follow_up":
        sa = _service(ctx, utility, status="connected", connected_at=NOW - dt.timedelta(days=9))
        rating = Rating.objects.create(
            service_application=sa,
            level=RatingLevel.DISSATISFIED,
            organization=ctx["org"],
            rated_by=ctx["user"],
        )
        row = FollowUp.objects.create(
            rating=rating,
            service_application=sa,
            organization=ctx["org"],
            workgroup=workgroup,
            submitted_at=NOW - dt.timedelta(days=2),
            stage_entered_at=NOW - dt.timedelta(days=2),
            due_at=NOW + dt.timedelta(days=10),
            status="called" if open_ else "closed",
        )
        return [(AgendaKind.FOLLOW_UP, row.pk)] if open_ else []
    demand = _demand(utility, open_=open_, old=old)
    return [(AgendaKind.DEMAND, demand.pk)] if open_ and not old else []


@pytest.fixture
def ctx(applicant_org, applicant, project):
    return {"org": applicant_org, "user": applicant, "project": project}


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(matters=st.lists(matter, max_size=7), chosen=st.sampled_from(WORKGROUPS))
def test_the_prefill_picks_exactly_the_workgroups_open_matters(ctx, matters, chosen):
    with transaction.atomic():
        expected: dict[str, list] = {wg: [] for wg in WORKGROUPS}
        for kind, utility, open_, old in matters:
            expected[utility] += _make(ctx, kind, utility, open_, old)
        workgroup = Workgroup.objects.get(code=chosen)
        entries = agenda_prefill(workgroup_id=workgroup.pk, since=SINCE, now=NOW)
        got = [(e.kind, e.pk) for e in entries]
        assert len(got) == len(set(got))  # each matter once
        assert sorted(got) == sorted(expected[chosen])
        # A meeting across workgroups takes both workgroups' matters.
        across = agenda_prefill(workgroup_id=None, since=SINCE, now=NOW)
        assert sorted((e.kind, e.pk) for e in across) == sorted(
            expected["electricity"] + expected["water"]
        )
        # The entries come grouped in the agenda's order of kinds.
        order = [
            AgendaKind.ESCALATION,
            AgendaKind.ITEM_ESCALATION,
            AgendaKind.OVERDUE_CASE,
            AgendaKind.FOLLOW_UP,
            AgendaKind.DEMAND,
        ]
        ranks = [order.index(kind) for kind, _pk in got]
        assert ranks == sorted(ranks)
        transaction.set_rollback(True)


def test_without_an_earlier_meeting_every_open_demand_is_proposed(ctx):
    old = _demand("electricity", open_=True, old=True)
    entries = agenda_prefill(
        workgroup_id=Workgroup.objects.get(code="electricity").pk, since=None, now=NOW
    )
    assert [(e.kind, e.pk) for e in entries] == [(AgendaKind.DEMAND, old.pk)]
