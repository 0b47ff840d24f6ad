"""What the person who submitted reads: their demands (their organisation's, or their own
when they act for none), one demand by its private link, and the cases a demand may be about."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from applications.constants import ServiceStatus
from applications.models import ServiceApplication
from applications.selectors.applicant import applicant_organization
from core.fingerprint import Stage
from workgroups.models import Organization

from ..access import demand_access_valid
from ..models import Demand, DemandHistory, FollowUp


def _mine(user) -> Q | None:
    if not user.is_authenticated:
        return None
    organization = applicant_organization(user=user)
    if organization is not None:
        return Q(organization=organization)
    return Q(submitted_by=user, organization__isnull=True)


def demands_for_submitter(*, user) -> QuerySet:
    """The caller's demands, newest first, in one query."""
    mine = _mine(user)
    if mine is None:
        return Demand.objects.none()
    return (
        Demand.objects.filter(mine)
        .select_related("town", "workgroup")
        .order_by("-submitted_at", "-pk")
    )


def _page_prefetches() -> list:
    return [
        "attachments",
        Prefetch(
            "history",
            queryset=DemandHistory.objects.select_related("actor", "actor_organization").order_by(
                "at", "pk"
            ),
        ),
    ]


def demand_for_submitter(*, user, uuid) -> Demand | None:
    """One of the caller's demands with its files and history, or None (404)."""
    mine = _mine(user)
    if mine is None:
        return None
    return (
        Demand.objects.filter(mine, uuid=uuid)
        .select_related("town", "workgroup", "service_application__combined")
        .prefetch_related(*_page_prefetches())
        .first()
    )


def demand_by_link(*, uuid, token: str) -> Demand | None:
    """The demand the private link opens, or None (a wrong token is the same as no demand)."""
    demand = (
        Demand.objects.filter(uuid=uuid)
        .select_related("town", "workgroup", "service_application__combined")
        .prefetch_related(*_page_prefetches())
        .first()
    )
    if demand is None or not demand_access_valid(demand, token):
        return None
    return demand


def cases_for_demand(*, organization: Organization | None) -> QuerySet:
    """The submitting organisation's own applications a demand may be about."""
    if organization is None:
        return ServiceApplication.objects.none()
    return (
        ServiceApplication.objects.filter(combined__applicant=organization)
        .exclude(status=ServiceStatus.DRAFT)
        .select_related("combined__project")
        .order_by("-combined__submitted_at", "pk")
    )


def follow_up_rows_of_cases(services: Stage, organization: int) -> list[QuerySet]:
    """The rows the tracking page's follow-up panels show (the page is cached while they stay
    the same: applications.extensions.register_tracking_reads)."""
    of_cases = services.holds("service_application")
    return [FollowUp.objects.filter(of_cases, organization=organization)]
