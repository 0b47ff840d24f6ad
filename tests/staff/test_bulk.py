"""Bulk actions in the queue: each selected case goes through the transition service on its own,
so one that cannot move is reported and the others are still done."""

import re

import pytest
from django.contrib.messages import constants as levels
from django.test import Client
from django.urls import reverse
from django.utils import translation

from applications.constants import ServiceStatus
from applications.workflow import BULK_TRANSITIONS
from tests.factories import make_service, staff_of

S = ServiceStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(reference):
    client = Client()
    client.force_login(staff_of("csg-zhongshan", username="power-desk"))
    return client


@pytest.fixture
def cases(applicant_org, applicant, project):
    """Three electricity applications for 供电局: two submitted, one already accepted."""

    def make(status=S.SUBMITTED, **kwargs):
        return make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            status=status,
            **kwargs,
        )

    return make


def _bulk(client, transition, uuids, **extra):
    with translation.override("en"):
        url = reverse("staff:queue_bulk")
    return client.post(url, {"transition": transition, "case": [str(u) for u in uuids], **extra})


def _messages(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


def test_bulk_accept_moves_what_it_can_and_reports_the_rest(operator, cases):
    first, second, done = cases(), cases(), cases(status=S.ACCEPTED)
    response = _bulk(operator, "accept", [first.uuid, done.uuid, second.uuid], querystring="q=x")
    assert response.status_code == 302
    assert response["Location"].endswith("/staff/queue/?q=x")
    for sa in (first, second, done):
        sa.refresh_from_db()
    assert (first.status, second.status, done.status) == (S.ACCEPTED, S.ACCEPTED, S.ACCEPTED)
    assert first.history.filter(transition="accept").count() == 1
    assert done.history.filter(transition="accept").count() == 0

    page = operator.get(response["Location"])
    shown = _messages(page)
    assert shown[0] == (levels.WARNING, "Accept: done for 2 of 3 selected applications.")
    failures = [text for level, text in shown if level == levels.ERROR]
    assert len(failures) == 1
    assert done.get_utility_display() in failures[0]
    assert "not possible while the application is" in failures[0]


def test_a_case_of_another_workgroup_smuggled_in_is_not_touched(operator, cases):
    mine = cases()
    water = cases(utility="water", operator_code="zs-water")
    response = _bulk(operator, "accept", [mine.uuid, water.uuid])
    page = operator.get(response["Location"])
    mine.refresh_from_db()
    water.refresh_from_db()
    assert mine.status == S.ACCEPTED
    assert water.status == S.SUBMITTED
    assert not water.history.exists()
    shown = _messages(page)
    assert shown[0] == (levels.WARNING, "Accept: done for 1 of 2 selected applications.")
    assert shown[1] == (levels.ERROR, f"{water.uuid}: not found in your queue.")


def test_all_done_is_a_plain_success(operator, cases):
    batch = [cases(), cases(), cases()]
    page = operator.get(_bulk(operator, "accept", [sa.uuid for sa in batch])["Location"])
    assert _messages(page) == [(levels.SUCCESS, "Accept: done for 3 of 3 selected applications.")]


def test_only_transitions_without_inputs_are_offered_or_accepted(operator, cases):
    sa = cases()
    html = operator.get("/en/staff/queue/").content.decode()
    bulk_form = html[html.index('id="bulk"') : html.index("</form>", html.index('id="bulk"'))]
    offered = re.findall(r'<option value="([a-z_]+)"', bulk_form)
    assert offered == list(BULK_TRANSITIONS)
    assert "accept" in offered and "start_survey" in offered
    for needs_input in ("return_for_correction", "reject", "issue_plan", "connect", "withdraw"):
        assert needs_input not in offered
        page = operator.get(_bulk(operator, needs_input, [sa.uuid])["Location"])
        assert _messages(page) == [(levels.ERROR, "Choose an action that needs no further input.")]
    sa.refresh_from_db()
    assert sa.status == S.SUBMITTED


def test_nothing_selected_or_garbage_ids_are_reported(operator, cases):
    page = operator.get(_bulk(operator, "accept", [])["Location"])
    assert _messages(page) == [(levels.ERROR, "Select at least one application.")]
    page = operator.get(_bulk(operator, "accept", ["not-a-uuid"])["Location"])
    assert _messages(page) == [(levels.ERROR, "Select at least one application.")]


def test_bulk_post_needs_the_csrf_token(reference, cases):
    sa = cases()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_of("csg-zhongshan", username="power-desk-2"))
    response = _bulk(client, "accept", [sa.uuid])
    assert response.status_code == 403
    sa.refresh_from_db()
    assert sa.status == S.SUBMITTED


def test_read_only_oversight_sees_no_bulk_form_and_cannot_post(reference, cases):
    sa = cases()
    client = Client()
    client.force_login(staff_of("leadership-office", username="office"))
    html = client.get("/en/staff/queue/").content.decode()
    assert f'data-case="{sa.uuid}"' in html
    assert 'id="bulk"' not in html and 'name="case"' not in html
    assert _bulk(client, "accept", [sa.uuid]).status_code == 403
    sa.refresh_from_db()
    assert sa.status == S.SUBMITTED
