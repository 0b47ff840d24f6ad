"""Reads of the cases, always starting from the caller (HackSoft selectors)."""

from collections.abc import Iterable
from typing import cast

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from workgroups.constants import OrganizationKind
from workgroups.models import Membership, Organization

from .constants import APPLICANT_HOLDS, ProjectSource, ServiceStatus
from .models import (
    CombinedApplication,
    Document,
    DocumentLink,
    Draft,
    PermitRequest,
    Project,
    Rating,
    ServiceApplication,
    StateChange,
)

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


def work_items_for_operator(*, organization: Organization) -> QuerySet:
    """Service applications assigned to the operator."""
    return (
        ServiceApplication.objects.filter(operator=organization)
        .select_related("combined__project__town", "combined__applicant", "workgroup")
        .order_by("due_at", "pk")
    )


def history_of(*, service_application: ServiceApplication) -> QuerySet:
    return (
        StateChange.objects.filter(service_application=service_application)
        .select_related("actor", "actor_organization", "permit_request")
        .order_by("at", "pk")
    )


# The applicant portal: every read starts from the applicant organisation of the caller.


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


def projects_for_applicant(*, organization: Organization) -> QuerySet:
    return (
        Project.objects.filter(owner=organization)
        .select_related("town", "source_organization")
        .order_by("-created_at")
    )


def shared_project_by_code(*, code: str):
    """An unclaimed project pushed by a department (免证办), found by its approval code."""
    code = (code or "").strip()
    if not code:
        return None
    return (
        Project.objects.filter(code=code, owner__isnull=True, source=ProjectSource.SHARED_DATA)
        .select_related("town", "source_organization")
        .first()
    )


def drafts_for_applicant(*, organization: Organization, open_only: bool = True) -> QuerySet:
    """The applicant's drafts; with `open_only=False` also those already submitted (a replayed
    submission then finds its request instead of a 404)."""
    drafts = Draft.objects.filter(owner=organization)
    if open_only:
        drafts = drafts.filter(combined__isnull=True)
    return drafts.select_related("project__town", "combined").order_by("-updated_at")


def documents_for_applicant(*, organization: Organization) -> QuerySet:
    """The applicant's document library (reused across requests: upload once)."""
    return Document.objects.filter(owner=organization).order_by("doc_type", "-created_at")


def combined_application_tracking(*, organization: Organization) -> QuerySet:
    """Requests with everything the tracking page shows, in a constant number of queries
    whatever the number of utilities, documents or history rows."""
    services = (
        ServiceApplication.objects.select_related("operator", "workgroup", "rating")
        .prefetch_related(
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
        )
        .order_by("pk")
    )
    return (
        CombinedApplication.objects.filter(applicant=organization)
        .select_related("project__town", "submitted_by")
        .prefetch_related(models.Prefetch("services", queryset=services), "commitments")
    )


APPLICANT_TRANSITIONS = ("resubmit", "confirm_plan", "withdraw")


def applicant_actions(*, user, services: list[ServiceApplication]) -> dict[int, list[str]]:
    """What the applicant may do on each application now (the FSM's conditions and the
    object permission, prefetched once with guardian instead of one query per check)."""
    if not services:
        return {}
    checker = ObjectPermissionChecker(user)
    # guardian reads any list of objects; its annotation asks for a QuerySet.
    checker.prefetch_perms(cast("QuerySet[ServiceApplication]", services))
    actions: dict[int, list[str]] = {}
    for sa in services:
        if not checker.has_perm("act_as_applicant", sa):
            actions[sa.pk] = []
            continue
        names = [t for t in APPLICANT_TRANSITIONS if can_proceed(getattr(sa, t))]
        try:
            rated = sa.rating is not None
        except Rating.DoesNotExist:
            rated = False
        if sa.status in (S.CONNECTED, S.CLOSED) and not rated:
            names.append("rate")
        actions[sa.pk] = names
    return actions


def document_for_user(*, user, uuid) -> Document | None:
    """A document the user may download: its own (view_document), or one linked to an
    application the user may view (operators, lead agencies, permit agencies)."""
    from .models import Document

    document = Document.objects.filter(uuid=uuid).first()
    if document is None or not user.is_authenticated:
        return None
    if user.has_perm("applications.view_document", document):
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
