"""What staff read of demands, each read scoped to the caller first.

Who sees which demand (coordination/permissions.py grants it when the demand is routed):
- the lead agencies of the demand's workgroup (they handle it);
- the governing organisation of the demand's town (it may answer it);
- the leadership office and the leading group: every demand, read-only (and the escalations
  of the tiers they hold).
Everybody else, operators and other workgroups' leads included, sees none: a demand they ask
for by its id is not found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from applications.extensions import CaseEscalation
from applications.models import ServiceApplication
from applications.selectors.staff import sla_annotation
from workgroups.constants import OrganizationKind, WorkgroupRole
from workgroups.models import Membership, Town, Workgroup, WorkgroupMembership
from workgroups.selectors import escalation_holders

from ..constants import (
    OPEN_DEMAND_STATES,
    OPEN_FOLLOW_UP_STATES,
    WORKGROUP_HOLDS,
    DemandStatus,
    FollowUpStatus,
    ItemKind,
)
from ..models import (
    Demand,
    DemandGroupObjectPermission,
    DemandHistory,
    FollowUp,
    FollowUpHistory,
    ItemEscalation,
    ItemEscalationEvent,
)
from ..workflow import UNRESOLVED

OVERSIGHT_KINDS = frozenset({OrganizationKind.LEADERSHIP_OFFICE, OrganizationKind.LEADING_GROUP})


@dataclass(frozen=True)
class DemandScope:
    """The caller's organisations and what they make of the caller for demands."""

    org_ids: frozenset[int] = frozenset()
    workgroup_ids: frozenset[int] = frozenset()  # the workgroups they lead
    town_ids: frozenset[int] = frozenset()  # the towns their organisation governs
    oversight: bool = False
    superuser: bool = False

    @property
    def is_staff(self) -> bool:
        return bool(self.workgroup_ids or self.town_ids) or self.oversight


def demand_scope(*, user) -> DemandScope:
    """Three queries: the caller's memberships, the workgroups they lead, the towns they
    govern."""
    if not user.is_authenticated:
        return DemandScope()
    if user.is_superuser:
        return DemandScope(oversight=True, superuser=True)
    rows = list(
        Membership.objects.filter(user=user)
        .exclude(organization__kind=OrganizationKind.APPLICANT_COMPANY)
        .values_list("organization_id", "organization__kind")
    )
    if not rows:
        return DemandScope()
    org_ids = frozenset(pk for pk, _kind in rows)
    return DemandScope(
        org_ids=org_ids,
        workgroup_ids=frozenset(
            WorkgroupMembership.objects.filter(
                organization_id__in=org_ids, role=WorkgroupRole.LEAD
            ).values_list("workgroup_id", flat=True)
        ),
        town_ids=frozenset(
            Town.objects.filter(governing_organization_id__in=org_ids).values_list("pk", flat=True)
        ),
        oversight=any(kind in OVERSIGHT_KINDS for _pk, kind in rows),
    )


def _viewable_ids(user) -> QuerySet:
    """Ids of the demands whose view permission was granted to one of the user's groups."""
    return DemandGroupObjectPermission.objects.filter(
        group__user=user, permission__codename="view_demand"
    ).values("content_object_id")


def visible_demands(*, user, scope: DemandScope) -> QuerySet:
    """Every demand the caller may open on the staff site."""
    if scope.oversight:
        return Demand.objects.all()
    if not scope.is_staff:
        return Demand.objects.none()
    return Demand.objects.filter(pk__in=_viewable_ids(user))


@dataclass(frozen=True)
class DemandFilters:
    state: str = "open"  # open | closed | all
    utility: str = ""
    town: str = ""
    theme: str = ""
    kind: str = ""
    overdue: bool = False
    escalated: bool = False
    q: str = ""


def demand_queue(
    *, user, scope: DemandScope, filters: DemandFilters, now: dt.datetime | None = None
) -> QuerySet:
    """The caller's demands, soonest due first, with how each deadline stands (`sla`) and the
    tier of its open escalation (`escalation_tier`), in one query."""
    now = now or timezone.now()
    qs = visible_demands(user=user, scope=scope)
    if filters.state == "open":
        qs = qs.filter(status__in=OPEN_DEMAND_STATES)
    elif filters.state == "closed":
        qs = qs.filter(status=DemandStatus.CLOSED)
    for name in ("utility", "theme", "kind"):
        if value := getattr(filters, name):
            qs = qs.filter(**{name: value})
    if filters.town:
        qs = qs.filter(town__code=filters.town)
    if filters.overdue:
        qs = qs.filter(status__in=WORKGROUP_HOLDS, due_at__lt=now)
    open_escalations = ItemEscalation.objects.filter(UNRESOLVED, demand=OuterRef("pk"))
    if filters.escalated:
        qs = qs.filter(Exists(open_escalations))
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(reference__icontains=term)
            | Q(title__icontains=term)
            | Q(contact_name__icontains=term)
        )
    return (
        qs.annotate(
            sla=sla_annotation(now=now),
            escalation_tier=Subquery(open_escalations.order_by("-tier").values("tier")[:1]),
        )
        .select_related("town", "workgroup", "organization")
        .order_by(F("due_at").asc(nulls_last=True), "-submitted_at", "pk")
    )


def demand_for_staff(*, user, scope: DemandScope, uuid) -> Demand | None:
    """One demand the caller may open, with its files, history and escalations, or None."""
    return (
        visible_demands(user=user, scope=scope)
        .filter(uuid=uuid)
        .select_related(
            "town__governing_organization",
            "workgroup",
            "organization",
            "submitted_by",
            "service_application__combined",
        )
        .prefetch_related(
            "attachments",
            Prefetch(
                "history",
                queryset=DemandHistory.objects.select_related(
                    "actor", "actor_organization"
                ).order_by("at", "pk"),
            ),
            Prefetch(
                "escalations",
                queryset=ItemEscalation.objects.select_related("resolved_by").order_by(
                    "-opened_at", "-pk"
                ),
            ),
        )
        .first()
    )


def _held(scope: DemandScope) -> QuerySet:
    """The escalations the caller's organisations handle (escalation_holders, as for cases):
    the workgroups they lead at any tier, and from the lowest tier they hold up."""
    qs = ItemEscalation.objects.all()
    if not scope.superuser:
        workgroup_ids, from_tier = escalation_holders().reach(scope.org_ids)
        visible = Q(workgroup_id__in=workgroup_ids)
        if from_tier is not None:
            visible |= Q(tier__gte=from_tier)
        qs = qs.filter(visible)
    return qs


def item_escalation_for_staff(*, scope: DemandScope, uuid) -> ItemEscalation | None:
    return (
        _held(scope)
        .filter(uuid=uuid)
        .select_related("demand", "follow_up", "service_application__combined")
        .first()
    )


# The receiver's page (/staff/referrals/) lists these kinds; follow-ups have their own page.
REFERRAL_PAGE_KINDS = (ItemKind.DEMAND, ItemKind.CASE)


def item_escalations_for_staff(*, scope: DemandScope, status: str, kind: str = "") -> QuerySet:
    """The escalations and referrals of demands and cases the caller holds in `status`
    (optionally of one kind), highest tier and oldest first, each with its item and its
    history (events), in three queries."""
    kinds = (kind,) if kind in REFERRAL_PAGE_KINDS else REFERRAL_PAGE_KINDS
    return (
        _held(scope)
        .filter(status=status, item_kind__in=kinds)
        .select_related(
            "demand__town",
            "service_application__combined__project__town",
            "service_application__operator",
            "workgroup",
            "referred_by",
            "resolved_by",
        )
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ItemEscalationEvent.objects.select_related("actor").order_by("at", "pk"),
            )
        )
        .order_by("-tier", "opened_at", "pk")
    )


def analysis_workgroups(*, scope: DemandScope) -> list[Workgroup]:
    """The workgroups the caller may analyse: those they lead; every one for the leadership
    bodies and for a town (its demands of every utility)."""
    qs = Workgroup.objects.order_by("pk")
    if not (scope.oversight or scope.town_ids):
        qs = qs.filter(pk__in=scope.workgroup_ids)
    return list(qs)


# --- Follow-ups of bad ratings -------------------------------------------------------------------


def visible_follow_ups(*, scope: DemandScope) -> QuerySet:
    """The follow-ups the caller may open: their workgroups' (as lead agency); every one for the
    leadership bodies (read-only). Towns and everybody else: none."""
    if scope.oversight:
        return FollowUp.objects.all()
    if not scope.workgroup_ids:
        return FollowUp.objects.none()
    return FollowUp.objects.filter(workgroup_id__in=scope.workgroup_ids)


def follow_up_queue(*, scope: DemandScope, state: str = "open") -> QuerySet:
    """The caller's follow-ups, soonest due first (no deadline last)."""
    qs = visible_follow_ups(scope=scope)
    if state == "open":
        qs = qs.filter(status__in=OPEN_FOLLOW_UP_STATES)
    elif state == "closed":
        qs = qs.filter(status=FollowUpStatus.CLOSED)
    return qs.select_related(
        "rating", "organization", "workgroup", "service_application__combined"
    ).order_by(F("due_at").asc(nulls_last=True), "pk")


def follow_up_for_staff(*, scope: DemandScope, uuid) -> FollowUp | None:
    return (
        visible_follow_ups(scope=scope)
        .filter(uuid=uuid)
        .select_related(
            "rating", "organization", "workgroup", "answered_by", "service_application__combined"
        )
        .prefetch_related(
            Prefetch("history", queryset=FollowUpHistory.objects.select_related("actor")),
            Prefetch(
                "escalations",
                queryset=ItemEscalation.objects.prefetch_related("events").order_by("opened_at"),
            ),
        )
        .first()
    )


# --- Referrals of cases --------------------------------------------------------------------------


def case_referrals(*, service_ids: list[int]) -> QuerySet:
    """The referrals up of these applications (the caller may open them: the case page and the
    operator's work item ask with the applications they show), newest first, each with its
    history, in two queries."""
    return (
        ItemEscalation.objects.filter(
            item_kind=ItemKind.CASE, service_application_id__in=service_ids
        )
        .select_related("referred_by", "resolved_by")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ItemEscalationEvent.objects.select_related("actor").order_by("at", "pk"),
            )
        )
        .order_by("-opened_at", "-pk")
    )


def case_escalations(services: list[ServiceApplication]) -> dict[int, list[CaseEscalation]]:
    """The referrals up of the operator's work items, as the work item's `escalations` list."""
    found: dict[int, list[CaseEscalation]] = {}
    referrals = case_referrals(service_ids=[sa.pk for sa in services]).prefetch_related(None)
    for referral in referrals:
        found.setdefault(referral.service_application_id, []).append(
            CaseEscalation(
                uuid=referral.uuid,
                origin=referral.origin,
                stage=referral.stage,
                tier=referral.tier,
                status=referral.status,
                opened_at=referral.opened_at,
                reason=referral.reason,
                resolved_at=referral.resolved_at,
                resolution_note=referral.resolution_note,
            )
        )
    return found
