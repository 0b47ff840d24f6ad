"""The staff site's pushed projects (a department sees who claimed each and reassigns a wrong
claim) and company verification pages: each list in a constant number of queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from applications.constants import ClaimAction
from applications.models import Document, Project, ProjectClaimEvent
from applications.selectors.common import document_for_user
from applications.services import project_document_share
from applications.services.claims import project_claim
from applications.services.identity import licence_review_request
from applications.services.projects import project_push
from tests.error_summary import assert_error_summary
from tests.factories import (
    PDF_BYTES,
    company,
    credit_code_for,
    member_of,
    registry_clerk,
    staff_of,
    verify,
)
from workgroups.constants import MemberRole
from workgroups.identity import company_dispute_open, company_identity_start
from workgroups.models import Organization
from workgroups.services import membership_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(reference):
    return staff_of("natural-resources", username="nr-clerk")


def _push(clerk, n: int, owner_credit_code: str) -> Project:
    provider = Organization.objects.get(code="natural-resources")
    project = project_push(
        actor=clerk,
        organization=provider,
        code=f"2026-442000-48-01-66{n:04d}",
        town_code="shiqi",
        name=f"石岐旧城改造{n}期",
        kind="renovation",
        works_type="building",
        address="中山市石岐街道孙文中路1号",
        owner_credit_code=owner_credit_code,
    )
    project_document_share(
        provider=provider,
        project=project,
        doc_type="site_plan",
        upload=SimpleUploadedFile("总平面图.pdf", PDF_BYTES + str(n).encode()),
    )
    return project


def test_the_department_sees_who_claimed_and_reassigns_in_the_staff_site(
    clerk, applicant, verified_org
):
    project = _push(clerk, 1, verified_org.unified_social_credit_code)
    project_claim(actor=applicant, owner=verified_org, code=project.code)
    copy = Document.objects.get(owner=verified_org, project=project)
    staff = Client()
    staff.force_login(clerk)

    listing = staff.get("/en/staff/projects/").content.decode()
    assert f'data-project="{project.uuid}"' in listing
    assert verified_org.name_zh in listing and verified_org.unified_social_credit_code in listing
    page = staff.get(f"/en/staff/projects/{project.uuid}/")
    assert 'data-claim-event="claimed"' in page.content.decode()

    refused = staff.post(f"/en/staff/projects/{project.uuid}/", {"issue_claim_code": "on"})
    assert_error_summary(refused, "Reason: This field is required.", field="id_reason")
    assert "reason" in refused.context["form"].errors
    response = staff.post(
        f"/en/staff/projects/{project.uuid}/",
        {"issue_claim_code": "on", "reason": "认领单位并非建设单位"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    code = response.context["claim_code"]
    assert code and f"data-claim-code>{code}<" in html
    assert code not in staff.get(f"/en/staff/projects/{project.uuid}/").content.decode()

    project.refresh_from_db()
    assert project.owner is None and project.claim_code_digest
    event = ProjectClaimEvent.objects.get(project=project, action=ClaimAction.REASSIGNED)
    assert (event.actor, event.previous_owner, event.reason) == (
        clerk,
        verified_org,
        "认领单位并非建设单位",
    )
    assert document_for_user(user=applicant, uuid=copy.uuid) is None

    # Another department neither sees nor reassigns it.
    other = Client()
    other.force_login(staff_of("urban-management", username="um-clerk"))
    assert str(project.uuid) not in other.get("/en/staff/projects/").content.decode()
    assert other.get(f"/en/staff/projects/{project.uuid}/").status_code == 404
    assert (
        other.post(
            f"/en/staff/projects/{project.uuid}/", {"issue_claim_code": "on", "reason": "x y"}
        ).status_code
        == 404
    )


def test_the_pushed_projects_page_runs_a_constant_number_of_queries(
    clerk, applicant, verified_org, django_assert_max_num_queries
):
    staff = Client()
    staff.force_login(clerk)
    project_claim(
        actor=applicant,
        owner=verified_org,
        code=_push(clerk, 1, verified_org.unified_social_credit_code).code,
    )
    with django_assert_max_num_queries(40) as one:
        assert staff.get("/en/staff/projects/").status_code == 200
    queries = len(one.captured_queries)
    for n in range(2, 8):
        project = _push(clerk, n, verified_org.unified_social_credit_code)
        project_claim(actor=applicant, owner=verified_org, code=project.code)
    with django_assert_max_num_queries(queries):
        page = staff.get("/en/staff/projects/")
    assert page.content.decode().count("data-project=") == 7


def _awaiting(n: int) -> Organization:
    """A company that sent its business licence for review."""
    org = company(f"review-{n}", f"中山市待审{n}号有限公司")
    manager = member_of(org, username=f"review-manager-{n}")
    membership_add(user=manager, organization=org, role=MemberRole.MANAGER)
    company_identity_start(organization=org, credit_code=credit_code_for(org))
    licence_review_request(
        actor=manager,
        organization=org,
        upload=SimpleUploadedFile("营业执照.pdf", PDF_BYTES + str(n).encode()),
    )
    return org


def test_the_company_verification_pages_run_a_constant_number_of_queries(
    reference, django_assert_max_num_queries
):
    staff = Client()
    staff.force_login(registry_clerk())
    _awaiting(1)
    holder = verify(company("holder-1", "中山市持码一号有限公司"))
    claimant = company("claimant-1", "中山市争码一号有限公司")
    company_identity_start(organization=claimant, credit_code=holder.unified_social_credit_code)
    company_dispute_open(
        holder=holder,
        claimant=claimant,
        claimant_user=None,
        credit_code=holder.unified_social_credit_code,
    )
    counts = {}
    for url in ("/en/staff/companies/", "/en/staff/disputes/"):
        with django_assert_max_num_queries(40) as one:
            assert staff.get(url).status_code == 200
        counts[url] = len(one.captured_queries)
    for n in range(2, 6):
        _awaiting(n)
        holder = verify(company(f"holder-{n}", f"中山市持码{n}号有限公司"))
        claimant = company(f"claimant-{n}", f"中山市争码{n}号有限公司")
        company_identity_start(organization=claimant, credit_code=holder.unified_social_credit_code)
        company_dispute_open(
            holder=holder,
            claimant=claimant,
            claimant_user=None,
            credit_code=holder.unified_social_credit_code,
        )
    for url, queries in counts.items():
        with django_assert_max_num_queries(queries):
            page = staff.get(url).content.decode()
        assert page.count("data-company=") + page.count("data-dispute=") == 5, url
