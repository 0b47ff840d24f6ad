"""Reads of the cases, always starting from the caller (HackSoft selectors)."""

from collections.abc import Iterable

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from workgroups.models import Organization

from .constants import APPLICANT_HOLDS, ServiceStatus
from .models import CombinedApplication, ServiceApplication, StateChange

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
