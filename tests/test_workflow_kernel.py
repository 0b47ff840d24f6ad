"""The workflow kernel: a transition is one table record plus one model method, and every door
(apply, what-may-I-do, the FSM's own permission, history labels) follows from them."""

import pytest
from django_fsm import has_transition_perm
from guardian.shortcuts import assign_perm

from applications.workflow import COUNTER_VISIT, ESCALATION, PERMIT, SERVICE
from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from core.workflow import apply, machine_for
from notifications.workflow import DELIVERY, NOTICE
from tests.factories import UserFactory
from tests.workflow_app.models import Ticket
from tests.workflow_app.workflow import TICKET

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker():
    return UserFactory(username="ticket-worker")


@pytest.fixture
def ticket(worker):
    ticket = Ticket.objects.create()
    assign_perm("workflow_app.work_ticket", worker, ticket)
    return ticket


def test_a_new_machine_needs_only_its_table_and_its_model_methods(worker, ticket):
    assert machine_for(ticket) is TICKET
    assert TICKET.available(worker, ticket) == ["finish"]
    done = apply(TICKET, ticket, "finish", actor=worker, data={"note": "fixed"})
    assert (done.status, done.note) == ("done", "fixed")
    assert done.history == [["finish", "open", "Finished"]]
    assert TICKET.available(worker, done) == ["reopen"]
    again = apply(TICKET, done, "reopen", actor=worker)
    assert again.status == "open"
    assert Ticket.objects.get(pk=ticket.pk).history[-1] == ["reopen", "done", "Reopened"]


def test_the_kernel_refuses_in_the_order_a_caller_can_act_on(worker, ticket):
    stranger = UserFactory(username="stranger")
    with pytest.raises(ValidationError):
        apply(TICKET, ticket, "fly", actor=worker)
    with pytest.raises(NotFound):
        apply(TICKET, ticket, "finish", actor=stranger, data={"note": "x y"})
    with pytest.raises(IllegalTransition):
        apply(TICKET, ticket, "reopen", actor=worker)
    with pytest.raises(ValidationError) as bad:
        apply(TICKET, ticket, "finish", actor=worker, data={"note": ""})
    assert "note" in bad.value.message_dict
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_the_fsm_permission_is_the_tables_rule(worker, ticket):
    onlooker = UserFactory(username="onlooker")
    assign_perm("workflow_app.view_ticket", onlooker, ticket)
    assert has_transition_perm(ticket.finish, worker)
    assert not has_transition_perm(ticket.finish, onlooker)
    assert TICKET.available(onlooker, ticket) == []
    with pytest.raises((PermissionDenied, NotFound)):
        apply(TICKET, ticket, "finish", actor=onlooker, data={"note": "x y"})


@pytest.mark.parametrize(
    "machine",
    [SERVICE, PERMIT, ESCALATION, NOTICE, DELIVERY],
    ids=["service", "permit", "escalation", "demand_notice", "delivery"],
)
def test_every_transition_of_the_case_tables_has_a_model_method_and_labels(machine):
    for name, transition in machine.transitions.items():
        method = getattr(machine.model, name)
        assert callable(method), name
        assert hasattr(method, "_django_fsm"), f"{name} is not an FSM transition"
        assert str(transition.button) and str(transition.history), name
    # ...and every FSM transition method of the model is in the table.
    fsm_methods = {
        name
        for name in dir(machine.model)
        if hasattr(getattr(machine.model, name, None), "_django_fsm")
    }
    assert fsm_methods == set(machine.transitions)


def test_applicant_steps_are_the_applicants_moves_towards_a_connection():
    steps = SERVICE.names(where=lambda t: t.applicant_step)
    assert steps == ["submit", "resubmit", "confirm_plan", COUNTER_VISIT]
    own = [s for s in steps if s != COUNTER_VISIT]
    assert all("applications.act_as_applicant" in SERVICE[s].permissions for s in own)
    # A counter visit is the applicant's procedure too, but staff record it.
    assert "applications.act_as_applicant" not in SERVICE[COUNTER_VISIT].permissions
