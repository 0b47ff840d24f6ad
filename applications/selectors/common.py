"""Reads more than one audience shares: the combined request's derived status (the applicant's
list and tracking page, the staff case page) and the document check (the applicant portal, the
staff site's document view, the API's download)."""

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import get_objects_for_user

from workgroups.models import Membership

from ..constants import APPLICANT_HOLDS, ServiceStatus
from ..models import (
    Document,
    DocumentLink,
    FeePayment,
    PermitRequest,
    ServiceApplication,
    StateChange,
)
from ..sharing import copies_not_standing

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
