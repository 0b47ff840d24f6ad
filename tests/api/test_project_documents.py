"""免证办 over the API: a department shares a pushed project's approval documents, and the
applicant company that claims the project finds them in its request form, with no upload."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.constants import DocumentSource
from applications.models import Document
from tests.factories import PDF_BYTES, PNG_BYTES
from workgroups.models import Town

CODE = "2026-442000-70-03-000077"


@pytest.fixture
def provider_api(make_token, bearer):
    return bearer(make_token("investment"))


@pytest.fixture
def pushed(provider_api, verified_org):
    response = provider_api.post(
        "/api/v1/projects/",
        {
            "code": CODE,
            "name": "古镇灯饰产业园二期",
            "kind": "new",
            "works_type": "building",
            "address": "中山市古镇镇东岸北路2号",
            "town": "guzhen",
            "owner_credit_code": verified_org.unified_social_credit_code,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _upload(
    api,
    project_uuid,
    content=PDF_BYTES,
    name="规划许可证.pdf",
    doc_type="planning_permit",
    **headers,
):
    return api.post(
        f"/api/v1/projects/{project_uuid}/documents/",
        {"file": SimpleUploadedFile(name, content), "doc_type": doc_type},
        format="multipart",
        **headers,
    )


def _claim_and_open_the_request_form(client, applicant):
    client.force_login(applicant)
    claimed = client.post(
        "/en/projects/new/",
        {
            "code": "ignored",
            "name": "古镇灯饰产业园二期",
            "kind": "new",
            "works_type": "building",
            "address": "中山市古镇镇东岸北路2号",
            "town": Town.objects.get(code="guzhen").pk,
            "claim": CODE,
        },
    )
    assert claimed.status_code == 302
    project = Document.objects.filter(project__code=CODE).first().project
    form = client.post("/en/requests/new/", {"project": str(project.uuid)}, follow=True)
    assert form.status_code == 200
    return form.content.decode()


def test_a_document_shared_over_the_api_needs_no_upload_by_the_claimant(
    provider_api, pushed, client, applicant, applicant_org
):
    response = _upload(provider_api, pushed["uuid"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["doc_type"] == "planning_permit"
    assert body["original_name"] == "规划许可证.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["source"] == DocumentSource.SHARED_DATA
    listed = provider_api.get(f"/api/v1/projects/{pushed['uuid']}/documents/")
    assert listed.status_code == 200
    assert [row["uuid"] for row in listed.json()] == [body["uuid"]]

    html = _claim_and_open_the_request_form(client, applicant)

    assert "规划许可证.pdf" in html
    assert "From shared data, nothing to submit" in html
    # Nothing is asked for it: no upload, no commitment box.
    assert 'name="file-planning_permit"' not in html
    assert 'value="planning_permit"' not in html
    mine = Document.objects.get(owner=applicant_org, project__code=CODE)
    assert mine.source == DocumentSource.SHARED_DATA
    assert mine.source_organization.code == "investment"
    # The department's list shows what it shared, not the claimant's copy.
    again = provider_api.get(f"/api/v1/projects/{pushed['uuid']}/documents/").json()
    assert [row["uuid"] for row in again] == [body["uuid"]]


def test_a_document_shared_after_the_claim_reaches_the_owner_at_once(
    provider_api, pushed, client, applicant, applicant_org
):
    assert _upload(provider_api, pushed["uuid"]).status_code == 201
    _claim_and_open_the_request_form(client, applicant)
    late = _upload(provider_api, pushed["uuid"], PNG_BYTES, "总平面图.png", "site_plan")
    assert late.status_code == 201, late.json()
    mine = Document.objects.filter(owner=applicant_org, project__code=CODE)
    assert sorted(mine.values_list("doc_type", flat=True)) == ["planning_permit", "site_plan"]


def test_another_departments_project_answers_like_a_missing_one(pushed, make_token, bearer):
    other = bearer(make_token("market-regulation"))
    missing = "00000000-0000-4000-8000-000000000000"
    same = {"HTTP_X_REQUEST_ID": "same-request"}  # bodies carry the request id
    for method in ("get", "post"):
        theirs = getattr(other, method)(f"/api/v1/projects/{pushed['uuid']}/documents/", **same)
        nothing = getattr(other, method)(f"/api/v1/projects/{missing}/documents/", **same)
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json() == nothing.json()
    stolen = _upload(other, pushed["uuid"])
    assert stolen.status_code == 404
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "doc_type", "field"),
    [
        (b"MZ\x90\x00 not a document", "规划许可证.pdf", "planning_permit", "file"),
        (b"", "empty.pdf", "planning_permit", "file"),
        (PDF_BYTES, "设备清单.pdf", "electrical_equipment", "doc_type"),  # never shared data
        (PDF_BYTES, "x.pdf", "castle", "doc_type"),
    ],
)
def test_content_and_type_are_checked_as_for_portal_uploads(
    provider_api, pushed, content, name, doc_type, field
):
    response = _upload(provider_api, pushed["uuid"], content, name, doc_type)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Document.objects.exists()


def test_a_file_over_the_limit_is_413_however_little_it_is_over(provider_api, pushed, settings):
    """docs/api.md: "at most 20 MB (a larger body is 413)" — a file just over the limit too,
    not a 400 because it still fits the multipart envelope's allowance."""
    settings.DOCUMENT_MAX_BYTES = 1024
    at_limit = _upload(provider_api, pushed["uuid"], PDF_BYTES + b"0" * (1024 - len(PDF_BYTES)))
    assert at_limit.status_code == 201, at_limit.json()
    for extra in (1, 2048, 200_000):
        over = _upload(
            provider_api, pushed["uuid"], PDF_BYTES + b"0" * (1024 - len(PDF_BYTES) + extra)
        )
        assert over.status_code == 413, over.json()
        assert over.json()["type"] == "payload_too_large"
        assert "1024" not in over.json()["detail"]
    assert Document.objects.count() == 1


def test_the_department_downloads_what_it_shared_with_projects_read(
    provider_api, pushed, make_token, bearer
):
    shared = _upload(provider_api, pushed["uuid"]).json()
    reader = bearer(make_token("investment", ["projects:read"]))
    listed = reader.get(f"/api/v1/projects/{pushed['uuid']}/documents/").json()
    assert [d["uuid"] for d in listed] == [shared["uuid"]]
    download = reader.get(listed[0]["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    # Another department's token with the same scope does not get it.
    other = bearer(make_token("market-regulation", ["projects:read"]))
    assert other.get(listed[0]["download_url"]).status_code == 404


def test_names_are_sanitised_and_the_same_file_is_stored_once(provider_api, pushed):
    first = _upload(provider_api, pushed["uuid"], name='../../etc/"许可"<证>.pdf')
    assert first.status_code == 201, first.json()
    assert first.json()["original_name"] == "许可证.pdf"
    again = _upload(provider_api, pushed["uuid"], name="copy.pdf")
    assert again.status_code == 201
    assert again.json()["uuid"] == first.json()["uuid"]
    assert Document.objects.count() == 1


def test_a_json_body_is_refused(provider_api, pushed):
    response = provider_api.post(
        f"/api/v1/projects/{pushed['uuid']}/documents/",
        {"doc_type": "planning_permit"},
        format="json",
    )
    assert response.status_code == 415
    assert response.json()["type"] == "unsupported_media_type"


def test_a_retried_upload_is_replayed_and_a_reused_key_with_another_file_refused(
    provider_api, pushed
):
    first = _upload(provider_api, pushed["uuid"], HTTP_IDEMPOTENCY_KEY="doc-1")
    again = _upload(provider_api, pushed["uuid"], HTTP_IDEMPOTENCY_KEY="doc-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other_file = _upload(
        provider_api, pushed["uuid"], PDF_BYTES + b"%v2", HTTP_IDEMPOTENCY_KEY="doc-1"
    )
    assert other_file.status_code == 422
    assert Document.objects.count() == 1


def test_reading_needs_projects_read_and_sharing_projects_write(pushed, make_token, bearer):
    reader = bearer(make_token("investment", ["projects:read"]))
    assert reader.get(f"/api/v1/projects/{pushed['uuid']}/documents/").status_code == 200
    denied = _upload(reader, pushed["uuid"])
    assert denied.status_code == 403
    assert "projects:write" in denied.json()["detail"]
