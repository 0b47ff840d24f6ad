"""The staff site: every page is scoped to what the caller's organisation acts on, the case page
offers exactly the transitions the services allow, and the queue costs a constant number of
queries whatever the page size."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.constants import EscalationStatus, ServiceStatus
from applications.models import Escalation, PermitRequest, ServiceApplication
from applications.services import service_application_transition, sla_sweep
from applications.workflow import COUNTER_VISIT, transitions_available
from tests.error_summary import assert_error_summary
from tests.factories import company, make_service, member_of, staff_of

S = ServiceStatus
PLAN = {
    "survey_result": "site ok",
    "plan": "10 kV line from the substation",
    "fee_quote_cny": "1200.00",
    "required_permits": ["planning"],
}

# role -> organisation code (None: the applicant of the case)
ROLES = {
    "applicant": None,
    "operator": "csg-zhongshan",
    "other_operator": "towngas-zs",
    "lead": "ndrc",
    "other_lead": "housing",
    "permit_agency": "natural-resources",
    "leadership": "leadership-office",
    "leading_group": "leading-group",
    # The case's project lies in Nanlang, governed by 翠亨新区管委会; 火炬开发区 governs elsewhere.
    "town": "cuiheng",
    "other_town": "torch-zone",
}


@pytest.fixture
def users(reference, applicant):
    made = {}
    for role, code in ROLES.items():
        made[role] = applicant if code is None else staff_of(code, username=f"staff-{role}")
    return made


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def case(submit):
    """One combined request: electricity (供电局, lead 发改局) and water (水务)."""
    combined = submit(["electricity", "water"])
    return combined, {sa.utility: sa for sa in combined.services.all()}


def _case_url(combined) -> str:
    return reverse("staff:case", args=[combined.uuid])


def _queue_uuids(client, **params) -> set[str]:
    response = client.get(reverse("staff:queue"), params)
    assert response.status_code == 200
    return set(re.findall(r'data-case="([0-9a-f-]+)"', response.content.decode()))


def _buttons(response, utility: str) -> list[str]:
    html = response.content.decode()
    return re.findall(rf'data-action="([a-z_]+)" data-utility="{utility}"', html)


# --- Queue and case page: the permission matrix ------------------------------------------------

VISIBLE = {
    # role -> utilities of the case it sees in its queue / on the case page
    "applicant": set(),
    "operator": {"electricity"},
    "other_operator": set(),
    "lead": {"electricity"},
    "other_lead": set(),
    "permit_agency": set(),
    "leadership": {"electricity", "water"},
    "leading_group": {"electricity", "water"},
    "town": {"electricity", "water"},  # its area, read-only
    "other_town": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_queue_lists_only_what_the_role_may_act_on(role, users, case):
    _, services = case
    client = client_for(users[role])
    response = client.get(reverse("staff:queue"))
    if role == "applicant":
        assert response.status_code == 403
        return
    listed = _queue_uuids(client)
    assert listed == {str(services[u].uuid) for u in VISIBLE[role]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_case_page_is_denied_to_roles_with_nothing_to_see(role, users, case):
    combined, services = case
    response = client_for(users[role]).get(_case_url(combined))
    if role == "applicant":
        assert response.status_code == 403
    elif not VISIBLE[role]:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        shown = set(re.findall(r'data-utility="([a-z_]+)"', response.content.decode()))
        assert shown == VISIBLE[role]


@pytest.mark.django_db
def test_permit_agency_sees_its_permits_and_their_case_only_once_issued(users, case, applicant):
    combined, services = case
    sa = services["electricity"]
    operator = users["operator"]
    client = client_for(users["permit_agency"])
    assert client.get(_case_url(combined)).status_code == 404
    for name, data in (("accept", None), ("start_survey", None), ("issue_plan", PLAN)):
        sa = service_application_transition(
            actor=operator, service_application=sa, transition=name, data=data
        )
    service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )
    permit = PermitRequest.objects.get(service_application=sa)

    response = client.get(reverse("staff:queue"), {"tab": "permits"})
    assert response.status_code == 200
    assert re.findall(r'data-permit="([0-9a-f-]+)"', response.content.decode()) == [
        str(permit.uuid)
    ]
    assert _queue_uuids(client) == set()  # read-only context, not its case queue
    page = client.get(_case_url(combined))
    assert page.status_code == 200
    assert _buttons(page, "electricity") == []
    # Another permit agency sees neither.
    other = client_for(staff_of("public-security", username="other-agency"))
    assert (
        "data-permit=" not in other.get(reverse("staff:queue"), {"tab": "permits"}).content.decode()
    )
    assert other.get(_case_url(combined)).status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(case):
    combined, _ = case
    urls = [reverse(f"staff:{name}") for name in ("queue", "escalations", "kpi")]
    for url in [*urls, _case_url(combined)]:
        response = Client().get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


# --- Queue: filters, search, SLA colours, query count -----------------------------------------


@pytest.mark.django_db
def test_queue_filters_search_and_sla_colours(users, applicant_org, applicant, project):
    now = timezone.now()
    overdue = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        due_at=now - dt.timedelta(hours=1),
    )
    soon = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        due_at=now + dt.timedelta(minutes=5),
    )
    later = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status=S.ACCEPTED,
        due_at=now + dt.timedelta(days=30),
    )
    client = client_for(users["operator"])
    html = client.get(reverse("staff:queue")).content.decode()
    rows = re.findall(r'data-sla="([a-z_]+)" data-case="([0-9a-f-]+)"', html)
    assert rows == [
        ("overdue", str(overdue.uuid)),
        ("due_soon", str(soon.uuid)),
        ("on_time", str(later.uuid)),
    ]
    assert _queue_uuids(client, overdue="1") == {str(overdue.uuid)}
    assert _queue_uuids(client, status="accepted") == {str(later.uuid)}
    assert _queue_uuids(client, utility="water") == set()
    assert _queue_uuids(client, town="nanlang") == {str(s.uuid) for s in (overdue, soon, later)}
    assert _queue_uuids(client, business_type="relocation") == set()
    assert len(_queue_uuids(client, q=project.code)) == 3
    assert len(_queue_uuids(client, q=applicant_org.name_zh[:4])) == 3
    assert _queue_uuids(client, q="no such thing") == set()


def _make_cases(n, applicant_org, applicant, project):
    for _ in range(n):
        make_service(applicant_org=applicant_org, applicant=applicant, project=project)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operator", "lead", "leadership"])
def test_queue_query_count_does_not_grow_with_the_page(
    role, users, applicant_org, applicant, project
):
    client = client_for(users[role])
    _make_cases(3, applicant_org, applicant, project)
    client.get(reverse("staff:queue"))  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert len(_queue_uuids(client, size="100")) == 3
    _make_cases(27, applicant_org, applicant, project)
    with CaptureQueriesContext(connection) as large:
        assert len(_queue_uuids(client, size="100")) == 30
    assert len(large) == len(small)


@pytest.mark.django_db
def test_queue_is_paginated(users, applicant_org, applicant, project):
    _make_cases(30, applicant_org, applicant, project)
    client = client_for(users["operator"])
    assert len(_queue_uuids(client)) == 25
    assert len(_queue_uuids(client, page="2")) == 5


# --- Case page: buttons == transitions_available; errors mapped --------------------------------

STATES = [S.SUBMITTED, S.ACCEPTED, S.SURVEYING, S.PLAN_ISSUED, S.CONSTRUCTING, S.INSPECTING]


@pytest.mark.django_db
@pytest.mark.parametrize("status", STATES + [S.CONNECTED, S.RETURNED])
@pytest.mark.parametrize("role", ["operator", "lead", "leadership"])
def test_buttons_shown_are_the_transitions_available(
    status, role, users, applicant_org, applicant, project
):
    sa = make_service(
        applicant_org=applicant_org, applicant=applicant, project=project, status=status
    )
    user = users[role]
    response = client_for(user).get(_case_url(sa.combined))
    assert response.status_code == 200
    fresh = ServiceApplication.objects.get(pk=sa.pk)
    available = transitions_available(actor=user, obj=fresh)
    assert _buttons(response, "electricity") == [n for n in available if n != COUNTER_VISIT]
    # Recording a counter visit moves nothing: it is offered apart from the buttons.
    visit_form = 'data-fact="record_visit" data-utility="electricity"'
    assert (visit_form in response.content.decode()) == (COUNTER_VISIT in available)
    if role == "lead":
        # The workgroup's lead may only send an application back at intake.
        expected = ["return_for_correction"] if status == S.SUBMITTED else []
        assert _buttons(response, "electricity") == expected
    elif role != "operator":
        assert _buttons(response, "electricity") == []
    elif status == S.SUBMITTED:
        assert _buttons(response, "electricity") == ["accept", "return_for_correction", "reject"]


def _post(client, sa, name, **data):
    prefix = f"t{sa.pk}-{name}"
    payload = {f"{prefix}-{key}": value for key, value in data.items()}
    return client.post(
        reverse("staff:case_transition", args=[sa.combined.uuid, sa.uuid, name]), payload
    )


@pytest.mark.django_db
def test_operator_moves_the_case_through_the_view(users, case):
    _, services = case
    sa = services["electricity"]
    client = client_for(users["operator"])
    response = _post(client, sa, "accept", comment="looks complete")
    assert response.status_code == 302
    sa.refresh_from_db()
    assert sa.status == S.ACCEPTED
    assert sa.history.get(transition="accept").comment == "looks complete"
    assert _post(client, sa, "start_survey").status_code == 302
    response = _post(client, sa, "issue_plan", **PLAN)
    assert response.status_code == 302
    sa.refresh_from_db()
    assert sa.status == S.PLAN_ISSUED
    assert sa.required_permits == ["planning"]


@pytest.mark.django_db
def test_return_without_reason_rerenders_the_form_with_its_error(users, case):
    _, services = case
    sa = services["electricity"]
    response = _post(client_for(users["operator"]), sa, "return_for_correction", reason="")
    assert_error_summary(
        response, "理由：此项为必填项。", field=f"id_t{sa.pk}-return_for_correction-reason"
    )
    assert 'class="field has-error"' in response.content.decode()
    sa.refresh_from_db()
    assert sa.status == S.SUBMITTED


@pytest.mark.django_db
def test_impossible_transition_is_a_conflict(users, case):
    _, services = case
    response = _post(client_for(users["operator"]), services["electricity"], "connect")
    assert response.status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accept", "reject"])
def test_lead_agency_may_not_perform_operator_transitions(users, case, name):
    _, services = case
    response = _post(client_for(users["lead"]), services["electricity"], name, reason="no")
    assert response.status_code == 403
    services["electricity"].refresh_from_db()
    assert services["electricity"].status == S.SUBMITTED


@pytest.mark.django_db
def test_lead_agency_returns_an_application_for_correction(users, case):
    """The workgroup's lead agency (发改局 for electricity) may send an application back at
    intake; the history names the bureau, the applicant sees the reason."""
    _, services = case
    sa = services["electricity"]
    lead = client_for(users["lead"])
    page = lead.get(_case_url(sa.combined)).content.decode()
    assert f"/{sa.uuid}/return_for_correction/" in page
    assert f"/{sa.uuid}/accept/" not in page

    response = _post(lead, sa, "return_for_correction", reason="规划许可证复印件不清晰")
    assert response.status_code == 302
    sa.refresh_from_db()
    assert sa.status == S.RETURNED
    assert sa.last_reason == "规划许可证复印件不清晰"
    change = sa.history.get(transition="return_for_correction")
    assert change.actor_organization.code == "ndrc"
    # The lead of another workgroup cannot do the same to the water application.
    other = _post(lead, services["water"], "return_for_correction", reason="x")
    assert other.status_code == 404
    services["water"].refresh_from_db()
    assert services["water"].status == S.SUBMITTED


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["other_operator", "other_lead", "permit_agency"])
def test_transition_on_someone_elses_case_is_not_found(role, users, case):
    _, services = case
    response = _post(client_for(users[role]), services["electricity"], "accept")
    assert response.status_code == 404
    services["electricity"].refresh_from_db()
    assert services["electricity"].status == S.SUBMITTED


@pytest.mark.django_db
def test_operator_of_water_cannot_touch_electricity(users, case):
    _, services = case
    water = staff_of("zs-water", username="water-staff")
    response = _post(client_for(water), services["electricity"], "accept")
    assert response.status_code == 404
    assert client_for(water).get(_case_url(services["water"].combined)).status_code == 200


# --- Escalations inbox ------------------------------------------------------------------------


@pytest.fixture
def escalation(case):
    _, services = case
    sa = services["electricity"]
    ServiceApplication.objects.filter(pk=sa.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    sla_sweep()
    return Escalation.objects.get(service_application=sa)


def _inbox(client, status="open") -> set[str]:
    response = client.get(reverse("staff:escalations"), {"status": status})
    assert response.status_code == 200
    return set(re.findall(r'data-escalation="([0-9a-f-]+)"', response.content.decode()))


TIER_VISIBLE = {
    # tier -> roles that see it in their inbox
    1: {"lead"},
    2: {"lead", "leadership"},
    3: {"lead", "leadership", "leading_group"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("tier", [1, 2, 3])
@pytest.mark.parametrize(
    "role", ["operator", "other_operator", "lead", "other_lead", "leadership", "leading_group"]
)
def test_escalations_reach_their_tier_only(tier, role, users, escalation):
    Escalation.objects.filter(pk=escalation.pk).update(tier=tier)
    listed = _inbox(client_for(users[role]))
    assert listed == ({str(escalation.uuid)} if role in TIER_VISIBLE[tier] else set())


@pytest.mark.django_db
def test_lead_acknowledges_then_resolves_with_a_note(users, escalation):
    client = client_for(users["lead"])
    url = reverse("staff:escalation_acknowledge", args=[escalation.uuid])
    assert client.post(url).status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.ACKNOWLEDGED
    assert _inbox(client, "acknowledged") == {str(escalation.uuid)}
    assert client.post(url).status_code == 409  # already acknowledged

    resolve = reverse("staff:escalation_resolve", args=[escalation.uuid])
    assert_error_summary(client.post(resolve, {"note": ""}), "请说明处理情况。")
    assert client.post(resolve, {"note": "operator called, survey booked"}).status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.RESOLVED
    assert escalation.resolution_note == "operator called, survey booked"
    assert _inbox(client, "resolved") == {str(escalation.uuid)}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operator", "other_lead", "leadership", "permit_agency"])
def test_others_cannot_handle_a_tier_one_escalation(role, users, escalation):
    client = client_for(users[role])
    for name, data in (("escalation_acknowledge", {}), ("escalation_resolve", {"note": "done"})):
        response = client.post(reverse(f"staff:{name}", args=[escalation.uuid]), data)
        assert response.status_code == 404
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.OPEN


@pytest.mark.django_db
def test_case_page_shows_the_case_escalations(users, escalation, case):
    combined, _ = case
    html = client_for(users["lead"]).get(_case_url(combined)).content.decode()
    assert f'data-escalation="{escalation.uuid}"' in html


@pytest.mark.django_db
def test_applicant_of_another_company_sees_nothing(reference, case):
    stranger = member_of(company("other-co", "别的公司"), username="stranger")
    combined, _ = case
    client = client_for(stranger)
    assert client.get(_case_url(combined)).status_code == 403
    assert client.get(reverse("staff:escalations")).status_code == 403
    assert client.get(reverse("staff:kpi")).status_code == 403


@pytest.mark.django_db
def test_admin_index_links_to_the_staff_site(reference):
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    html = client_for(root).get(reverse("admin:index")).content.decode()
    assert reverse("staff:queue") in html
    assert reverse("staff:escalations") in html
    assert reverse("staff:kpi") in html


@pytest.mark.django_db
def test_case_page_query_count_does_not_grow_with_utilities(users, submit):
    one = submit(["electricity"])
    five = submit(["electricity", "water", "gas", "network", "cable_tv"])
    client = client_for(users["leadership"])
    client.get(_case_url(one))  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(_case_url(one)).status_code == 200
    with CaptureQueriesContext(connection) as large:
        assert client.get(_case_url(five)).status_code == 200
    assert len(large) == len(small)


# --- Permit decisions from the agency's queue -------------------------------------------------


@pytest.fixture
def permitting(users, case, applicant):
    """Electricity in permitting with two permits: planning (自然资源局) and road excavation
    (城管执法局)."""
    _, services = case
    sa = services["electricity"]
    plan = dict(PLAN, required_permits=["planning", "road_excavation"])
    for name, data in (("accept", None), ("start_survey", None), ("issue_plan", plan)):
        sa = service_application_transition(
            actor=users["operator"], service_application=sa, transition=name, data=data
        )
    service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )
    return sa, {p.permit_type: p for p in PermitRequest.objects.filter(service_application=sa)}


def _decide(client, permit, decision, reason=""):
    url = reverse("staff:permit_decide", args=[permit.uuid, decision])
    return client.post(url, {"reason": reason})


@pytest.mark.django_db
def test_agencies_decide_their_permits_and_the_case_moves_on_after_the_last(users, permitting):
    sa, permits = permitting
    planning = client_for(users["permit_agency"])
    roads = client_for(staff_of("urban-management", username="roads"))
    assert _decide(planning, permits["road_excavation"], "approve").status_code == 404
    assert _decide(planning, permits["planning"], "approve").status_code == 302
    assert _decide(planning, permits["planning"], "approve").status_code == 409
    sa.refresh_from_db()
    assert sa.status == S.PERMITTING
    html = roads.get(reverse("staff:queue"), {"tab": "permits"}).content.decode()
    assert re.findall(r'data-permit="([0-9a-f-]+)"', html) == [str(permits["road_excavation"].uuid)]
    assert _decide(roads, permits["road_excavation"], "approve").status_code == 302
    sa.refresh_from_db()
    assert sa.status == S.CONSTRUCTING


@pytest.mark.django_db
def test_returning_a_permit_needs_a_reason_and_sends_the_case_back(users, permitting):
    sa, permits = permitting
    client = client_for(users["permit_agency"])
    assert_error_summary(
        _decide(client, permits["planning"], "return_to_applicant"), "此项为必填项。"
    )
    response = _decide(client, permits["planning"], "return_to_applicant", "line crosses a park")
    assert response.status_code == 302
    sa.refresh_from_db()
    assert sa.status == S.RETURNED
    assert sa.last_reason == "line crosses a park"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operator", "lead", "leadership", "other_lead", "applicant"])
def test_only_the_permits_agency_may_decide_it(role, users, permitting):
    _, permits = permitting
    response = _decide(client_for(users[role]), permits["planning"], "approve")
    assert response.status_code in (403, 404)
    permits["planning"].refresh_from_db()
    assert permits["planning"].status == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operator", "lead", "leadership", "leading_group"])
def test_every_document_link_on_the_case_page_opens(role, users, case):
    combined, _ = case
    client = client_for(users[role])
    html = client.get(_case_url(combined)).content.decode()
    links = set(re.findall(r'href="(/documents/[0-9a-f-]+/(?:view/)?)"', html))
    # Downloads and inline previews, for every file of the utilities the role sees.
    assert {link for link in links if link.endswith("/view/")}
    assert {link for link in links if not link.endswith("/view/")}
    for link in links:
        assert client.get(link).status_code == 200


# --- Documents: read-only for the leadership bodies; inline previews ---------------------------


def _document(combined, utility="electricity", doc_type="business_licence"):
    return combined.services.get(utility=utility).documents.get(doc_type=doc_type)


DOCUMENT_ACCESS = {
    # role -> status for a document of the case's electricity application
    "applicant": 200,  # its own file
    "operator": 200,
    "other_operator": 404,  # not assigned
    "lead": 200,
    "other_lead": 404,
    "permit_agency": 404,  # no permit issued on this case
    "leadership": 200,
    "leading_group": 200,
    "town": 404,  # reads the case in its area, not the applicant's files
    "other_town": 404,
}


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["document_download", "document_inline"])
@pytest.mark.parametrize("role", sorted(DOCUMENT_ACCESS))
def test_document_views_follow_the_case_permissions(view, role, users, case):
    combined, _ = case
    url = reverse(f"applications:{view}", args=[_document(combined).uuid])
    assert client_for(users[role]).get(url).status_code == DOCUMENT_ACCESS[role]


@pytest.mark.django_db
def test_leadership_opens_documents_but_an_outsider_gets_404(users, case):
    combined, _ = case
    url = reverse("applications:document_download", args=[_document(combined).uuid])
    stranger = member_of(company("other-co", "别的公司"), username="stranger")
    assert client_for(users["leadership"]).get(url).status_code == 200
    assert client_for(stranger).get(url).status_code == 404
    assert client_for(users["other_operator"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to sign in


@pytest.mark.django_db
def test_leadership_may_not_open_a_drafts_documents(users, applicant, applicant_org, project):
    from tests.factories import upload

    draft = make_service(
        applicant_org=applicant_org, applicant=applicant, project=project, status=S.DRAFT
    )
    document = upload(applicant, applicant_org, "site_plan")
    draft.document_links.create(document=document, doc_type="site_plan")
    url = reverse("applications:document_download", args=[document.uuid])
    assert client_for(users["leadership"]).get(url).status_code == 404


@pytest.mark.django_db
def test_leadership_reads_the_case_without_any_action(users, case):
    combined, _ = case
    html = client_for(users["leadership"]).get(_case_url(combined)).content.decode()
    assert "without access to its files" not in html
    assert _buttons_any(html) == []


def _buttons_any(html: str) -> list[str]:
    return re.findall(r'class="action-form" data-action="([a-z_]+)"', html)


@pytest.mark.django_db
def test_inline_preview_headers_keep_the_sandbox_and_allow_only_same_origin_framing(users, case):
    combined, _ = case
    document = _document(combined)
    response = client_for(users["operator"]).get(
        reverse("applications:document_inline", args=[document.uuid])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # The plain download stays an attachment that nothing may frame.
    download = client_for(users["operator"]).get(
        reverse("applications:document_download", args=[document.uuid])
    )
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_a_png_is_previewed_as_a_thumbnail(users, case, applicant, applicant_org):
    from tests.factories import PNG_BYTES, upload

    combined, services = case
    picture = upload(applicant, applicant_org, "site_plan", content=PNG_BYTES)
    services["electricity"].document_links.filter(doc_type="site_plan").update(document=picture)
    client = client_for(users["operator"])
    html = client.get(_case_url(combined)).content.decode()
    inline = reverse("applications:document_inline", args=[picture.uuid])
    assert f'class="doc-thumb" loading="lazy" src="{inline}"' in html
    response = client.get(inline)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")


@pytest.mark.django_db
def test_no_other_type_is_ever_shown_inline(users, case, applicant_org):
    from django.core.files.base import ContentFile

    from applications.models import Document

    combined, services = case
    page = Document(
        owner=applicant_org,
        doc_type="site_plan",
        original_name="plan.html",
        content_type="text/html",
        extension=".html",
        sha256="0" * 64,
    )
    page.file.save("plan.html", ContentFile(b"<script>alert(1)</script>"), save=True)
    services["electricity"].document_links.filter(doc_type="site_plan").update(document=page)
    client = client_for(users["operator"])
    response = client.get(reverse("applications:document_inline", args=[page.uuid]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    html = client.get(_case_url(combined)).content.decode()
    assert reverse("applications:document_inline", args=[page.uuid]) not in html


# --- Bulk actions in the queue: who may use them -----------------------------------------------

BULK_STATUS = {
    # role -> response to a bulk accept of the case's electricity application
    "applicant": 403,  # not staff
    "operator": 302,
    "other_operator": 302,  # allowed to post, but the case is reported as not found
    "lead": 403,  # reads, does not act
    "other_lead": 403,
    "permit_agency": 403,
    "leadership": 403,
    "leading_group": 403,
    "town": 403,  # reads its area, does not act
    "other_town": 403,
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(BULK_STATUS))
def test_bulk_action_permission_matrix(role, users, case):
    _, services = case
    sa = services["electricity"]
    client = client_for(users[role])
    response = client.post(
        reverse("staff:queue_bulk"), {"transition": "accept", "case": [str(sa.uuid)]}
    )
    assert response.status_code == BULK_STATUS[role]
    sa.refresh_from_db()
    assert sa.status == (S.ACCEPTED if role == "operator" else S.SUBMITTED)
    queue = client.get(reverse("staff:queue"))
    if queue.status_code == 200:
        offered = 'action="/staff/queue/bulk/"' in queue.content.decode()
        assert offered == (BULK_STATUS[role] == 302)


@pytest.mark.django_db
def test_bulk_action_needs_sign_in_and_a_post(case):
    _, services = case
    url = reverse("staff:queue_bulk")
    response = Client().post(url, {"transition": "accept", "case": [str(services["water"].uuid)]})
    assert response.status_code == 302 and "login" in response["Location"]
    services["water"].refresh_from_db()
    assert services["water"].status == S.SUBMITTED


@pytest.mark.django_db
def test_transparency_page_is_public(reference):
    assert Client().get(reverse("applications:transparency")).status_code == 200


@pytest.mark.django_db
def test_case_page_shows_working_days_left_and_overdue(users, case):
    """The clock tells the reviewer how much time is left, or how late the case is."""
    from workgroups.calendar import add_working_days

    _, services = case
    now = timezone.now()
    services["electricity"].due_at = add_working_days(now, 3)
    services["electricity"].save(update_fields=["due_at"])
    services["water"].due_at = now - dt.timedelta(days=10)
    services["water"].save(update_fields=["due_at"])
    page = client_for(users["leadership"]).get(_case_url(services["water"].combined))
    html = page.content.decode()
    left = re.search(
        rf'id="u-{services["electricity"].uuid}".*?data-days-left="(-?\d+)"', html, re.S
    )
    late = re.search(rf'id="u-{services["water"].uuid}".*?data-days-left="(-?\d+)"', html, re.S)
    assert left and int(left.group(1)) == 3
    assert late and int(late.group(1)) < 0
    assert re.search(rf'class="sla sla-overdue" data-days-left="{late.group(1)}"', html)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["bogus", "permits_approved", "issue_permit"])
def test_a_made_up_or_system_transition_in_the_url_is_not_found(users, case, name):
    """No such button exists for a person: the page answers 404, never an error page."""
    _, services = case
    sa = services["electricity"]
    response = _post(client_for(users["operator"]), sa, name)
    assert response.status_code == 404
    sa.refresh_from_db()
    assert sa.status == S.SUBMITTED
    assert not sa.history.filter(transition=name).exists()


# --- Towns and development zones (镇街、管委会): their area, read-only --------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accept", "reject", "return_for_correction"])
@pytest.mark.parametrize("role", ["town", "other_town"])
def test_a_town_cannot_act_on_a_case(name, role, users, case):
    _, services = case
    response = _post(client_for(users[role]), services["electricity"], name)
    assert response.status_code in (403, 404)
    services["electricity"].refresh_from_db()
    assert services["electricity"].status == S.SUBMITTED


@pytest.mark.django_db
def test_a_town_reads_its_case_without_buttons_or_files(users, case):
    combined, _ = case
    html = client_for(users["town"]).get(_case_url(combined)).content.decode()
    assert _buttons_any(html) == []
    assert "无权查看其材料" in html  # reads the case without access to its files
    assert reverse("applications:document_download", args=[_document(combined).uuid]) not in html
    assert "data-refer-up" not in html
    queue = client_for(users["town"]).get(reverse("staff:queue")).content.decode()
    assert "data-area-only" in queue
    assert 'action="/staff/queue/bulk/"' not in queue


@pytest.mark.django_db
def test_a_town_sees_exactly_the_cases_of_the_towns_it_governs(
    users, submit, applicant, applicant_org
):
    from applications.services import combined_application_submit
    from tests.factories import ProjectFactory, submission
    from workgroups.models import Town

    def submit_in(town: str):
        project = ProjectFactory(
            owner=applicant_org, created_by=applicant, town=Town.objects.get(code=town)
        )
        data = submission(applicant, applicant_org, ["electricity"])
        combined = combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
        return combined.services.get()

    nanlang = submit(["electricity"]).services.get()
    minzhong, shiqi = submit_in("minzhong"), submit_in("shiqi")
    # 翠亨新区 governs Nanlang and Minzhong; the Shiqi office only Shiqi.
    assert _queue_uuids(client_for(users["town"])) == {str(nanlang.uuid), str(minzhong.uuid)}
    shiqi_office = staff_of("shiqi-office", username="staff-shiqi")
    assert _queue_uuids(client_for(shiqi_office)) == {str(shiqi.uuid)}
    assert _queue_uuids(client_for(users["other_town"])) == set()
    assert client_for(shiqi_office).get(_case_url(nanlang.combined)).status_code == 404
