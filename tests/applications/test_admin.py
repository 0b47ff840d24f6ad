"""The admin: every page opens, cases are scoped by object permission and read-only (case
work happens on the staff site), reference data is edited through the services."""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.constants import PermitStatus, ServiceStatus
from applications.models import (
    CombinedApplication,
    Document,
    PermitRequest,
    Project,
    ServiceApplication,
    StateChange,
)
from applications.services import service_application_transition
from tests.factories import UserFactory, staff_of

PLAN = {
    "survey_result": "site ok",
    "plan": "10 kV line from the substation",
    "fee_quote_cny": "1200.00",
    "required_permits": ["planning", "road_excavation"],
}


@pytest.fixture
def superuser(reference):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def staff(reference):
    """An is_staff user of a reference organisation (operator, agency), by its code."""
    cache = {}

    def get(code: str):
        if code not in cache:
            cache[code] = staff_of(code, username=f"admin-{code}", is_staff=True)
        return cache[code]

    return get


@pytest.fixture
def case(submit):
    """One combined request: electricity (供电局) and water (水务)."""
    combined = submit(["electricity", "water"])
    return {sa.utility: sa for sa in combined.services.all()}


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _buttons(response) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', response.content.decode())


def _changelist_pks(client, model, **params) -> set[int]:
    response = client.get(_url(model, "changelist"), params)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def _no_inline_rows(prefix: str) -> dict:
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}


def _to_permitting(sa, applicant):
    op = staff_of("csg-zhongshan", username="op-for-permits")
    for name, data in [("accept", {}), ("start_survey", {}), ("issue_plan", PLAN)]:
        sa = service_application_transition(
            actor=op, service_application=sa, transition=name, data=data
        )
    return service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )


def test_superuser_opens_every_changelist_add_and_change_page(client, superuser, case, applicant):
    _to_permitting(case["electricity"], applicant)
    client.force_login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser
    without_add = set()
    for model, model_admin in admin.site._registry.items():
        assert client.get(_url(model, "changelist")).status_code == 200, model
        may_add = model_admin.has_add_permission(request)
        assert client.get(_url(model, "add")).status_code == (200 if may_add else 403), model
        if not may_add:
            without_add.add(model)
        obj = model._default_manager.first()
        if obj is not None:
            assert client.get(_url(model, "change", obj.pk)).status_code == 200, model
    # Cases are created by the services only, never as admin rows.
    assert {ServiceApplication, PermitRequest, StateChange, Document} <= without_add


def test_state_change_admin_never_adds_changes_or_deletes(client, superuser, case):
    client.force_login(superuser)
    model_admin = admin.site._registry[StateChange]
    request = RequestFactory().get("/")
    request.user = superuser
    row = StateChange.objects.first()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, row)
    assert not model_admin.has_delete_permission(request, row)
    assert client.get(_url(StateChange, "change", row.pk)).status_code == 200
    assert client.post(_url(StateChange, "change", row.pk), {"comment": "x"}).status_code == 403
    assert client.post(_url(StateChange, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert client.post(_url(StateChange, "add"), {}).status_code == 403
    assert StateChange.objects.filter(pk=row.pk, comment="").exists()


def test_operator_sees_only_their_own_service_applications(client, staff, case):
    power = staff("csg-zhongshan")
    client.force_login(power)
    assert _changelist_pks(client, ServiceApplication) == {case["electricity"].pk}
    assert client.get(_url(ServiceApplication, "change", case["electricity"].pk)).status_code == 200
    # Another operator's item is never shown: the change page redirects as for a missing row.
    other = client.get(_url(ServiceApplication, "change", case["water"].pk))
    assert other.status_code in (302, 404)
    assert ServiceApplication.objects.get(pk=case["water"].pk).status == ServiceStatus.SUBMITTED


def test_anonymous_visitor_gets_the_login_page_and_no_case(client, case):
    assert client.get(reverse("admin:login")).status_code == 200
    response = client.get(_url(ServiceApplication, "change", case["water"].pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_global_permissions_sees_the_case_models_on_the_index(client, staff, case):
    client.force_login(staff("csg-zhongshan"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert _url(ServiceApplication, "changelist") in response.content.decode()
    # Reference data needs the global model permission.
    assert client.get(reverse("admin:workgroups_organization_changelist")).status_code == 403


@pytest.mark.parametrize("who", ["operator", "superuser"])
def test_the_case_admin_reads_and_never_moves_a_case(client, staff, superuser, case, who):
    user = staff("csg-zhongshan") if who == "operator" else superuser
    sa = case["electricity"]
    client.force_login(user)
    page = client.get(_url(ServiceApplication, "change", sa.pk))
    assert page.status_code == 200
    # No transition buttons, no save button: the staff site is the one door for case work.
    assert _buttons(page) == []
    assert 'name="_save"' not in page.content.decode()
    assert client.post(_url(ServiceApplication, "change", sa.pk), {}).status_code == 403
    # The old transition address leads nowhere and moves nothing.
    moved = client.post(f"{_url(ServiceApplication, 'change', sa.pk)}../transition/accept/")
    assert moved.status_code in (302, 403, 404)
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.SUBMITTED
    assert not StateChange.objects.filter(service_application=sa, transition="accept").exists()


def test_superuser_edits_a_project_through_the_service(client, superuser, project):
    client.force_login(superuser)
    url = _url(Project, "change", project.pk)
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data.update({"name": "翠亨新区科创园（调整后）", "town": project.town_id})
    data = {k: ("" if v is None else v) for k, v in data.items()}
    response = client.post(url, {**data, **_no_inline_rows("combined_applications")})
    assert response.status_code == 302, response.context["adminform"].form.errors
    project.refresh_from_db()
    assert project.name == "翠亨新区科创园（调整后）"


def test_lead_agency_sees_its_workgroup_read_only(client, staff, case):
    lead = staff("ndrc")  # lead agency of the electricity workgroup
    sa = case["electricity"]
    client.force_login(lead)
    assert _changelist_pks(client, ServiceApplication) == {sa.pk}
    page = client.get(_url(ServiceApplication, "change", sa.pk))
    assert page.status_code == 200
    assert _buttons(page) == []
    assert 'name="_save"' not in page.content.decode()
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.SUBMITTED


def test_permit_agency_reads_its_permits_only_and_decides_nothing_here(
    client, staff, case, applicant
):
    sa = _to_permitting(case["electricity"], applicant)
    planning = sa.permits.get(permit_type="planning")
    excavation = sa.permits.get(permit_type="road_excavation")
    client.force_login(staff("natural-resources"))
    assert _changelist_pks(client, PermitRequest) == {planning.pk}
    page = client.get(_url(PermitRequest, "change", planning.pk))
    assert page.status_code == 200
    assert _buttons(page) == []
    assert client.post(_url(PermitRequest, "change", planning.pk), {}).status_code == 403
    # Another agency's permit is not even visible.
    assert client.get(_url(PermitRequest, "change", excavation.pk)).status_code in (302, 404)
    planning.refresh_from_db()
    assert planning.status == PermitStatus.PENDING


def test_document_admin_shows_metadata_but_no_file_link(client, superuser, case):
    client.force_login(superuser)
    document = Document.objects.first()
    content = client.get(_url(Document, "change", document.pk)).content.decode()
    assert document.sha256 in content
    assert document.file.name not in content
    assert "/media/" not in content


@pytest.mark.parametrize(
    ("model", "who"),
    [
        (ServiceApplication, "superuser"),
        (ServiceApplication, "operator"),
        (CombinedApplication, "superuser"),
        (StateChange, "superuser"),
        (StateChange, "operator"),
    ],
)
def test_changelist_query_count_does_not_grow_with_rows(
    client, superuser, staff, submit, model, who
):
    """One electricity request adds one row to each of these lists."""
    user = superuser if who == "superuser" else staff("csg-zhongshan")
    client.force_login(user)
    url = _url(model, "changelist")

    def count(expected_rows: int) -> int:
        client.get(url)  # warm caches (content types, session)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == expected_rows
        return len(queries)

    for _ in range(2):
        submit(["electricity"])
    with_two = count(2)
    for _ in range(10):
        submit(["electricity"])
    assert count(12) == with_two


def test_joint_works_plans_are_read_in_the_admin_by_their_participants_only(
    client, superuser, staff, applicant_org, applicant, project
):
    from applications.models import JointWorksEvent, JointWorksPlan
    from tests.applications.joint_works_helpers import propose, services_for

    plan = propose(
        services_for(
            ["electricity", "water"],
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
        )
    )
    client.force_login(superuser)
    page = client.get(_url(JointWorksPlan, "change", plan.pk))
    assert page.status_code == 200
    assert "和清路" in page.content.decode()
    assert client.get(_url(JointWorksPlan, "add")).status_code == 403
    assert client.post(_url(JointWorksPlan, "delete", plan.pk), {"post": "yes"}).status_code == 403
    assert _changelist_pks(client, JointWorksEvent) == set(
        JointWorksEvent.objects.values_list("pk", flat=True)
    )
    client.force_login(staff("zs-water"))
    assert _changelist_pks(client, JointWorksPlan) == {plan.pk}
    client.force_login(staff("towngas-zs"))
    assert client.get(_url(JointWorksPlan, "change", plan.pk)).status_code in (302, 403, 404)
