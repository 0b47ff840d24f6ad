"""Reads of messages, scoped to the caller."""

from django.db.models import QuerySet

from workgroups.models import Organization, User

from .constants import Channel
from .models import Delivery, DemandNotice, WebhookEndpoint


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
