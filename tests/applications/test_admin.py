"""The admin: every page opens, cases are scoped by object permission, and the transition
buttons are exactly what the services allow, with their errors mapped to 409 / 403 / 400."""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client, RequestFactory
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
from applications.services import service_application_transition, transitions_available
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


def _transition_url(sa: ServiceApplication, name: str) -> str:
    return reverse("admin:applications_serviceapplication_transition", args=[sa.pk, name])


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
    assert client.get(_transition_url(case["water"], "accept")).status_code == 404
    assert client.post(_transition_url(case["water"], "accept")).status_code == 404
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


def test_transition_buttons_equal_transitions_available(client, staff, case):
    power = staff("csg-zhongshan")
    sa = case["electricity"]
    client.force_login(power)
    response = client.get(_url(ServiceApplication, "change", sa.pk))
    assert response.status_code == 200
    available = transitions_available(actor=power, service_application=sa)
    assert available == ["accept", "return_for_correction", "reject"]
    assert _buttons(response) == available


def test_posting_a_transition_moves_the_case_and_writes_a_state_change(client, staff, case):
    power = staff("csg-zhongshan")
    sa = case["electricity"]
    client.force_login(power)
    assert client.get(_transition_url(sa, "accept")).status_code == 200
    response = client.post(_transition_url(sa, "accept"), {"comment": "资料齐全，予以受理。"})
    assert response.status_code == 302
    assert response["Location"] == _url(ServiceApplication, "change", sa.pk)
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.ACCEPTED
    change = StateChange.objects.get(service_application=sa, transition="accept")
    assert (change.actor, change.from_state, change.to_state) == (power, "submitted", "accepted")
    assert change.comment == "资料齐全，予以受理。"
    assert change.actor_organization.code == "csg-zhongshan"
    # The buttons now follow the new state.
    page = client.get(_url(ServiceApplication, "change", sa.pk))
    assert _buttons(page) == transitions_available(actor=power, service_application=sa)
    assert "start_survey" in _buttons(page)


def test_replayed_transition_is_a_409_with_a_message_not_a_500(client, staff, case):
    power = staff("csg-zhongshan")
    sa = case["electricity"]
    client.force_login(power)
    first = client.post(_transition_url(sa, "accept"), follow=True)
    assert first.redirect_chain[0][1] == 302
    assert [m.level_tag for m in first.context["messages"]] == ["success"]
    replay = client.post(_transition_url(sa, "accept"))
    assert replay.status_code == 409
    assert [m.level_tag for m in replay.context["messages"]] == ["error"]
    assert 'class="error"' in replay.content.decode()
    assert StateChange.objects.filter(service_application=sa, transition="accept").count() == 1
    # Asking for the form of a transition that is not available now leads back to the case.
    assert client.get(_transition_url(sa, "accept")).status_code == 302


def test_invalid_stage_data_rerenders_the_form_with_field_errors(client, staff, case):
    power = staff("csg-zhongshan")
    sa = case["electricity"]
    client.force_login(power)
    client.post(_transition_url(sa, "accept"))
    client.post(_transition_url(sa, "start_survey"))
    form_page = client.get(_transition_url(sa, "issue_plan"))
    assert form_page.status_code == 200
    assert 'name="fee_quote_cny"' in form_page.content.decode()

    response = client.post(_transition_url(sa, "issue_plan"), {"survey_result": "ok site"})
    assert response.status_code == 400
    stage_form = response.context["forms"][0]
    assert {"plan", "fee_quote_cny"} <= set(stage_form.errors)
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.SURVEYING

    ok = client.post(_transition_url(sa, "issue_plan"), {**PLAN, "comment": "方案已出"})
    assert ok.status_code == 302
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.PLAN_ISSUED
    assert sa.required_permits == ["planning", "road_excavation"]


def test_unknown_or_system_transition_names_are_a_400_not_a_500(client, superuser, case):
    sa = case["electricity"]
    client.force_login(superuser)
    for name in ("permits_approved", "fly_away"):
        assert client.post(_transition_url(sa, name)).status_code == 400
        assert client.get(_transition_url(sa, name)).status_code == 302
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.SUBMITTED


def test_transition_posts_need_the_csrf_token(staff, case):
    power = staff("csg-zhongshan")
    sa = case["electricity"]
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(power)
    assert csrf_client.post(_transition_url(sa, "accept")).status_code == 403
    form_page = csrf_client.get(_transition_url(sa, "accept"))
    token = form_page.context["csrf_token"]
    response = csrf_client.post(_transition_url(sa, "accept"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.ACCEPTED


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
    # At intake the lead may only send the application back; it edits nothing.
    assert _buttons(page) == ["return_for_correction"]
    assert 'name="_save"' not in page.content.decode()
    # Posting an operator's transition anyway is refused, and nothing moves.
    assert client.post(_transition_url(sa, "accept")).status_code == 403
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.SUBMITTED


def test_permit_agency_approves_through_admin(client, staff, case, applicant):
    sa = _to_permitting(case["electricity"], applicant)
    planning = sa.permits.get(permit_type="planning")
    excavation = sa.permits.get(permit_type="road_excavation")
    nr = staff("natural-resources")
    client.force_login(nr)
    assert _changelist_pks(client, PermitRequest) == {planning.pk}
    page = client.get(_url(PermitRequest, "change", planning.pk))
    assert _buttons(page) == ["approve", "return_to_applicant", "reject"]
    # Another agency's permit is not even visible.
    assert client.get(_url(PermitRequest, "change", excavation.pk)).status_code in (302, 404)

    decide = reverse("admin:applications_permitrequest_decide", args=[planning.pk, "approve"])
    assert client.post(decide, {"reason": "同意"}).status_code == 302
    planning.refresh_from_db()
    assert planning.status == PermitStatus.APPROVED
    assert planning.decided_by == nr
    assert StateChange.objects.filter(permit_request=planning, transition="approve").exists()
    # Decided: no more buttons, and a replay is a conflict.
    assert _buttons(client.get(_url(PermitRequest, "change", planning.pk))) == []
    assert client.post(decide, {"reason": "同意"}).status_code == 409


def test_returning_a_permit_requires_a_reason(client, staff, case, applicant):
    sa = _to_permitting(case["electricity"], applicant)
    planning = sa.permits.get(permit_type="planning")
    client.force_login(staff("natural-resources"))
    url = reverse(
        "admin:applications_permitrequest_decide", args=[planning.pk, "return_to_applicant"]
    )
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["forms"][0].errors
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
