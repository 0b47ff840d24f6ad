"""免证办 over the API: a department names the owner of the project it pushes, sees who
claimed it, and reassigns a wrong claim (the previous claimer loses the project and the
documents shared with it at once); a claim code is shown once and never stored."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.constants import ClaimAction
from applications.models import Document, Project, ProjectClaimEvent
from applications.selectors.common import document_for_user
from applications.services.claims import project_claim
from notifications.constants import Channel
from notifications.models import Delivery
from notifications.services import facts_process
from tests.factories import PDF_BYTES, company, verify
from workgroups.models import IdempotencyRecord

SCOPES = ["projects:read", "projects:write"]


@pytest.fixture
def rival_org(reference):
    return company(code="rival", name="中山另一家公司")


@pytest.fixture
def provider_api(make_token, bearer):
    return bearer(make_token("natural-resources", SCOPES))


def _body(n: int = 1, **overrides) -> dict:
    body = {
        "code": f"2026-442000-70-05-{n:06d}",
        "name": "南朗智慧物流园",
        "kind": "new",
        "works_type": "building",
        "address": "中山市南朗街道横门大道6号",
        "town": "nanlang",
    }
    body.update(overrides)
    return body


def _share(api, project_uuid) -> None:
    response = api.post(
        f"/api/v1/projects/{project_uuid}/documents/",
        {"file": SimpleUploadedFile("规划许可证.pdf", PDF_BYTES), "doc_type": "planning_permit"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()


def test_a_claim_code_is_in_the_push_answer_only(provider_api):
    first = provider_api.post(
        "/api/v1/projects/",
        _body(issue_claim_code=True),
        format="json",
        HTTP_IDEMPOTENCY_KEY="push-with-code",
    )
    assert first.status_code == 201, first.json()
    code = first.json()["claim_code"]
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}", code)
    assert first.json()["owner_credit_code"] == ""
    assert first.json()["claim_code_expires_at"]
    assert "claim_code_redacted" not in first.json()

    replay = provider_api.post(
        "/api/v1/projects/",
        _body(issue_claim_code=True),
        format="json",
        HTTP_IDEMPOTENCY_KEY="push-with-code",
    )
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    # Redacted like a webhook's secret (workgroups.api.idempotency.shown_once).
    assert replay.json() == {**first.json(), "claim_code": None, "claim_code_redacted": True}
    stored = IdempotencyRecord.objects.get(key="push-with-code").response_body
    assert code not in json.dumps(stored)
    row = Project.objects.filter(uuid=first.json()["uuid"]).values().get()
    assert not [k for k, v in row.items() if code in str(v) or code.replace("-", "") in str(v)]
    detail = provider_api.get(first.json()["url"]).json()
    assert "claim_code" not in detail
    assert [e["action"] for e in detail["claim_history"]] == [ClaimAction.CODE_ISSUED]


def test_the_department_sees_who_claimed_and_reassigns_with_an_audit_row(
    provider_api, client, applicant, verified_org, rival_org
):
    pushed = provider_api.post(
        "/api/v1/projects/",
        _body(owner_credit_code=verified_org.unified_social_credit_code),
        format="json",
    ).json()
    _share(provider_api, pushed["uuid"])
    project = project_claim(actor=applicant, owner=verified_org, code=pushed["code"])
    copy = Document.objects.get(owner=verified_org, project=project)
    client.force_login(applicant)
    assert client.get(f"/en/documents/{copy.uuid}/").status_code == 200

    seen = provider_api.get(pushed["url"]).json()
    assert seen["claimed"] is True
    assert seen["owner"]["uuid"] == str(verified_org.uuid)
    assert seen["owner"]["unified_social_credit_code"] == verified_org.unified_social_credit_code
    assert seen["claimed_at"]
    assert [e["action"] for e in seen["claim_history"]] == ["pushed", "claimed"]

    rival = verify(rival_org)
    response = provider_api.post(
        f"/api/v1/projects/{pushed['uuid']}/reassign/",
        {
            "owner_credit_code": rival.unified_social_credit_code,
            "reason": "认领单位有误，改为实际建设单位",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["claimed"] is False and body["owner"] is None and body["claim_code"] is None
    assert body["owner_credit_code"] == rival.unified_social_credit_code
    last = body["claim_history"][-1]
    assert last["action"] == "reassigned" and last["reason"] == "认领单位有误，改为实际建设单位"
    assert last["previous_owner"]["uuid"] == str(verified_org.uuid)
    event = ProjectClaimEvent.objects.get(project=project, action=ClaimAction.REASSIGNED)
    assert event.previous_owner == verified_org
    assert event.actor_organization.code == "natural-resources" and event.actor is not None

    # The previous claimer lost the project and the shared documents at once.
    assert client.get(f"/en/documents/{copy.uuid}/").status_code == 404
    assert document_for_user(user=applicant, uuid=copy.uuid) is None
    assert "规划许可证.pdf" not in client.get("/en/documents/").content.decode()
    assert pushed["code"] not in client.get("/en/projects/").content.decode()
    assert not applicant.has_perm("applications.view_project", Project.objects.get(pk=project.pk))

    # Both companies are told: the one that lost it (with the reason), the one named now.
    facts_process()
    told = Delivery.objects.filter(channel=Channel.IN_APP, payload__code=pushed["code"])
    assert told.filter(recipient_organization=verified_org, event_type="project.shared").exists()
    lost = told.get(recipient_organization=verified_org, event_type="project.reassigned")
    assert "认领单位有误" in lost.body
    assert told.filter(recipient_organization=rival, event_type="project.shared").exists()
    department = told.get(recipient_organization__code="natural-resources")
    assert department.event_type == "project.claimed"


def test_reassigning_needs_a_reason_an_owner_and_the_projects_own_department(
    provider_api, make_token, bearer
):
    pushed = provider_api.post(
        "/api/v1/projects/", _body(owner_credit_code="91442000MA7QX31P2X"), format="json"
    ).json()
    url = f"/api/v1/projects/{pushed['uuid']}/reassign/"
    missing = provider_api.post(url, {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"reason"}
    nobody = provider_api.post(url, {"reason": "更正"}, format="json")
    assert set(nobody.json()["errors"]) == {"owner_credit_code"}
    other = bearer(make_token("investment", SCOPES)).post(
        url, {"issue_claim_code": True, "reason": "更正"}, format="json"
    )
    assert other.status_code == 404
    reader = bearer(make_token("natural-resources", ["projects:read"])).post(
        url, {"issue_claim_code": True, "reason": "更正"}, format="json"
    )
    assert reader.status_code == 403
    assert not ProjectClaimEvent.objects.filter(action=ClaimAction.REASSIGNED).exists()
    issued = provider_api.post(
        url, {"issue_claim_code": True, "reason": "改发认领码"}, format="json"
    )
    assert issued.status_code == 200 and issued.json()["claim_code"]
    assert issued.json()["owner_credit_code"] == ""


def test_the_projects_list_runs_a_constant_number_of_queries(
    provider_api, applicant, verified_org, django_assert_max_num_queries
):
    def push_and_claim(n: int) -> None:
        body = _body(n, owner_credit_code=verified_org.unified_social_credit_code)
        assert provider_api.post("/api/v1/projects/", body, format="json").status_code == 201
        project_claim(actor=applicant, owner=verified_org, code=body["code"])

    push_and_claim(1)
    with django_assert_max_num_queries(20) as one:
        assert provider_api.get("/api/v1/projects/").status_code == 200
    queries = len(one.captured_queries)  # read now: the next request clears the log
    for n in range(2, 7):
        push_and_claim(n)
    with django_assert_max_num_queries(queries):
        listed = provider_api.get("/api/v1/projects/").json()["results"]
    assert len(listed) == 6
    assert {row["owner"]["uuid"] for row in listed} == {str(verified_org.uuid)}
