"""Reads of messages, scoped to the caller."""

from django.db.models import Prefetch, QuerySet

from workgroups.models import Organization, User

from .constants import Channel
from .models import Delivery, DemandNotice, DemandSignal, WebhookEndpoint


def inbox_for(*, user: User) -> QuerySet:
    """In-portal messages to any organisation the user acts for, newest first."""
    return (
        Delivery.objects.filter(
            channel=Channel.IN_APP,
            recipient_organization__memberships__user=user,
        )
        .select_related("recipient_organization")
        .order_by("-created_at", "-pk")
    )


def demand_notices_for_operator(*, user: User) -> QuerySet:
    return (
        DemandNotice.objects.filter(operator__memberships__user=user)
        .select_related("signal__town", "signal__source_organization", "operator")
        .order_by("-created_at", "-pk")
    )


def demand_notices_for_organization(*, organization: Organization | None) -> QuerySet:
    """The operator's demand notices with their signal, oldest first (the API inbox).

    By organisation, not by user: an API token acts for exactly one organisation.
    """
    return (
        DemandNotice.objects.filter(operator=organization)
        .select_related("signal__town", "signal__source_organization", "signal__project")
        .order_by("created_at", "pk")
    )


def webhook_endpoints_of(*, organization: Organization | None) -> QuerySet:
    """The organisation's webhook endpoints, active or not, oldest first."""
    return WebhookEndpoint.objects.filter(organization=organization).order_by("created_at", "pk")


def demand_signals_of(*, organization: Organization | None) -> QuerySet:
    """The signals the department pushed, oldest first, each with its notices (one per
    operator reached, with whether and when it was acknowledged) in one extra query."""
    notices = DemandNotice.objects.select_related("operator").order_by("operator__code", "pk")
    return (
        DemandSignal.objects.filter(source_organization=organization)
        .select_related("town", "source_organization", "project")
        .prefetch_related(Prefetch("notices", queryset=notices))
        .order_by("created_at", "pk")
    )
