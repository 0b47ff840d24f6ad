"""免证办: documents a department shares with a pushed project need no upload by its company."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.constants import DocumentSource, DocumentType
from applications.models import Document, DocumentLink
from applications.services import combined_application_submit, project_document_share
from applications.services.claims import project_claim
from applications.services.drafts import draft_create, submission_input
from applications.services.projects import project_push
from core.errors import PermissionDenied
from tests.factories import PDF_BYTES, staff_of, submission
from workgroups.models import Organization

SHARED = (DocumentType.PROPERTY_RIGHT, DocumentType.PLANNING_PERMIT, DocumentType.SITE_PLAN)


@pytest.fixture
def pushed(verified_org):
    provider = Organization.objects.get(code="natural-resources")
    project = project_push(
        actor=staff_of("natural-resources", username="nr-clerk"),
        organization=provider,
        code="2026-442000-48-01-777001",
        town_code="zhongshangang",
        name="火炬开发区新材料产业园",
        kind="new",
        works_type="building",
        address="中山市火炬开发区沿江东三路8号",
        owner_credit_code=verified_org.unified_social_credit_code,
    )
    for doc_type in SHARED:
        project_document_share(
            provider=provider,
            project=project,
            doc_type=doc_type,
            upload=SimpleUploadedFile(f"{doc_type}.pdf", PDF_BYTES + doc_type.encode()),
        )
    return project


def test_claiming_a_pushed_project_brings_its_documents(pushed, applicant, applicant_org):
    project_claim(actor=applicant, owner=applicant_org, code=pushed.code)
    mine = Document.objects.filter(owner=applicant_org, project=pushed)
    assert sorted(mine.values_list("doc_type", flat=True)) == sorted(SHARED)
    assert {d.source for d in mine} == {DocumentSource.SHARED_DATA}
    assert all(d.source_organization.code == "natural-resources" for d in mine)
    assert all(applicant.has_perm("applications.view_document", d) for d in mine)
    # One stored file, not a copy of the bytes.
    shared = Document.objects.get(owner__code="natural-resources", doc_type=DocumentType.SITE_PLAN)
    assert mine.get(doc_type=DocumentType.SITE_PLAN).file.name == shared.file.name


def test_a_draft_for_the_project_starts_with_those_documents_provided(
    pushed, applicant, applicant_org
):
    project = project_claim(actor=applicant, owner=applicant_org, code=pushed.code)
    draft = draft_create(actor=applicant, owner=applicant_org, project=project)
    assert set(draft.documents) == set(SHARED)


def test_the_request_is_filed_with_the_shared_documents_and_uploads_only_the_rest(
    pushed, applicant, applicant_org
):
    project = project_claim(actor=applicant, owner=applicant_org, code=pushed.code)
    shared = {d.doc_type: d for d in Document.objects.filter(owner=applicant_org, project=project)}
    data = submission(applicant, applicant_org, ["electricity", "water"])
    data.documents.update(shared)
    combined = combined_application_submit(
        actor=applicant, applicant=applicant_org, project=project, data=data
    )
    linked = DocumentLink.objects.filter(service_application__combined=combined)
    assert linked.filter(document__source=DocumentSource.SHARED_DATA).count() == 6  # 3 x 2


def test_only_the_department_that_pushed_it_shares_documents(pushed):
    with pytest.raises(PermissionDenied):
        project_document_share(
            provider=Organization.objects.get(code="investment"),
            project=pushed,
            doc_type=DocumentType.SITE_PLAN,
            upload=SimpleUploadedFile("x.pdf", PDF_BYTES),
        )


def test_equipment_lists_cannot_come_from_shared_data(pushed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        project_document_share(
            provider=Organization.objects.get(code="natural-resources"),
            project=pushed,
            doc_type=DocumentType.ELECTRICAL_EQUIPMENT,
            upload=SimpleUploadedFile("x.pdf", PDF_BYTES),
        )


def test_draft_input_carries_the_shared_documents(pushed, applicant, applicant_org):
    project = project_claim(actor=applicant, owner=applicant_org, code=pushed.code)
    draft = draft_create(actor=applicant, owner=applicant_org, project=project)
    docs = {d.doc_type: d for d in Document.objects.filter(owner=applicant_org, project=project)}
    data = submission_input(draft, docs)
    assert set(data.documents) == set(SHARED)
