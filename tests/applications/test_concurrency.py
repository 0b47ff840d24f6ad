"""Concurrent transitions on PostgreSQL: the row lock lets exactly one win."""

import threading

import pytest
from django.db import connection

from applications.constants import PermitStatus, ServiceStatus
from applications.models import PermitRequest, ServiceApplication, StateChange
from applications.services import permit_request_decide, service_application_transition
from core.errors import IllegalTransition
from tests.factories import make_service, staff_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def _race(calls):
    """Run every call at the same moment, each in its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # the outcome under test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_operators_accepting_at_once_exactly_one_wins(
    reference, applicant_org, applicant, project
):
    assert connection.vendor == "postgresql"
    sa = make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    first, second = staff_of("csg-zhongshan"), staff_of("csg-zhongshan")

    outcomes = _race(
        [
            lambda: service_application_transition(
                actor=first, service_application=sa, transition="accept"
            ),
            lambda: service_application_transition(
                actor=second, service_application=sa, transition="accept"
            ),
        ]
    )

    winners = [o for o in outcomes if isinstance(o, ServiceApplication)]
    losers = [o for o in outcomes if isinstance(o, IllegalTransition)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    assert StateChange.objects.filter(service_application=sa, transition="accept").count() == 1
    assert ServiceApplication.objects.get(pk=sa.pk).status == ServiceStatus.ACCEPTED


def test_accept_and_reject_at_once_leave_one_consistent_outcome(
    reference, applicant_org, applicant, project
):
    sa = make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    op = staff_of("csg-zhongshan")
    outcomes = _race(
        [
            lambda: service_application_transition(
                actor=op, service_application=sa, transition="accept"
            ),
            lambda: service_application_transition(
                actor=op, service_application=sa, transition="reject", data={"reason": "超出范围"}
            ),
        ]
    )
    assert sum(isinstance(o, ServiceApplication) for o in outcomes) == 1, outcomes
    final = ServiceApplication.objects.get(pk=sa.pk)
    change = StateChange.objects.get(service_application=sa)
    assert change.to_state == final.status


def test_three_agencies_approving_at_once_advance_the_case_exactly_once(
    reference, applicant_org, applicant, project
):
    sa = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status=ServiceStatus.PLAN_ISSUED,
        required_permits=["planning", "road_excavation", "road_occupation"],
    )
    sa = service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )
    deciders = {
        "planning": staff_of("natural-resources"),
        "road_excavation": staff_of("urban-management"),
        "road_occupation": staff_of("public-security"),
    }
    permits = list(PermitRequest.objects.filter(service_application=sa))

    def decide(permit):
        return lambda: permit_request_decide(
            actor=deciders[permit.permit_type], permit_request=permit, decision="approve"
        )

    outcomes = _race([decide(p) for p in permits])

    assert all(isinstance(o, PermitRequest) for o in outcomes), outcomes
    assert set(PermitRequest.objects.values_list("status", flat=True)) == {PermitStatus.APPROVED}
    assert ServiceApplication.objects.get(pk=sa.pk).status == ServiceStatus.CONSTRUCTING
    assert (
        StateChange.objects.filter(service_application=sa, transition="permits_approved").count()
        == 1
    )
