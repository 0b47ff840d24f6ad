"""On PostgreSQL, at once: two staff moving one demand (exactly one wins), the submitter's
verdict against a staff close, and sweeps running beside each other (each deadline escalates
once, each escalation climbs once)."""

from collections import Counter

import pytest
from django.db import connection

from coordination.constants import DemandStatus
from coordination.models import Demand, DemandHistory, ItemEscalation, ItemEscalationEvent
from coordination.services import SweepResult, coordination_sweep, demand_transition
from coordination.services import escalations as sweep_module
from core.errors import IllegalTransition
from tests.applications.test_concurrency import _race
from tests.factories import staff_of

from .conftest import at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]
DEMANDS = 5


def test_two_leads_answering_at_once_exactly_one_wins(submit_demand):
    assert connection.vendor == "postgresql"
    demand = submit_demand()
    first, second = staff_of("ndrc", username="c1"), staff_of("ndrc", username="c2")
    outcomes = _race(
        [
            lambda: demand_transition(
                actor=first, demand=demand, transition="answer", data={"answer": "甲的答复"}
            ),
            lambda: demand_transition(
                actor=second, demand=demand, transition="answer", data={"answer": "乙的答复"}
            ),
        ]
    )
    winners = [o for o in outcomes if isinstance(o, Demand)]
    losers = [o for o in outcomes if isinstance(o, IllegalTransition)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    assert DemandHistory.objects.filter(demand=demand, transition="answer").count() == 1
    assert Demand.objects.get(pk=demand.pk).answer_text == winners[0].answer_text


def test_a_verdict_and_a_close_at_once_leave_one_closing_move(submit_demand, applicant):
    demand = submit_demand(actor=applicant)
    lead = staff_of("ndrc", username="c3")
    demand = demand_transition(
        actor=lead, demand=demand, transition="answer", data={"answer": "已处理"}
    )
    outcomes = _race(
        [
            lambda: demand_transition(actor=lead, demand=demand, transition="close"),
            lambda: demand_transition(actor=applicant, demand=demand, transition="confirm_solved"),
        ]
    )
    assert sum(isinstance(o, Demand) for o in outcomes) == 1, outcomes
    assert Demand.objects.get(pk=demand.pk).status == DemandStatus.CLOSED
    closing = DemandHistory.objects.filter(demand=demand, to_state=DemandStatus.CLOSED)
    assert closing.count() == 1


@pytest.fixture
def escalating(submit_demand):
    """DEMANDS escalations at tier 1 due to climb, and DEMANDS overdue demands not escalated."""
    early = [submit_demand(when=at(9, 30)) for _ in range(DEMANDS)]
    assert coordination_sweep(now=at(10, 10, 9)).opened == DEMANDS
    late = [submit_demand(when=at(10, 10, 10)) for _ in range(DEMANDS)]
    return early, late


def _each_once(early, late):
    events = Counter(ItemEscalationEvent.objects.values_list("escalation_id", "kind", "tier"))
    assert set(events.values()) == {1}, events
    assert Counter(kind for _, kind, _ in events) == {"opened": 2 * DEMANDS, "climbed": DEMANDS}
    tiers = dict(ItemEscalation.objects.values_list("demand_id", "tier"))
    assert [tiers[d.pk] for d in early] == [2] * DEMANDS
    assert [tiers[d.pk] for d in late] == [1] * DEMANDS


def test_two_sweeps_at_once_escalate_and_climb_each_once(escalating):
    climb_at = at(10, 13, 8)
    outcomes = _race([lambda: coordination_sweep(now=climb_at) for _ in range(2)])
    assert all(isinstance(o, SweepResult) for o in outcomes), outcomes
    assert sum(o.climbed for o in outcomes) == DEMANDS
    assert sum(o.opened for o in outcomes) == DEMANDS
    _each_once(*escalating)


def test_sweeps_past_the_lock_still_climb_each_once(escalating, monkeypatch):
    monkeypatch.setattr(sweep_module, "_sweep_lock_taken", lambda: True)
    climb_at = at(10, 13, 8)
    outcomes = _race([lambda: coordination_sweep(now=climb_at) for _ in range(3)])
    assert all(isinstance(o, SweepResult) for o in outcomes), outcomes
    assert not any(o.skipped for o in outcomes)
    assert sum(o.climbed for o in outcomes) == DEMANDS
    assert sum(o.opened for o in outcomes) == DEMANDS
    _each_once(*escalating)
