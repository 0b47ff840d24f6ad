"""Documents are served only to users allowed to see them, never from a public URL."""

import pytest

from applications.models import Document
from tests.factories import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(submit, applicant_org):
    submit(["electricity", "cable_tv"])
    return Document.objects.get(owner=applicant_org, doc_type="business_licence")


def _url(document):
    return f"/en/documents/{document.uuid}/"


def test_the_owner_downloads_with_safe_headers(web, licence):
    response = web.get(_url(licence))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="business_licence.pdf"'
    assert "no-store" in response["Cache-Control"]


def test_a_chinese_file_name_is_sent_encoded(web, applicant, applicant_org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.services import document_store

    document = document_store(
        actor=applicant,
        owner=applicant_org,
        doc_type="site_plan",
        upload=SimpleUploadedFile('总平面图"<x>.pdf', b"%PDF-1.7 plan", "application/pdf"),
    )
    disposition = web.get(_url(document))["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert '"' not in disposition.split("''", 1)[1] and "<" not in disposition


def test_the_operator_of_a_linked_application_may_download(client, licence, operator_staff):
    client.force_login(operator_staff("csg-zhongshan"))
    assert client.get(_url(licence)).status_code == 200


def test_a_lead_agency_of_a_linked_application_may_download(client, licence, operator_staff):
    client.force_login(operator_staff("ndrc"))  # lead agency of the electricity workgroup
    assert client.get(_url(licence)).status_code == 200


def test_an_operator_with_no_linked_work_gets_404(client, licence, operator_staff):
    client.force_login(operator_staff("zs-water"))  # water was not requested
    assert client.get(_url(licence)).status_code == 404


def test_another_applicant_gets_404(client, licence, rival):
    client.force_login(rival)
    assert client.get(_url(licence)).status_code == 404


def test_an_unlinked_document_is_only_the_owners(client, applicant, applicant_org, rival, web):
    document = upload(applicant, applicant_org, "gas_equipment")
    assert web.get(_url(document)).status_code == 200
    client.force_login(rival)
    assert client.get(_url(document)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, licence):
    response = client.get(_url(licence))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_document_library_lists_only_own_documents(web, licence, rival, client):
    assert "business_licence.pdf" in web.get("/en/documents/").content.decode()
    client.force_login(rival)
    assert "business_licence.pdf" not in client.get("/en/documents/").content.decode()
