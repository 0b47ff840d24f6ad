"""Reads of messages, scoped to the caller."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from workgroups.models import MobileConfirmation, Organization, User

from .constants import Channel, DeliveryStatus
from .models import Delivery, DemandNotice, DemandSignal, WebhookEndpoint


def inbox_for(*, user: User | int) -> QuerySet:
    """In-portal messages to any organisation the user acts for, newest first."""
    return (
        Delivery.objects.filter(
            channel=Channel.IN_APP,
            recipient_organization__memberships__user=user,
        )
        .select_related("recipient_organization")
        .order_by("-created_at", "-pk")
    )


def inbox_unread_count(*, user: User) -> int:
    """How many of the user's in-portal messages are unread (one query, on a partial index)."""
    return inbox_for(user=user).filter(read_at__isnull=True).count()


def unread_rows(user: int) -> list[QuerySet]:
    """The unread messages the header counts (core.page_cache.layout_reads)."""
    return [inbox_for(user=user).filter(read_at__isnull=True)]


def inbox_message(*, user: User, uuid) -> Delivery | None:
    """One of the user's in-portal messages, or None (someone else's, or no such message)."""
    return inbox_for(user=user).filter(uuid=uuid).first()


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


def delivery_filter_endpoints() -> QuerySet:
    """The webhook endpoints staff filter deliveries by: all of them, by organisation."""
    return WebhookEndpoint.objects.select_related("organization").order_by(
        "organization__code", "url", "pk"
    )


def delivery_filter_organizations() -> QuerySet:
    """The organisations staff filter deliveries by: those with webhook endpoints or parked
    deliveries (the partial index `delivery_parked` keeps the second look-up small)."""
    parked = Delivery.objects.filter(status=DeliveryStatus.FAILED).values("recipient_organization")
    return (
        Organization.objects.filter(Q(webhook_endpoints__isnull=False) | Q(pk__in=parked))
        .distinct()
        .order_by("code")
    )


def webhook_endpoints_with_parked(*, queryset: QuerySet | None = None) -> QuerySet:
    """Webhook endpoints, each with the number of its parked deliveries (`parked`)."""
    parked = (
        Delivery.objects.filter(endpoint=OuterRef("pk"), status=DeliveryStatus.FAILED)
        .order_by()
        .values("endpoint")
        .annotate(count=Count("pk"))
        .values("count")
    )
    endpoints = queryset if queryset is not None else WebhookEndpoint.objects.all()
    return endpoints.annotate(parked=Coalesce(Subquery(parked, output_field=IntegerField()), 0))


def mobile_code_pending(*, user: User):
    """The code last sent to the person, while it can still be typed (None otherwise)."""
    return (
        MobileConfirmation.objects.filter(
            user=user, confirmed_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at", "-pk")
        .first()
    )
