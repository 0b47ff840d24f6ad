"""What a five-utility request asks of a company, measured in the browser on the real form
(issue 11's "done when"): the controls a person answers, the files they upload and the
commitments they may sign, for a new unverified company, a verified company (its business
licence comes from the registry) and a verified company that took over a project a department
pushed (site and planning documents come with the project). The figures are written to
test-artifacts/request-effort.json for the release note; the test fails if shared data stops
saving anyone an upload."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page

from applications.constants import SharedFrom
from applications.registry import DOCUMENT_RULES, UTILITIES, documents_required
from applications.services import project_document_share
from applications.services.claims import project_claim
from applications.services.drafts import draft_create
from applications.services.projects import project_push
from tests.browser.signin import sign_in
from tests.factories import PDF_BYTES, ProjectFactory, company, member_of, staff_of, verify
from workgroups.models import Organization

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "request-effort.json"
FIVE = list(UTILITIES)

# Visible controls a person answers: text, number, date, choices and selects (not the hidden
# ones, not buttons, not the file choosers and commitment boxes counted on their own).
COUNT_SCRIPT = """() => {
  const shown = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const all = [...document.querySelectorAll('form input, form select, form textarea')]
    .filter(shown).filter((el) => !el.disabled);
  const files = all.filter((el) => el.type === 'file');
  const commits = all.filter((el) => el.name === 'commit');
  const radios = new Set(all.filter((el) => el.type === 'radio' || el.type === 'checkbox')
    .filter((el) => el.name !== 'commit').map((el) => el.name));
  const single = all.filter((el) => !['file', 'radio', 'checkbox', 'hidden', 'submit', 'button']
    .includes(el.type));
  return {fields: single.length + radios.size, uploads: files.length, commitments: commits.length};
}"""


def _measure(page: Page, base: str, user, draft) -> dict[str, int]:
    sign_in(page, base, user)
    page.goto(f"{base}/requests/drafts/{draft.uuid}/")
    page.check("input[name=business_type][value=new_connection]")
    for utility in FIVE:
        page.check(f"input[name=utilities][value={utility}]")
    return page.evaluate(COUNT_SCRIPT)


def _pushed_and_claimed(org, user):
    provider = Organization.objects.get(code="natural-resources")
    project = project_push(
        actor=staff_of("natural-resources", username="nr-effort"),
        organization=provider,
        code="2026-442000-48-01-777310",
        town_code="zhongshangang",
        name="火炬开发区新材料产业园三期",
        kind="new",
        works_type="building",
        address="中山市火炬开发区沿江东三路12号",
        owner_credit_code=org.unified_social_credit_code,
    )
    for doc_type, rule in DOCUMENT_RULES.items():
        if rule.shared_from == SharedFrom.PROJECT_PUSH:
            project_document_share(
                provider=provider,
                project=project,
                doc_type=doc_type,
                upload=SimpleUploadedFile(f"{doc_type}.pdf", PDF_BYTES + doc_type.encode()),
            )
    return project_claim(actor=user, owner=org, code=project.code)


def test_shared_data_spares_a_verified_company_uploads_on_a_five_utility_request(
    page: Page, live_server, reference
):
    figures = {}

    newcomer = company("effort-new", "中山市新来乍到科技有限公司")
    new_user = member_of(newcomer, username="effort-new")
    project = ProjectFactory(owner=newcomer, created_by=new_user)
    figures["new_company"] = _measure(
        page,
        live_server.url,
        new_user,
        draft_create(actor=new_user, owner=newcomer, project=project),
    )

    verified = verify(company("effort-verified", "中山市已核验智造有限公司"))
    verified_user = member_of(verified, username="effort-verified")
    project = ProjectFactory(owner=verified, created_by=verified_user)
    figures["verified_company"] = _measure(
        page,
        live_server.url,
        verified_user,
        draft_create(actor=verified_user, owner=verified, project=project),
    )

    claimed = _pushed_and_claimed(verified, verified_user)
    figures["verified_company_pushed_project"] = _measure(
        page,
        live_server.url,
        verified_user,
        draft_create(actor=verified_user, owner=verified, project=claimed),
    )

    every_document = len(documents_required(FIVE))
    assert figures["new_company"]["uploads"] == every_document, figures
    # The registry's licence saves the verified company one upload, the pushed project the
    # site and planning documents; the fields asked of the person never grow.
    assert figures["verified_company"]["uploads"] == every_document - 1, figures
    pushed = sum(1 for r in DOCUMENT_RULES.values() if r.shared_from == SharedFrom.PROJECT_PUSH)
    needed_pushed = sum(
        1
        for t in documents_required(FIVE)
        if DOCUMENT_RULES[t].shared_from == SharedFrom.PROJECT_PUSH
    )
    assert pushed >= needed_pushed > 0
    assert (
        figures["verified_company_pushed_project"]["uploads"] == every_document - 1 - needed_pushed
    ), figures
    assert (
        figures["verified_company_pushed_project"]["fields"]
        <= figures["verified_company"]["fields"]
        <= figures["new_company"]["fields"]
    ), figures
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(figures, indent=2) + "\n")
