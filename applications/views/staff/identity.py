"""Company verification for the company registry's staff: business licences awaiting review,
and credit-code disputes (who reviews: workgroups/workflow.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from workgroups.access_log import record_access
from workgroups.constants import AccessKind, DisputeSide
from workgroups.identity import (
    company_dispute_decide,
    company_review_accept,
    company_review_refuse,
)
from workgroups.workflow import REASON_MAX_LENGTH, may_review_identities

from ...selectors.commitments import commitment_record
from ...selectors.staff import (
    companies_awaiting_review,
    company_awaiting_review,
    dispute_open,
    disputes_open,
)
from .common import _page, staff_errors, staff_required


def _reviewer_required(request: HttpRequest) -> None:
    if not may_review_identities(request.user):
        raise PermissionDenied


def _companies_url(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("staff:companies")


def _disputes_url(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("staff:disputes")


@require_GET
@staff_required
def companies(request: HttpRequest) -> HttpResponse:
    _reviewer_required(request)
    page = _page(request, companies_awaiting_review())
    # Each row shows a company's licence, its legal representative and the registry's data.
    record_access(
        request,
        kind=AccessKind.COMPANY_IDENTITY,
        subjects=[identity.organization.uuid for identity in page],
    )
    return render(
        request,
        "staff/companies.html",
        {
            "page": page,
            # Kept and broken commitments (承诺制) on each company's record, one query.
            "records": commitment_record(
                organization_ids=[identity.organization_id for identity in page]
            ),
            "staff_section": "companies",
            "reason_max_length": REASON_MAX_LENGTH,
            "dispute_count": disputes_open().count(),
        },
    )


@require_POST
@staff_required
@staff_errors(back=_companies_url)
def company_decide(request: HttpRequest, uuid, decision: str) -> HttpResponse:
    _reviewer_required(request)
    identity = company_awaiting_review(organization_uuid=uuid)
    if identity is None or decision not in ("accept", "refuse"):
        raise Http404
    if decision == "accept":
        company_review_accept(actor=request.user, identity=identity)
        messages.success(request, _("The company is verified; it is told so."))
    else:
        company_review_refuse(
            actor=request.user,
            identity=identity,
            reason=request.POST.get("reason", "")[:REASON_MAX_LENGTH],
        )
        messages.success(request, _("The licence is refused; the company is told the reason."))
    return redirect("staff:companies")


@require_GET
@staff_required
def disputes(request: HttpRequest) -> HttpResponse:
    _reviewer_required(request)
    page = _page(request, disputes_open())
    # Both companies of each dispute, the claimant's person and the registry's data.
    record_access(
        request,
        kind=AccessKind.COMPANY_IDENTITY,
        subjects=[org.uuid for dispute in page for org in (dispute.holder, dispute.claimant)],
    )
    return render(
        request,
        "staff/disputes.html",
        {
            "page": page,
            "staff_section": "companies",
            "reason_max_length": REASON_MAX_LENGTH,
            "sides": DisputeSide,
        },
    )


@require_POST
@staff_required
@staff_errors(back=_disputes_url)
def dispute_decide(request: HttpRequest, uuid) -> HttpResponse:
    _reviewer_required(request)
    dispute = dispute_open(uuid=uuid)
    if dispute is None:
        raise Http404
    company_dispute_decide(
        actor=request.user,
        dispute=dispute,
        side=request.POST.get("side", ""),
        reason=request.POST.get("reason", "")[:REASON_MAX_LENGTH],
    )
    messages.success(request, _("Dispute decided; both companies are told."))
    return redirect("staff:disputes")
