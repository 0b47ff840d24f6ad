"""The combined request: draft, resume, review, submit once; each document uploaded once."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.constants import DocumentType, ServiceStatus
from applications.models import CombinedApplication, Commitment, Document, DocumentLink, Draft
from applications.registry import documents_required
from applications.selectors.commitments import commitment_text_current
from tests.error_summary import summary_lines
from tests.web.helpers import request_post
from workgroups.calendar import add_working_days

pytestmark = pytest.mark.django_db

THREE = ["electricity", "water", "gas"]
ALL_FIVE = ["electricity", "water", "gas", "network", "cable_tv"]


def _draft(web, project) -> Draft:
    response = web.post("/en/requests/new/", {"project": str(project.uuid)})
    assert response.status_code == 302
    draft = Draft.objects.get()
    assert response.url == f"/en/requests/drafts/{draft.uuid}/"
    return draft


def _submit(web, draft) -> CombinedApplication:
    """Submit as the review page does: its token, and the commitment wording it showed."""
    draft.refresh_from_db()
    response = web.post(
        f"/en/requests/drafts/{draft.uuid}/review/",
        {
            "client_token": str(draft.client_token),
            "commitment_wording": str(commitment_text_current().pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return CombinedApplication.objects.get(client_token=draft.client_token)


def test_the_form_renders_in_both_languages(web, project):
    draft = _draft(web, project)
    for prefix in ("", "/en"):
        response = web.get(f"{prefix}/requests/drafts/{draft.uuid}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="electricity-capacity_kva"' in html and 'name="file-site_plan"' in html
    assert web.get("/requests/new/").status_code == 200
    assert web.get("/en/requests/").status_code == 200


def test_three_utilities_share_each_document_uploaded_once(web, project, applicant_org):
    draft = _draft(web, project)
    response = web.post(f"/en/requests/drafts/{draft.uuid}/", request_post(THREE))
    assert response.status_code == 302
    assert response.url == f"/en/requests/drafts/{draft.uuid}/review/"
    review = web.get(response.url)
    assert review.status_code == 200
    assert "Requested capacity (kVA)" in review.content.decode()

    combined = _submit(web, draft)
    services = list(combined.services.all())
    assert sorted(sa.utility for sa in services) == sorted(THREE)
    assert {sa.status for sa in services} == {ServiceStatus.SUBMITTED}
    assert Document.objects.filter(owner=applicant_org).count() == len(documents_required(THREE))
    licence = Document.objects.get(owner=applicant_org, doc_type=DocumentType.BUSINESS_LICENCE)
    assert licence.links.count() == 3
    draft.refresh_from_db()
    assert draft.combined == combined


def test_a_draft_is_saved_incomplete_and_resumed(web, project):
    draft = _draft(web, project)
    data = request_post(["electricity"], action="save", upload=False)
    data["electricity-capacity_kva"] = ""  # not filled in yet
    data["file-business_licence"] = request_post(["electricity"])["file-business_licence"]
    response = web.post(f"/en/requests/drafts/{draft.uuid}/", data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data["utilities"] == ["electricity"]
    assert draft.data["details"]["electricity"]["voltage_level"] == "10kv"
    assert set(draft.documents) == {"business_licence"}

    html = web.get(f"/en/requests/drafts/{draft.uuid}/").content.decode()
    assert 'value="electricity" checked' in html or "checked" in html
    assert "business_licence.pdf" in html  # the uploaded document is kept
    assert web.get("/en/requests/").content.decode().count(draft.project.name) >= 1


def test_review_shows_field_and_document_errors_and_submits_nothing(web, project):
    draft = _draft(web, project)
    data = request_post(["electricity", "network"], upload=False)
    data["electricity-capacity_kva"] = "900"
    data["electricity-voltage_level"] = "220v"  # too big for low voltage
    data["network-bandwidth_mbps"] = ""
    response = web.post(f"/en/requests/drafts/{draft.uuid}/", data)
    assert response.status_code == 200  # a page with its errors, not a failed request
    html = response.content.decode()
    assert "There is a problem" in html
    assert "must be at 10 kV or 20 kV" in html
    assert "Give the bandwidth" in html
    assert "Upload this document or sign the commitment instead." in html
    assert CombinedApplication.objects.count() == 0


def test_a_review_that_cannot_be_submitted_lists_why_in_the_error_summary(web, project):
    draft = _draft(web, project)  # nothing chosen yet
    response = web.post(f"/en/requests/drafts/{draft.uuid}/review/", {"client_token": "t"})
    lines = summary_lines(response)
    assert response.status_code == 200 and lines
    # Each problem links to the form that fixes it.
    assert {href for _text, href in lines} == {f"/en/requests/drafts/{draft.uuid}/"}
    assert CombinedApplication.objects.count() == 0


def test_no_utility_is_a_field_error(web, project):
    draft = _draft(web, project)
    response = web.post(
        f"/en/requests/drafts/{draft.uuid}/",
        {"business_type": "new_connection", "action": "review"},
    )
    assert response.status_code == 200
    assert "utilities" in response.context["form"].errors


def test_a_disguised_file_is_refused_next_to_its_document(web, project):
    draft = _draft(web, project)
    data = request_post(["cable_tv"])
    data["file-authorisation"] = SimpleUploadedFile(
        "power.pdf", b"MZ\x90\x00 this is an exe", "application/pdf"
    )
    response = web.post(f"/en/requests/drafts/{draft.uuid}/", data)
    assert response.status_code == 200
    rows = {row.doc_type: row for row in response.context["rows"]}
    assert rows["authorisation"].errors == ["Only PDF, JPEG and PNG files are accepted."]
    assert not rows["business_licence"].errors


def test_commitments_replace_documents_where_the_policy_allows(web, project):
    draft = _draft(web, project)
    response = web.post(f"/en/requests/drafts/{draft.uuid}/", request_post(THREE, commit=True))
    assert response.status_code == 302
    combined = _submit(web, draft)
    assert set(Commitment.objects.filter(combined=combined).values_list("doc_type", flat=True)) == {
        "property_right",
        "planning_permit",
        "construction_permit",
    }


def test_documents_are_reused_from_the_library_in_a_later_request(web, project, applicant_org):
    first = _draft(web, project)
    web.post(f"/en/requests/drafts/{first.uuid}/", request_post(["cable_tv"]))
    _submit(web, first)
    second = Draft.objects.create(owner=applicant_org, project=project, data={})
    library = {d.doc_type: d for d in Document.objects.filter(owner=applicant_org)}
    data = request_post(["cable_tv"], upload=False)
    for doc_type, document in library.items():
        data[f"library-{doc_type}"] = str(document.uuid)
    assert web.post(f"/en/requests/drafts/{second.uuid}/", data).status_code == 302
    combined = _submit(web, second)
    assert Document.objects.filter(owner=applicant_org).count() == len(library)
    assert DocumentLink.objects.filter(service_application__combined=combined).count() == 3


def test_a_double_submission_creates_one_request(web, project):
    draft = _draft(web, project)
    web.post(f"/en/requests/drafts/{draft.uuid}/", request_post(THREE))
    _submit(web, draft)
    # Back button + submit again (replay of the same form).
    response = web.post(
        f"/en/requests/drafts/{draft.uuid}/review/", {"client_token": str(draft.client_token)}
    )
    assert response.status_code == 302
    assert CombinedApplication.objects.count() == 1
    combined = CombinedApplication.objects.get()
    assert response.url == f"/en/requests/{combined.uuid}/"
    assert web.get(f"/en/requests/drafts/{draft.uuid}/").status_code == 302


def test_a_stale_token_is_refused(web, project):
    draft = _draft(web, project)
    web.post(f"/en/requests/drafts/{draft.uuid}/", request_post(["cable_tv"]))
    response = web.post(
        f"/en/requests/drafts/{draft.uuid}/review/",
        {"client_token": "00000000-0000-0000-0000-000000000000"},
    )
    assert response.status_code == 200
    assert "out of date" in response.content.decode()
    assert CombinedApplication.objects.count() == 0


def test_another_applicants_draft_and_project_are_not_found(web, project, rival, client):
    draft = _draft(web, project)
    client.force_login(rival)
    assert client.get(f"/en/requests/drafts/{draft.uuid}/").status_code == 404
    assert (
        client.post(f"/en/requests/drafts/{draft.uuid}/", request_post(["cable_tv"])).status_code
        == 404
    )
    assert client.post(f"/en/requests/drafts/{draft.uuid}/review/", {}).status_code == 404
    assert client.post(f"/en/requests/drafts/{draft.uuid}/delete/").status_code == 404
    response = client.post("/en/requests/new/", {"project": str(project.uuid)})
    assert response.status_code == 404
    assert Draft.objects.count() == 1


def test_a_malformed_project_id_is_not_found(web, project):
    assert web.post("/en/requests/new/", {"project": "not-a-uuid"}).status_code == 404
    assert web.post("/en/requests/new/", {}).status_code == 404


def test_a_draft_can_be_deleted(web, project):
    draft = _draft(web, project)
    assert web.post(f"/en/requests/drafts/{draft.uuid}/delete/").status_code == 302
    assert not Draft.objects.exists()


def _submit_queries(web, project, utilities) -> int:
    draft = _draft(web, project)
    assert (
        web.post(f"/en/requests/drafts/{draft.uuid}/", request_post(utilities)).status_code == 302
    )
    draft.refresh_from_db()
    add_working_days(timezone.now(), 30)  # the calendar is read once per process, not per request
    with CaptureQueriesContext(connection) as queries:
        _submit(web, draft)
    Draft.objects.all().delete()
    return len(queries)


def test_the_submit_view_runs_a_bounded_number_of_queries(web, project):
    one = _submit_queries(web, project, ["cable_tv"])
    five = _submit_queries(web, project, ALL_FIVE)
    # Five utilities (six work items with the network carrier) and eight documents cost the
    # same as one utility with three documents.
    assert five == one, (one, five)
    assert five <= 45


def test_the_forms_guide_links_open_the_guide_of_the_business_type_chosen(web, project):
    draft = _draft(web, project)
    data = request_post(["electricity"], action="save", upload=False)
    data["business_type"] = "relocation"
    assert web.post(f"/en/requests/drafts/{draft.uuid}/", data).status_code == 302
    html = web.get(f"/en/requests/drafts/{draft.uuid}/").content.decode()
    assert 'href="/en/guides/electricity/relocation/#overview"' in html
    assert 'href="/en/guides/electricity/relocation/#doc-site_plan"' in html
    assert "applications/guide_links" in html  # follows a change of the choice in the browser
