"""免证办 promises kept: ONE function (`shared_document_sources`) decides which documents the
portal fetches itself; the transparency page states each one's condition from the same rules,
and the request form and the submission service behave exactly as stated. Both ways: a verified
company with a pushed project submits nothing for them; a new unverified company uploads all."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from applications.constants import DocumentType, SharedFrom
from applications.models import DocumentLink, Draft
from applications.registry import DOCUMENT_RULES, UTILITIES, documents_required
from applications.services import project_document_share
from applications.services.claims import project_claim
from applications.services.drafts import draft_create
from applications.services.projects import project_push
from applications.sharing import SHARED_DATA_CONDITIONS, shared_document_sources
from core.errors import ValidationError
from tests.factories import PDF_BYTES, ProjectFactory, company, member_of, staff_of, submission
from workgroups.models import CompanyRegistryRecord, Organization

pytestmark = pytest.mark.django_db

PUSHABLE = [t for t, r in DOCUMENT_RULES.items() if r.shared_from == SharedFrom.PROJECT_PUSH]
FIVE = list(UTILITIES)


@pytest.fixture
def pushed_project(verified_org, applicant):
    """A department pushed the verified company's project with every document it may share,
    and the company took it over."""
    provider = Organization.objects.get(code="natural-resources")
    project = project_push(
        actor=staff_of("natural-resources", username="nr-clerk"),
        organization=provider,
        code="2026-442000-48-01-777002",
        town_code="zhongshangang",
        name="火炬开发区新材料产业园二期",
        kind="new",
        works_type="building",
        address="中山市火炬开发区沿江东三路10号",
        owner_credit_code=verified_org.unified_social_credit_code,
    )
    for doc_type in PUSHABLE:
        project_document_share(
            provider=provider,
            project=project,
            doc_type=doc_type,
            upload=SimpleUploadedFile(f"{doc_type}.pdf", PDF_BYTES + doc_type.encode()),
        )
    return project_claim(actor=applicant, owner=verified_org, code=project.code)


@pytest.fixture
def newcomer(reference):
    org = company("newcomer-co", "中山市新来乍到科技有限公司")
    return org, member_of(org, username="newcomer")


def _page_statements(client) -> dict[str, dict[str, str]]:
    """What the English transparency page says per utility and document: the condition under
    which the portal fetches it ('' when it does not)."""
    html = client.get("/en/transparency/").content.decode()
    said: dict[str, dict[str, str]] = {}
    for utility in FIVE:
        block = html[html.index(f'data-standards="{utility}"') :]
        block = block[: block.index("</section>")]
        cells = re.findall(
            r'<td class="small" data-shared-from="([a-z_]*)" data-doc="([a-z_]+)">(.*?)</td>',
            block,
            re.S,
        )
        said[utility] = {doc: (src, text) for src, doc, text in cells}
    return said


def test_the_page_states_exactly_what_the_function_fetches_for_a_verified_company(
    client, verified_org, pushed_project
):
    fetched = shared_document_sources(verified_org, pushed_project)
    said = _page_statements(client)
    with translation.override("en"):
        conditions = {k: str(v) for k, v in SHARED_DATA_CONDITIONS.items()}
    for utility in FIVE:
        assert set(said[utility]) == set(UTILITIES[utility].documents), utility
        marked = {doc for doc, (src, _text) in said[utility].items() if src}
        # Every document the page marks is fetched for this company, and nothing else is.
        assert marked == set(fetched) & set(UTILITIES[utility].documents), utility
        for doc in marked:
            source, text = said[utility][doc]
            assert source == fetched[doc].source
            assert conditions[source] in text, (utility, doc)
    assert fetched[DocumentType.BUSINESS_LICENCE].source == SharedFrom.COMPANY_REGISTRY
    assert fetched[DocumentType.BUSINESS_LICENCE].registry_record == (
        CompanyRegistryRecord.objects.get(credit_code=verified_org.unified_social_credit_code)
    )
    # The authorisation letter and the equipment lists are never fetched: the page says so.
    for never in (
        DocumentType.AUTHORISATION,
        DocumentType.ELECTRICAL_EQUIPMENT,
        DocumentType.GAS_EQUIPMENT,
    ):
        assert never not in fetched
    assert said["electricity"][DocumentType.AUTHORISATION][0] == ""


def test_the_form_asks_nothing_for_what_is_fetched_and_the_server_requires_nothing(
    client, verified_org, applicant, pushed_project
):
    fetched = shared_document_sources(verified_org, pushed_project)
    draft = draft_create(actor=applicant, owner=verified_org, project=pushed_project)
    client.force_login(applicant)
    html = client.get(f"/en/requests/drafts/{draft.uuid}/").content.decode()
    for doc_type in DocumentType.values:
        row = html[html.index(f'id="doc-{doc_type}"') :]
        row = row[: row.index('<div class="doc-row') if '<div class="doc-row' in row else None]
        if doc_type in fetched:
            assert "From shared data, nothing to submit" in row, doc_type
            assert f'name="file-{doc_type}"' not in row, doc_type
            assert f'value="{doc_type}"' not in row, doc_type  # no commitment box either
        else:
            assert f'name="file-{doc_type}"' in row, doc_type
    # Filed with only the documents nobody fetches: accepted, the pushed copies linked, the
    # business licence stood for by the registry's data.
    data = submission(applicant, verified_org, FIVE)
    for doc_type in fetched:
        data.documents.pop(doc_type, None)
        data.commitments.pop(doc_type, None)
    from applications.services import combined_application_submit

    combined = combined_application_submit(
        actor=applicant, applicant=verified_org, project=pushed_project, data=data
    )
    links = DocumentLink.objects.filter(service_application__combined=combined)
    linked_types = set(links.values_list("doc_type", flat=True))
    assert set(PUSHABLE) <= linked_types
    assert DocumentType.BUSINESS_LICENCE not in linked_types
    # What stood for the licence is kept with the request, as the registry said it then.
    record = fetched[DocumentType.BUSINESS_LICENCE].registry_record
    assert combined.registry_licence["credit_code"] == record.credit_code
    assert combined.registry_licence["name"] == record.name
    assert combined.registry_licence["legal_representative"] == record.legal_representative
    # The operator's case page shows it in place of a file.
    operator = staff_of("csg-zhongshan", username="csg-clerk")
    client.force_login(operator)
    page = client.get(f"/en/staff/cases/{combined.uuid}/")
    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    assert "data-registry-licence" in html and record.credit_code in html
    for link in links.filter(doc_type__in=PUSHABLE).select_related("document"):
        assert link.document == fetched[link.doc_type].document


def test_the_form_review_passes_without_uploading_what_is_fetched(
    client, verified_org, applicant, pushed_project
):
    draft = draft_create(actor=applicant, owner=verified_org, project=pushed_project)
    client.force_login(applicant)
    post = {"business_type": "new_connection", "utilities": ["cable_tv"], "action": "review"}
    post |= {"cable_tv-service_type": "tv", "cable_tv-terminals": "20"}
    post["file-authorisation"] = SimpleUploadedFile(
        "authorisation.pdf", PDF_BYTES + b"authorisation", "application/pdf"
    )
    response = client.post(f"/en/requests/drafts/{draft.uuid}/", post)
    assert response.status_code == 302, response.content.decode()[:3000]
    review = client.get(response["Location"]).content.decode()
    assert review.count("From shared data, nothing to submit") == 2  # licence, property right
    assert "Missing" not in review
    answer = client.post(response["Location"], {"client_token": str(draft.client_token)})
    assert answer.status_code == 302
    assert Draft.objects.get(pk=draft.pk).combined is not None


def test_a_new_unverified_company_uploads_everything(client, newcomer):
    org, person = newcomer
    project = ProjectFactory(owner=org, created_by=person)
    assert shared_document_sources(org, project) == {}
    draft = draft_create(actor=person, owner=org, project=project)
    client.force_login(person)
    html = client.get(f"/en/requests/drafts/{draft.uuid}/").content.decode()
    assert "From shared data, nothing to submit" not in html
    for doc_type in DocumentType.values:
        assert f'name="file-{doc_type}"' in html, doc_type
    # The server asks for the licence as the form does.
    data = submission(person, org, ["cable_tv"])
    data.documents.pop(DocumentType.BUSINESS_LICENCE)
    from applications.services import combined_application_submit

    with pytest.raises(ValidationError) as caught:
        combined_application_submit(actor=person, applicant=org, project=project, data=data)
    assert f"documents.{DocumentType.BUSINESS_LICENCE}" in caught.value.message_dict
    # And the review step of the form refuses the same way.
    post = {"business_type": "new_connection", "utilities": ["cable_tv"], "action": "review"}
    post |= {"cable_tv-service_type": "tv", "cable_tv-terminals": "20"}
    response = client.post(f"/en/requests/drafts/{draft.uuid}/", post)
    assert response.status_code != 302
    page = response.content.decode()
    row = page[page.index('id="doc-business_licence"') :]
    assert "Upload this document." in row[: row.index("</div>\n    </div>") + 2000]


def test_a_verified_company_without_registry_data_uploads_its_licence(
    client, applicant_org, applicant
):
    """Verified by staff review of its licence: no registry data to fetch from."""
    from tests.factories import credit_code_for
    from workgroups.models import CompanyIdentity

    applicant_org.unified_social_credit_code = credit_code_for(applicant_org)
    applicant_org.save()
    CompanyIdentity.objects.create(
        organization=applicant_org, credit_code=applicant_org.unified_social_credit_code
    )
    CompanyIdentity.objects.filter(organization=applicant_org).update(status="verified")
    project = ProjectFactory(owner=applicant_org, created_by=applicant)
    assert DocumentType.BUSINESS_LICENCE not in shared_document_sources(applicant_org, project)
    assert documents_required(["cable_tv"])[0] == DocumentType.BUSINESS_LICENCE
