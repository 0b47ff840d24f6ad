"""Reads more than one audience shares: the combined request's derived status (the applicant's
list and tracking page, the staff case page), the document check (the applicant portal, the
staff site's document view, the API's download) and where each fee stands (tracking page, staff
case page, work-item API, indicators)."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import get_objects_for_user

from core.workflow import PermissionSource
from workgroups.models import Membership

from ..constants import APPLICANT_HOLDS, FeeStatus, ServiceStatus
from ..models import (
    Document,
    DocumentLink,
    FeePayment,
    PermitRequest,
    ServiceApplication,
    StateChange,
)
from ..sharing import copies_not_standing
from ..workflow import OPERATOR

S = ServiceStatus


class CombinedStatus(models.TextChoices):
    """A combined request's status, derived from its utilities (never stored)."""

    ACTION_NEEDED = "action_needed", _("Waiting for the applicant")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("All connected")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


_DONE = {S.CONNECTED, S.CLOSED}


def combined_status(statuses: Iterable[str]) -> str:
    """Derive the request's status: the applicant's turn first, then work still open."""
    states = set(statuses)
    if states & APPLICANT_HOLDS:
        return CombinedStatus.ACTION_NEEDED
    if states - _DONE - {S.REJECTED, S.WITHDRAWN}:
        return CombinedStatus.IN_PROGRESS
    if states & _DONE:
        return CombinedStatus.COMPLETED
    if S.REJECTED in states:
        return CombinedStatus.REJECTED
    return CombinedStatus.WITHDRAWN


def document_for_user(*, user, uuid) -> Document | None:
    """A document the user may download: its own (view_document), or one linked to an
    application the user may view (operators, lead agencies, permit agencies)."""
    document = Document.objects.filter(uuid=uuid).first()
    if document is None or not user.is_authenticated:
        return None
    if copies_not_standing([document]):
        # A copy of shared data whose claim was reassigned (or whose company lost its
        # verification): none of that company's people see it any more; an operator handling
        # an application it was filed with still does, through the link below.
        if Membership.objects.filter(user=user, organization_id=document.owner_id).exists():
            return None
    elif user.has_perm("applications.view_document", document):
        return document
    visible = get_objects_for_user(
        user,
        "applications.view_serviceapplication",
        klass=ServiceApplication,
        accept_global_perms=True,
    )
    if visible.filter(document_links__document=document).exists():
        return document
    return None


def case_page_prefetches() -> list[models.Prefetch]:
    """What a page showing whole applications reads beside them (history, permits, documents),
    in one query each: the applicant's tracking page and the staff case page."""
    return [
        models.Prefetch(
            "history",
            queryset=StateChange.objects.select_related(
                "actor", "actor_organization", "permit_request"
            ).order_by("at", "pk"),
        ),
        models.Prefetch(
            "permits",
            queryset=PermitRequest.objects.select_related("agency").order_by("round", "pk"),
        ),
        models.Prefetch(
            "document_links",
            queryset=DocumentLink.objects.select_related("document").order_by("doc_type"),
        ),
        models.Prefetch(
            "fee_payments",
            queryset=FeePayment.objects.select_related("recorded_by_organization").order_by(
                "paid_on", "pk"
            ),
        ),
    ]


# Where each utility's connection fee stands: quoted, confirmed, paid and outstanding, the sums
# computed in SQL (one subquery per list, never a query per case).

ZERO = Decimal("0.00")


def _payments(field: str, aggregate: type[models.Aggregate], output) -> models.Subquery:
    return models.Subquery(
        FeePayment.objects.filter(service_application=models.OuterRef("pk"))
        .order_by()
        .values("service_application")
        .annotate(total=aggregate(field))
        .values("total"),
        output_field=output,
    )


def with_fees(queryset: models.QuerySet) -> models.QuerySet:
    """Service applications with `fee_paid_cny` (sum of payments) and `fee_payment_count`."""
    money = models.DecimalField(max_digits=14, decimal_places=2)
    return queryset.annotate(
        fee_paid_cny=Coalesce(_payments("amount_cny", models.Sum, money), ZERO, output_field=money),
        fee_payment_count=Coalesce(_payments("pk", models.Count, models.IntegerField()), 0),
    )


@dataclass(frozen=True)
class FeeStanding:
    """One utility's fee as the pages and the API show it."""

    status: str
    quoted_cny: Decimal | None
    items: list
    confirmed_at: dt.datetime | None
    paid_cny: Decimal
    payments: int
    outstanding_cny: Decimal | None

    @property
    def status_label(self) -> str:
        return str(FeeStatus(self.status).label)


def fee_standing(sa: ServiceApplication) -> FeeStanding:
    """From a case read through `with_fees` (a single case without it costs one query)."""
    if hasattr(sa, "fee_paid_cny"):
        paid, count = Decimal(sa.fee_paid_cny), int(sa.fee_payment_count)  # type: ignore[attr-defined]
    else:
        figures = sa.fee_payments.aggregate(
            paid=Coalesce(models.Sum("amount_cny"), ZERO), n=models.Count("pk")
        )
        paid, count = figures["paid"], figures["n"]
    quoted = sa.fee_quote_cny
    outstanding = None if quoted is None else max(quoted - paid, ZERO)
    if quoted is None:
        status = FeeStatus.PAID if count else FeeStatus.NONE
    elif paid >= quoted and (count or sa.fee_confirmed_at is not None):
        # Covered by payments, or nothing to pay once confirmed (as the indicator counts it).
        status = FeeStatus.PAID
    elif count:
        status = FeeStatus.PART_PAID
    elif sa.fee_confirmed_at is not None:
        status = FeeStatus.CONFIRMED
    else:
        status = FeeStatus.QUOTED
    return FeeStanding(
        status=status,
        quoted_cny=quoted,
        items=list(sa.fee_items or []),
        confirmed_at=sa.fee_confirmed_at,
        paid_cny=paid,
        payments=count,
        outstanding_cny=outstanding,
    )


def payment_allowed(sa: ServiceApplication, perms: PermissionSource) -> bool:
    """Whether to offer marking the fee paid: the operator's people, once the applicant
    confirmed the quote, while the case is not rejected or withdrawn (the service decides)."""
    return (
        sa.fee_confirmed_at is not None
        and sa.status not in (ServiceStatus.REJECTED, ServiceStatus.WITHDRAWN)
        and perms.has(OPERATOR, sa)
    )
