"""Joint works on PostgreSQL: operators reporting at the same moment never lose a report."""

import pytest
from django.db import connection

from applications.constants import JointWorksStatus, PermitStatus
from applications.models import JointWorksEvent, JointWorksPlan, PermitRequest
from applications.services import permit_request_decide, service_application_transition
from applications.services.joint_works import joint_works_plan_act
from tests.applications.joint_works_helpers import AGENCY, UTILITIES, propose, services_for
from tests.applications.test_concurrency import _race
from tests.factories import staff_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]
UTILS = ["electricity", "water", "gas"]


@pytest.fixture
def plan_and_staff(reference, applicant_org, applicant, project):
    services = services_for(
        UTILS, applicant_org=applicant_org, applicant=applicant, project=project
    )
    staff = {u: staff_of(UTILITIES[u][0]) for u in UTILS}
    return propose(services), services, staff


def test_concurrent_confirmations_lock_the_plan_once_with_one_permit_set(plan_and_staff):
    assert connection.vendor == "postgresql"
    plan, _services, staff = plan_and_staff
    outcomes = _race(
        [
            lambda u=u: joint_works_plan_act(actor=staff[u], plan=plan, action="confirm")
            for u in UTILS
        ]
    )
    assert all(isinstance(o, JointWorksPlan) for o in outcomes), outcomes
    plan.refresh_from_db()
    assert plan.status == JointWorksStatus.CONFIRMED
    assert plan.participants.filter(confirmed_at__isnull=True).count() == 0
    assert PermitRequest.objects.filter(joint_works_plan=plan).count() == 3


def test_concurrent_installation_reports_are_never_lost(plan_and_staff, applicant):
    assert connection.vendor == "postgresql"
    plan, services, staff = plan_and_staff
    for sa in services:
        service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    for u in UTILS:
        joint_works_plan_act(actor=staff[u], plan=plan, action="confirm")
    for permit in PermitRequest.objects.filter(joint_works_plan=plan, status=PermitStatus.PENDING):
        permit_request_decide(
            actor=staff_of(AGENCY[permit.permit_type]), permit_request=permit, decision="approve"
        )
    joint_works_plan_act(actor=staff["electricity"], plan=plan, action="start_excavation")
    # Two report at the same moment, the lead tries to backfill at the same moment too.
    outcomes = _race(
        [
            lambda: joint_works_plan_act(
                actor=staff["water"], plan=plan, action="report_installed"
            ),
            lambda: joint_works_plan_act(actor=staff["gas"], plan=plan, action="report_installed"),
            lambda: joint_works_plan_act(actor=staff["electricity"], plan=plan, action="backfill"),
        ]
    )
    assert isinstance(outcomes[0], JointWorksPlan) and isinstance(outcomes[1], JointWorksPlan)
    plan.refresh_from_db()
    assert plan.status == JointWorksStatus.EXCAVATING  # electricity has not reported yet
    assert set(
        plan.participants.filter(installed_at__isnull=False).values_list(
            "operator__code", flat=True
        )
    ) == {"zs-water", "towngas-zs"}
    # The last report and a backfill racing it: backfill either waits and succeeds after it,
    # or is refused before it; it never gets through with a conduit missing.
    outcomes = _race(
        [
            lambda: joint_works_plan_act(
                actor=staff["electricity"], plan=plan, action="report_installed"
            ),
            lambda: joint_works_plan_act(actor=staff["electricity"], plan=plan, action="backfill"),
        ]
    )
    assert isinstance(outcomes[0], JointWorksPlan), outcomes
    plan.refresh_from_db()
    assert plan.status in (JointWorksStatus.INSTALLED, JointWorksStatus.BACKFILLED)
    assert not plan.participants.filter(active=True, installed_at__isnull=True).exists()
    assert JointWorksEvent.objects.filter(plan=plan, transition="report_installed").count() == 3
