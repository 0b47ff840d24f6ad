"""What an applicant company reads, every read starting from the applicant organisation of the
caller: its requests (the list and the tracking page), drafts, projects, document library and
the applications it may still rate."""

from dataclasses import dataclass

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from workgroups.constants import OrganizationKind
from workgroups.identity import company_identity_of, company_is_verified
from workgroups.models import CompanyIdentity, Membership, Organization

from ..constants import ProjectSource, ServiceStatus
from ..models import (
    CombinedApplication,
    Commitment,
    Document,
    Draft,
    LicenceReview,
    Project,
    Rating,
    ServiceApplication,
)
from ..sharing import claim_check, copy_stands_q
from ..workflow import APPLICANT, permissions_of
from .common import case_page_prefetches, with_fees

S = ServiceStatus


def applicant_organization(*, user) -> Organization | None:
    """The applicant company (or one-person organisation) the user acts for, if any."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(user=user, organization__kind=OrganizationKind.APPLICANT_COMPANY)
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    return membership.organization if membership else None


def combined_applications_for_applicant(*, organization: Organization) -> QuerySet:
    """The applicant company's requests with their utilities, in a constant number of queries."""
    return (
        CombinedApplication.objects.filter(applicant=organization)
        .select_related("project__town")
        .prefetch_related(
            models.Prefetch(
                "services",
                queryset=ServiceApplication.objects.select_related("operator").order_by("pk"),
            )
        )
        .order_by("-submitted_at")
    )


def combined_application_tracking(*, organization: Organization) -> QuerySet:
    """Requests with everything the tracking page shows, in a constant number of queries
    whatever the number of utilities, documents or history rows."""
    services = (
        with_fees(
            ServiceApplication.objects.select_related(
                "operator", "workgroup", "rating", "fee_confirmed_by"
            )
        )
        .prefetch_related(
            *case_page_prefetches(),
        )
        .order_by("pk")
    )
    return (
        CombinedApplication.objects.filter(applicant=organization)
        .select_related("project__town", "submitted_by")
        .prefetch_related(
            models.Prefetch("services", queryset=services),
            models.Prefetch(
                "commitments",
                queryset=Commitment.objects.select_related(
                    "wording", "verifier", "document"
                ).order_by("pk"),
            ),
            "decision_packages",
        )
    )


def projects_for_applicant(*, organization: Organization) -> QuerySet:
    return (
        Project.objects.filter(owner=organization)
        .select_related("town", "source_organization")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class ClaimLookup:
    """What an applicant company learns by typing a project code (and a claim code): the
    project, only when it may claim it; `expired` only for someone holding its claim code."""

    project: Project | None = None
    expired: bool = False


def shared_project_for_claimant(
    *, organization: Organization, code: str, claim_code: str = ""
) -> ClaimLookup:
    """An unclaimed project a department pushed for this company (免证办), found by its code.

    Anyone else, an unverified company included, gets exactly what a code nobody pushed gets:
    nothing (one look-up, whatever the project's state).
    """
    code = (code or "").strip()
    if not code or "\x00" in code or not company_is_verified(organization):
        return ClaimLookup()
    project = (
        Project.objects.filter(code=code, owner__isnull=True, source=ProjectSource.SHARED_DATA)
        .select_related("town", "source_organization")
        .first()
    )
    if project is None:
        return ClaimLookup()
    check = claim_check(
        project, organization=organization, claim_code=claim_code, now=timezone.now()
    )
    if check.expired:
        return ClaimLookup(expired=True)
    return ClaimLookup(project if check.allowed else None)


def drafts_for_applicant(*, organization: Organization, open_only: bool = True) -> QuerySet:
    """The applicant's drafts; with `open_only=False` also those already submitted (a replayed
    submission then finds its request instead of a 404)."""
    drafts = Draft.objects.filter(owner=organization)
    if open_only:
        drafts = drafts.filter(combined__isnull=True)
    return drafts.select_related("project__town", "combined").order_by("-updated_at")


def documents_for_applicant(*, organization: Organization) -> QuerySet:
    """The applicant's document library (reused across requests: upload once), without the
    copies of shared documents whose claim no longer stands (applications/sharing.py)."""
    return (
        Document.objects.filter(owner=organization)
        .filter(copy_stands_q())
        .order_by("doc_type", "-created_at")
    )


def services_to_rate(*, user, services: list[ServiceApplication], perms=None) -> set[int]:
    """The connected applications the applicant has not rated yet (好差评 invites them)."""
    perms = perms or permissions_of(user, services)
    ids = set()
    for sa in services:
        if sa.status not in (S.CONNECTED, S.CLOSED) or not perms.has(APPLICANT, sa):
            continue
        try:
            already = sa.rating is not None
        except Rating.DoesNotExist:
            already = False
        if not already:
            ids.add(sa.pk)
    return ids


def company_verification(*, organization: Organization) -> CompanyIdentity | None:
    """The applicant company's identity (None for a person applying for their own home)."""
    return company_identity_of(organization)


def licence_review_latest(*, organization: Organization) -> LicenceReview | None:
    """The business licence the company last sent for review."""
    return (
        LicenceReview.objects.filter(organization=organization)
        .select_related("document")
        .order_by("-requested_at", "-pk")
        .first()
    )
