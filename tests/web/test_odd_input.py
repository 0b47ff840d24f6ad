"""Odd input never answers 500 (issue 10, item 6): each role's pages, found by crawling, get
NUL characters and extreme values in every form field and query parameter, on PostgreSQL.

A NUL character is refused with a 400 naming the field; an extreme value (a number past
bigint, -1, 10^30, a month in year 0 or 9999, a date in year 10000, 100,000 characters) may
be accepted or refused, but never with a server error; and a page that comes back with its
error summary begins its title with "Error:".

Each probe runs in a savepoint that is rolled back (the `db` fixture, never a flush), so the
sweep changes nothing for the tests after it.
"""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from applications.constants import ServiceStatus
from applications.models import ServiceApplication
from applications.services import draft_create, sla_sweep
from applications.services.projects import project_push
from tests.api.conftest import permitting_item
from tests.factories import make_service, staff_of
from workgroups.models import Organization

from .sweep import Sweep, crawl, parameterless_routes

pytestmark = pytest.mark.django_db

STAFF = {
    "operator staff": "csg-zhongshan",
    "agency staff": "natural-resources",
    "workgroup lead": "ndrc",
    "leadership office": "leadership-office",
    "town staff": "cuiheng",
}
PORTAL_ROLES = ["anonymous", "applicant", *STAFF]


@pytest.fixture
def world(submit, applicant_org, applicant, project, django_user_model):
    """Cases in every state that puts a form on a page (from submitted to connected, waiting
    for a permit, escalated), a draft, a pushed project, and a person of each role."""
    combined = submit(["electricity", "water"])
    for status in (
        ServiceStatus.RETURNED,
        ServiceStatus.SURVEYING,
        ServiceStatus.PLAN_ISSUED,
        ServiceStatus.CONSTRUCTING,
        ServiceStatus.INSPECTING,
        ServiceStatus.CONNECTED,
    ):
        make_service(
            applicant_org=applicant_org, applicant=applicant, project=project, status=status
        )
    permitting_item(applicant_org, applicant, project)
    late = combined.services.get(utility="electricity")
    ServiceApplication.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - dt.timedelta(days=3)
    )
    sla_sweep()
    draft_create(actor=applicant, owner=applicant_org, project=project)
    project_push(
        actor=staff_of("investment", username="odd-investment"),
        organization=Organization.objects.get(code="investment"),
        code="2026-442000-70-01-000009",
        town_code="xiaolan",
        name="小榄滨河商住项目",
        kind="new",
        works_type="building",
        address="中山市小榄镇滨河路8号",
        owner_credit_code="91442000MA7QX31P2X",  # as in the API tests' world
    )
    people = {"anonymous": None, "applicant": applicant}
    people.update({role: staff_of(code, username=f"odd-{code}") for role, code in STAFF.items()})
    people["superuser"] = django_user_model.objects.create_superuser("odd-admin", "a@example.cn")
    return people


def _client(user) -> Client:
    client = Client()
    client.raise_request_exception = False  # a server error is an answer to report
    if user is not None:
        client.force_login(user)
    return client


def _sweep(people: dict, roles: list[str]) -> tuple[list[str], int]:
    """Crawl and probe as each role in turn; a field reached by an earlier role is not
    probed again. Returns what answered wrongly and the number of probes."""
    findings, requests, done = [], 0, set()
    for role in roles:
        client = _client(people[role])
        sweep = Sweep(client=client, _done=done)
        sweep.run(crawl(client, parameterless_routes()))
        findings += [f"{role}: {finding}" for finding in sweep.findings]
        requests += sweep.requests
    return findings, requests


def _report(findings: list[str]) -> str:
    wrong = "a 5xx, a NUL not refused with 400, or an error summary under a title without 'Error:'"
    return f"{len(findings)} probe(s) answered wrongly ({wrong}):\n" + ("\n".join(findings))


def test_no_odd_input_to_the_portal_or_the_staff_site_answers_a_server_error(world):
    findings, requests = _sweep(world, PORTAL_ROLES)
    assert not findings, _report(findings)
    assert requests > 200  # every role's forms and filters were reached


def test_no_odd_input_to_the_admin_answers_a_server_error(world):
    findings, requests = _sweep(world, ["superuser"])
    assert not findings, _report(findings)
    assert requests > 250  # every model's changelist and form were reached
