"""免证办 in the portal: a project a department pushed shows itself, and its shared documents,
only to the verified company it was pushed for (by credit code, or to the holder of its claim
code); to anyone else its code answers exactly like a code nobody pushed."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.constants import ClaimAction
from applications.models import Document, Project, ProjectClaimEvent
from applications.services import project_document_share
from applications.services.projects import project_push
from tests.factories import PDF_BYTES, company, member_of, staff_of, verify
from workgroups.identity import company_identity_start
from workgroups.models import Organization, Town

pytestmark = pytest.mark.django_db

CODE = "2026-442000-48-01-880001"
UNKNOWN = "2026-442000-48-01-880999"
NAME = "翠亨新区新材料中试基地"
ADDRESS = "中山市翠亨新区兴港大道18号"
NOT_WAITING = "No project with this code is waiting for your company"
NOT_VERIFIED = "Only a verified company takes over projects that departments shared"


@pytest.fixture
def clerk(reference):
    return staff_of("natural-resources", username="nr-clerk")


def _push(clerk, *, owner_credit_code="", issue_claim_code=False):
    provider = Organization.objects.get(code="natural-resources")
    project = project_push(
        actor=clerk,
        organization=provider,
        code=CODE,
        town_code="nanlang",
        name=NAME,
        kind="new",
        works_type="building",
        address=ADDRESS,
        owner_credit_code=owner_credit_code,
        issue_claim_code=issue_claim_code,
    )
    project_document_share(
        provider=provider,
        project=project,
        doc_type="planning_permit",
        upload=SimpleUploadedFile("规划许可证-880001.pdf", PDF_BYTES),
    )
    return project


def _form(**overrides):
    data = {
        "code": "ignored",
        "name": "我方填写的名称",
        "kind": "new",
        "works_type": "building",
        "address": "我方填写的地址",
        "town": Town.objects.get(code="nanlang").pk,
        "floor_area_m2": "",
        "planned_start": "",
    }
    data.update(overrides)
    return data


def _page(response, code: str) -> str:
    """The page with what differs between any two renderings removed (CSRF tokens, the code
    typed): what is left is what the page tells about the project."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(code, "<code>")


def _shows_nothing_of_the_project(html: str) -> None:
    for text in (NAME, ADDRESS, "规划许可证-880001", "From shared data", "自然资源", "Natural"):
        assert text not in html, text


def test_a_stranger_typing_the_code_learns_nothing_of_the_project(client, clerk):
    owner = verify(company("owner-co", "中山市真实业主科技有限公司"))
    stranger_org = verify(company("stranger-co", "中山市路人甲科技有限公司"))
    stranger = member_of(stranger_org, username="stranger")
    project = _push(clerk, owner_credit_code=owner.unified_social_credit_code)
    client.force_login(stranger)

    pushed = client.get(f"/en/projects/new/?code={CODE}")
    unknown = client.get(f"/en/projects/new/?code={UNKNOWN}")
    assert pushed.status_code == unknown.status_code == 200
    assert _page(pushed, CODE) == _page(unknown, UNKNOWN)
    assert NOT_WAITING in pushed.content.decode()
    _shows_nothing_of_the_project(pushed.content.decode())

    found = client.post("/en/projects/find/", {"code": CODE, "claim_code": ""}, follow=True)
    nothing = client.post("/en/projects/find/", {"code": UNKNOWN, "claim_code": ""}, follow=True)
    assert _page(found, CODE) == _page(nothing, UNKNOWN)
    _shows_nothing_of_the_project(found.content.decode())

    claimed = client.post("/en/projects/new/", _form(claim=CODE))
    assert claimed.status_code == 200
    assert NOT_WAITING in claimed.content.decode()
    _shows_nothing_of_the_project(claimed.content.decode())
    project.refresh_from_db()
    assert project.owner is None
    assert not Document.objects.filter(owner=stranger_org).exists()


def test_the_verified_owner_claims_it_and_gets_the_shared_documents(
    web, applicant, verified_org, clerk
):
    project = _push(clerk, owner_credit_code=verified_org.unified_social_credit_code)
    prefilled = web.get(f"/en/projects/new/?code={CODE}").content.decode()
    assert NAME in prefilled and ADDRESS in prefilled and "From shared data" in prefilled

    response = web.post("/en/projects/new/", _form(claim=CODE, name=NAME, address=ADDRESS))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.owner == verified_org
    assert project.claimed_by == applicant and project.claimed_at is not None
    mine = Document.objects.get(owner=verified_org, project=project)
    assert web.get(f"/en/documents/{mine.uuid}/").status_code == 200
    assert "规划许可证-880001.pdf" in web.get("/en/documents/").content.decode()
    event = ProjectClaimEvent.objects.get(project=project, action=ClaimAction.CLAIMED)
    assert (event.owner, event.actor) == (verified_org, applicant)


def test_an_unverified_company_holding_the_code_is_refused_and_told_why(client, clerk):
    # Registered with the owner's credit code, but nothing proves it holds it.
    typed = company("typed-code", "中山市自称业主科技有限公司")
    owner_code = verify(
        company("real-owner", "中山市真实业主科技有限公司")
    ).unified_social_credit_code
    Organization.objects.filter(code="real-owner").update(unified_social_credit_code="")
    Organization.objects.filter(pk=typed.pk).update(unified_social_credit_code=owner_code)
    company_identity_start(
        organization=Organization.objects.get(pk=typed.pk), credit_code=owner_code
    )
    user = member_of(typed, username="typed")
    project = _push(clerk, owner_credit_code=owner_code)
    client.force_login(user)

    looked_up = client.get(f"/en/projects/new/?code={CODE}").content.decode()
    assert NOT_VERIFIED in looked_up
    _shows_nothing_of_the_project(looked_up)
    claimed = client.post("/en/projects/new/", _form(claim=CODE))
    assert claimed.status_code == 200
    assert NOT_VERIFIED in claimed.content.decode()
    project.refresh_from_db()
    assert project.owner is None

    # The projects page and the tracking page say why, and where to get verified.
    for page in ("/en/projects/", "/en/requests/"):
        html = client.get(page).content.decode()
        assert "Your company is not verified yet." in html, page
        assert 'href="/en/company/"' in html, page
    assert "How to get verified" in client.get("/en/company/").content.decode()


def test_a_claim_code_opens_the_project_once_and_is_stored_only_as_a_keyed_hash(
    client, web, verified_org, rival_org, rival, clerk
):
    project = _push(clerk, issue_claim_code=True)
    code = project.issued_claim_code
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}", code)
    row = Project.objects.filter(pk=project.pk).values().get()
    bare = code.replace("-", "")
    assert not [k for k, v in row.items() if code in str(v) or bare in str(v)]
    assert len(row["claim_code_digest"]) == 64
    assert row["claim_code_expires_at"] - timezone.now() > dt.timedelta(days=29)

    # The project code alone shows nothing; with the claim code (typed loosely) the form.
    _shows_nothing_of_the_project(web.get(f"/en/projects/new/?code={CODE}").content.decode())
    loose = code.lower().replace("-", " ")
    found = web.post("/en/projects/find/", {"code": CODE, "claim_code": loose})
    assert found.status_code == 200 and NAME in found.content.decode()
    claimed = web.post("/en/projects/new/", _form(claim=CODE, claim_code=loose, name=NAME))
    assert claimed.status_code == 302
    project.refresh_from_db()
    assert project.owner == verified_org
    assert project.claim_code_digest == ""  # single use

    verify(rival_org)
    client.force_login(rival)
    again = client.post("/en/projects/find/", {"code": CODE, "claim_code": code}, follow=True)
    assert NOT_WAITING in again.content.decode()
    _shows_nothing_of_the_project(again.content.decode())


def test_an_expired_claim_code_is_refused(web, verified_org, clerk):
    project = _push(clerk, issue_claim_code=True)
    code = project.issued_claim_code
    Project.objects.filter(pk=project.pk).update(
        claim_code_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    found = web.post("/en/projects/find/", {"code": CODE, "claim_code": code}, follow=True)
    assert "This claim code has expired" in found.content.decode()
    _shows_nothing_of_the_project(found.content.decode())
    claimed = web.post("/en/projects/new/", _form(claim=CODE, claim_code=code))
    assert claimed.status_code == 200
    assert "This claim code has expired" in claimed.content.decode()
    project.refresh_from_db()
    assert project.owner is None


def test_odd_codes_are_refused_like_unknown_ones_not_with_an_error(web, verified_org):
    for code in ("2026-1", "x" * 500):
        assert web.get("/en/projects/new/", {"code": code}).status_code == 200
        claimed = web.post("/en/projects/new/", _form(claim=code, claim_code="!" * 300))
        assert claimed.status_code == 200
        found = web.post("/en/projects/find/", {"code": code, "claim_code": "!" * 300})
        assert found.status_code == 302


def test_a_code_holding_a_nul_is_refused_before_the_view_and_reveals_no_project(
    web, verified_org, clerk
):
    # Pushed for this very company: without the NUL the form would show it prefilled.
    project = _push(clerk, owner_credit_code=verified_org.unified_social_credit_code)
    pushed, unknown = f"{CODE}\x00", f"{UNKNOWN}\x00"
    looks = [web.get("/en/projects/new/", {"code": code}) for code in (pushed, unknown)]
    claims = [web.post("/en/projects/new/", _form(claim=code)) for code in (pushed, unknown)]
    finds = [
        web.post("/en/projects/find/", {"code": code, "claim_code": ""})
        for code in (pushed, unknown)
    ]
    for (answer, other), field in ((looks, "code"), (claims, "claim"), (finds, "code")):
        assert answer.status_code == other.status_code == 400
        assert f"<code>{field}</code>" in answer.content.decode()
        assert _page(answer, CODE) == _page(other, UNKNOWN)
        _shows_nothing_of_the_project(answer.content.decode())
    project.refresh_from_db()
    assert project.owner is None
    assert not Document.objects.filter(owner=verified_org).exists()
