"""Uploads are checked by content and size, stored once, and never under the user's name."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.constants import DocumentType
from applications.models import Document
from applications.services import document_store
from core.errors import PermissionDenied
from tests.factories import PDF_BYTES, PNG_BYTES, company, member_of


def _store(user, org, name, content, doc_type=DocumentType.SITE_PLAN):
    return document_store(
        actor=user, owner=org, doc_type=doc_type, upload=SimpleUploadedFile(name, content)
    )


def test_a_pdf_is_stored_with_its_hash_and_a_safe_name(applicant, applicant_org):
    doc = _store(applicant, applicant_org, "../../etc/总平面图\x00.pdf", PDF_BYTES)
    assert doc.content_type == "application/pdf"
    assert doc.original_name == "总平面图.pdf"
    assert len(doc.sha256) == 64
    assert doc.file.name == f"documents/{applicant_org.uuid}/{doc.sha256}.pdf"
    assert doc.file.read() == PDF_BYTES


def test_the_same_file_twice_is_stored_once(applicant, applicant_org):
    first = _store(applicant, applicant_org, "a.pdf", PDF_BYTES)
    second = _store(applicant, applicant_org, "renamed.pdf", PDF_BYTES)
    assert first.pk == second.pk
    assert Document.objects.count() == 1


def test_the_content_decides_not_the_name(applicant, applicant_org):
    doc = _store(applicant, applicant_org, "scan.pdf", PNG_BYTES)
    assert (doc.content_type, doc.extension) == ("image/png", ".png")


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00 windows executable", b"<html><script>alert(1)</script>", b"PK\x03\x04zip"],
)
def test_a_disguised_file_is_refused(applicant, applicant_org, content):
    with pytest.raises(ValidationError) as caught:
        _store(applicant, applicant_org, "licence.pdf", content)
    assert "file" in caught.value.message_dict
    assert Document.objects.count() == 0


def test_a_file_over_the_limit_is_refused(applicant, applicant_org, settings):
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        _store(applicant, applicant_org, "big.pdf", PDF_BYTES + b"0" * (1024 * 1024))
    assert "1 MB" in caught.value.message_dict["file"][0]


def test_an_empty_file_is_refused(applicant, applicant_org):
    with pytest.raises(ValidationError):
        _store(applicant, applicant_org, "empty.pdf", b"")


def test_only_members_store_documents_for_a_company(applicant_org):
    outsider = member_of(company("other", "另一公司"))
    with pytest.raises(PermissionDenied):
        _store(outsider, applicant_org, "a.pdf", PDF_BYTES)


def test_only_the_owner_may_see_a_document(applicant, applicant_org):
    doc = _store(applicant, applicant_org, "a.pdf", PDF_BYTES)
    outsider = member_of(company("other", "另一公司"))
    assert applicant.has_perm("applications.view_document", doc)
    assert not outsider.has_perm("applications.view_document", doc)
