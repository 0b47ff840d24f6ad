"""Reads of the staff site, each scoped to what the caller's organisation may act on.

Who sees what (DESIGN 6):
- workgroup lead agency staff: their workgroup's applications (object permission granted to the
  organisation's group at submission, for workgroups where it is the LEAD);
- operator staff: applications assigned to their operator;
- permit agency staff: their permit requests (and the case page of those applications);
- leadership office and leading group: everything, read-only.
Applicants are not staff: every selector here returns nothing for them.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.db import connection, models
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from guardian.core import ObjectPermissionChecker

from workgroups.calendar import add_working_days
from workgroups.constants import OrganizationKind, WorkgroupRole
from workgroups.models import EscalationTier, Membership, Town, WorkgroupMembership

from .constants import CLOCKED_STATES, EscalationStatus, PermitStatus, ServiceStatus
from .models import (
    APPLICANT_PERM,
    OPERATOR_PERM,
    CombinedApplication,
    DocumentLink,
    Escalation,
    PermitRequest,
    Rating,
    ServiceApplication,
    ServiceApplicationGroupObjectPermission,
    StateChange,
)

STAFF_KINDS = frozenset(
    {
        OrganizationKind.AGENCY,
        OrganizationKind.OPERATOR,
        OrganizationKind.LEADERSHIP_OFFICE,
        OrganizationKind.LEADING_GROUP,
    }
)
OVERSIGHT_KINDS = frozenset({OrganizationKind.LEADERSHIP_OFFICE, OrganizationKind.LEADING_GROUP})


class Sla(models.TextChoices):
    """How a deadline stands now (the queue's colours)."""

    OVERDUE = "overdue", "overdue"
    DUE_SOON = "due_soon", "due_soon"
    ON_TIME = "on_time", "on_time"
    NONE = "none", "none"


@dataclass(frozen=True)
class StaffScope:
    """The caller's staff organisations and what they make of the caller."""

    org_ids: frozenset[int] = frozenset()
    lead_workgroup_ids: frozenset[int] = frozenset()
    operator_ids: frozenset[int] = frozenset()
    agency_ids: frozenset[int] = frozenset()
    oversight: bool = False
    escalation_levels: frozenset[int] = field(default_factory=frozenset)
    superuser: bool = False

    @property
    def is_staff(self) -> bool:
        return bool(self.org_ids) or self.oversight


def staff_scope(*, user) -> StaffScope:
    """Two queries: the caller's staff memberships, and the workgroups they lead."""
    if not user.is_authenticated:
        return StaffScope()
    if user.is_superuser:
        return StaffScope(oversight=True, superuser=True)
    rows = list(
        Membership.objects.filter(user=user, organization__kind__in=STAFF_KINDS).values_list(
            "organization_id", "organization__kind"
        )
    )
    if not rows:
        return StaffScope()
    org_ids = frozenset(pk for pk, _ in rows)
    levels = frozenset(
        EscalationTier.objects.filter(organization_id__in=org_ids).values_list("level", flat=True)
    )
    return StaffScope(
        org_ids=org_ids,
        lead_workgroup_ids=frozenset(
            WorkgroupMembership.objects.filter(
                organization_id__in=org_ids, role=WorkgroupRole.LEAD
            ).values_list("workgroup_id", flat=True)
        ),
        operator_ids=frozenset(pk for pk, kind in rows if kind == OrganizationKind.OPERATOR),
        agency_ids=frozenset(pk for pk, kind in rows if kind == OrganizationKind.AGENCY),
        oversight=any(kind in OVERSIGHT_KINDS for _, kind in rows),
        escalation_levels=levels,
    )


def _viewable_ids(user) -> QuerySet:
    """Ids of the applications whose view permission was granted to one of the user's groups."""
    return ServiceApplicationGroupObjectPermission.objects.filter(
        group__user=user, permission__codename="view_serviceapplication"
    ).values("content_object_id")


def visible_service_applications(*, user, scope: StaffScope) -> QuerySet:
    """Every application the caller may open on the staff site (the case page's rule)."""
    qs = ServiceApplication.objects.exclude(status=ServiceStatus.DRAFT)
    if scope.oversight:
        return qs
    if not scope.is_staff:
        return qs.none()
    return qs.filter(pk__in=_viewable_ids(user))


def sla_annotation(*, now: dt.datetime) -> Case:
    """Overdue / due within one working day / on time, compared in SQL against two instants
    computed once (the working-day calendar lives in Python)."""
    soon = add_working_days(now, 1)
    return Case(
        When(due_at__isnull=True, then=Value(Sla.NONE)),
        When(due_at__lt=now, then=Value(Sla.OVERDUE)),
        When(due_at__lt=soon, then=Value(Sla.DUE_SOON)),
        default=Value(Sla.ON_TIME),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class QueueFilters:
    utility: str = ""
    status: str = ""
    town: str = ""
    business_type: str = ""
    overdue: bool = False
    q: str = ""


def queue_for_staff(
    *, user, scope: StaffScope, filters: QueueFilters, now: dt.datetime | None = None
) -> QuerySet:
    """The caller's work queue: applications their organisation acts on, soonest due first."""
    now = now or timezone.now()
    qs = ServiceApplication.objects.exclude(status=ServiceStatus.DRAFT)
    if not scope.oversight:
        if not (scope.lead_workgroup_ids or scope.operator_ids):
            return qs.none()
        # Acting organisations only (a permit agency's read-only context is its own tab), and
        # only what the permission rows let them open, so the list never links to a 404.
        qs = qs.filter(
            Q(workgroup_id__in=scope.lead_workgroup_ids) | Q(operator_id__in=scope.operator_ids),
            pk__in=_viewable_ids(user),
        )
    if filters.utility:
        qs = qs.filter(utility=filters.utility)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.town:
        qs = qs.filter(combined__project__town__code=filters.town)
    if filters.business_type:
        qs = qs.filter(combined__business_type=filters.business_type)
    if filters.overdue:
        qs = qs.filter(status__in=CLOCKED_STATES, due_at__lt=now)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(combined__project__code__icontains=term)
            | Q(combined__project__name__icontains=term)
            | Q(combined__applicant__name_zh__icontains=term)
            | Q(combined__applicant__name_en__icontains=term)
            | Q(combined__reference__icontains=term)
        )
    return (
        qs.annotate(sla=sla_annotation(now=now))
        .select_related("combined__project__town", "combined__applicant", "operator", "workgroup")
        .order_by(models.F("due_at").asc(nulls_last=True), "pk")
    )


def permits_for_agency(
    *, scope: StaffScope, pending_only: bool = True, now: dt.datetime | None = None
) -> QuerySet:
    """The permit agency's outside-line permits, soonest due first."""
    now = now or timezone.now()
    qs = PermitRequest.objects.filter(agency_id__in=scope.agency_ids)
    if pending_only:
        qs = qs.filter(status=PermitStatus.PENDING)
    return (
        qs.annotate(sla=sla_annotation(now=now))
        .select_related("service_application__combined__project__town", "agency")
        .order_by(models.F("due_at").asc(nulls_last=True), "pk")
    )


def permit_for_agency(*, scope: StaffScope, uuid) -> PermitRequest | None:
    """One of the agency's own permit requests, or None (404)."""
    return PermitRequest.objects.filter(agency_id__in=scope.agency_ids, uuid=uuid).first()


def case_for_staff(*, user, scope: StaffScope, uuid) -> CombinedApplication | None:
    """A combined request with the utilities the caller may open, or None (404)."""
    services = (
        visible_service_applications(user=user, scope=scope)
        .select_related("operator", "workgroup")
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
            models.Prefetch(
                "escalations",
                queryset=Escalation.objects.select_related("permit_request").order_by(
                    "-opened_at", "-pk"
                ),
            ),
        )
        .order_by("pk")
    )
    combined = (
        CombinedApplication.objects.filter(uuid=uuid)
        .select_related("project__town", "applicant", "submitted_by")
        .prefetch_related(models.Prefetch("services", queryset=services), "commitments")
        .first()
    )
    if combined is None or not combined.services.all():
        return None
    return combined


def service_for_staff(*, user, scope: StaffScope, combined_uuid, uuid) -> ServiceApplication | None:
    return (
        visible_service_applications(user=user, scope=scope)
        .filter(uuid=uuid, combined__uuid=combined_uuid)
        .select_related("combined", "operator")
        .first()
    )


@dataclass(frozen=True)
class CasePermissions:
    acting: frozenset[int]  # ids of applications the caller may move (operator or applicant)
    viewing: frozenset[int]  # ids whose documents the caller may download


def case_permissions(*, user, services: list[ServiceApplication]) -> CasePermissions:
    """The caller's object permissions on the case's applications, read with one prefetch
    instead of a query per transition and object. Every user-facing transition needs an acting
    permission, so without one no transition is available; the document download view
    follows the view permission (the leadership bodies read cases without holding it)."""
    if not services or not user.is_authenticated:
        return CasePermissions(frozenset(), frozenset())
    every = frozenset(sa.pk for sa in services)
    if user.is_superuser:
        return CasePermissions(every, every)
    checker = ObjectPermissionChecker(user)
    checker.prefetch_perms(services)

    def holding(*perms: str) -> frozenset[int]:
        if any(user.has_perm(perm) for perm in perms):  # a global grant covers every object
            return every
        codenames = [perm.split(".", 1)[1] for perm in perms]
        return frozenset(
            sa.pk for sa in services if any(checker.has_perm(c, sa) for c in codenames)
        )

    return CasePermissions(
        acting=holding(APPLICANT_PERM, OPERATOR_PERM),
        viewing=holding("applications.view_serviceapplication"),
    )


def escalations_for_staff(*, scope: StaffScope, status: str = EscalationStatus.OPEN) -> QuerySet:
    """Tier 1 goes to the case's workgroup lead agencies (who keep seeing it as it climbs),
    tier 2 and up to the leadership office, tier 3 to the leading group."""
    qs = Escalation.objects.all()
    if status:
        qs = qs.filter(status=status)
    if not scope.superuser:
        visible = Q(service_application__workgroup_id__in=scope.lead_workgroup_ids)
        for level in scope.escalation_levels:
            if level >= 2:
                visible |= Q(tier__gte=level)
        qs = qs.filter(visible)
    return qs.select_related(
        "service_application__combined__project",
        "service_application__workgroup",
        "permit_request",
        "resolved_by",
    ).order_by("-tier", "breached_due_at", "pk")


def escalation_for_staff(*, scope: StaffScope, uuid) -> Escalation | None:
    return escalations_for_staff(scope=scope, status="").filter(uuid=uuid).first()


def filter_towns() -> QuerySet:
    """Reference data for the queue's town filter."""
    return Town.objects.order_by("code")


# --- KPIs (DOMAIN "World Bank style indicators"), computed by SQL aggregation ----------------


def _kpi_scope(scope: StaffScope) -> Q | None:
    """What the caller's KPIs cover: everything for the leadership bodies, their workgroups'
    and their own operator's applications for the others; None when nothing."""
    if scope.oversight:
        return Q()
    if not (scope.lead_workgroup_ids or scope.operator_ids):
        return None
    return Q(workgroup_id__in=scope.lead_workgroup_ids) | Q(operator_id__in=scope.operator_ids)


def _calendar_exceptions() -> tuple[list[dt.date], list[dt.date]]:
    """Statutory holidays falling on weekdays, and make-up working days (调休), from the same
    package the SLA clock uses; outside its years both lists are empty (Monday-Friday)."""
    holidays = sorted(d for d in chinese_calendar.holidays if d.weekday() < 5)
    workdays = sorted(d for d in chinese_calendar.workdays if d.weekday() >= 5)
    return holidays, workdays


_CONNECTIONS_SQL = """
WITH sa AS (
    SELECT s.utility, s.fee_quote_cny, s.paused_working_days,
           (s.submitted_at AT TIME ZONE %(tz)s)::date AS sub_day,
           (s.connected_at AT TIME ZONE %(tz)s)::date AS con_day
    FROM applications_serviceapplication s
    WHERE s.connected_at IS NOT NULL AND s.submitted_at IS NOT NULL
      AND (%(all)s OR s.workgroup_id = ANY(%(workgroups)s) OR s.operator_id = ANY(%(operators)s))
),
cal AS (
    -- A running count of working days: the days between two dates are a difference of two
    -- lookups, so the whole table costs two hash joins instead of a loop per row.
    SELECT g.d::date AS day,
           sum(CASE WHEN g.d::date = ANY(%(workdays)s::date[])
                      OR (extract(isodow FROM g.d) < 6
                          AND NOT g.d::date = ANY(%(holidays)s::date[]))
                    THEN 1 ELSE 0 END) OVER (ORDER BY g.d) AS n
    FROM generate_series((SELECT min(sub_day) FROM sa), (SELECT max(con_day) FROM sa),
                         interval '1 day') AS g(d)
),
days AS (
    SELECT sa.utility, date_trunc('month', sa.con_day)::date AS month, sa.fee_quote_cny,
           sa.con_day - sa.sub_day AS calendar_days,
           GREATEST(c2.n - c1.n - sa.paused_working_days, 0) AS working_days
    FROM sa JOIN cal c1 ON c1.day = sa.sub_day JOIN cal c2 ON c2.day = sa.con_day
)
SELECT utility, month, count(*) AS connected,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY working_days) AS working_days_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY working_days) AS working_days_p90,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY calendar_days) AS calendar_days_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY calendar_days) AS calendar_days_p90,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY fee_quote_cny) AS fee_median
FROM days
GROUP BY utility, month
ORDER BY month DESC, utility
"""


def kpi_connections(*, scope: StaffScope) -> list[dict]:
    """Per utility per month of connection: connected, median and 90th percentile working and
    calendar days from submission to connection (the applicant's correction and plan
    confirmation time excluded from working days, as on the clock), median fee quote.
    Counter visits are 0 by design (every step is online) and reported as such."""
    if _kpi_scope(scope) is None:
        return []
    holidays, workdays = _calendar_exceptions()
    params = {
        "tz": settings.TIME_ZONE,
        "all": scope.oversight,
        "workgroups": sorted(scope.lead_workgroup_ids),
        "operators": sorted(scope.operator_ids),
        "holidays": holidays,
        "workdays": workdays,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CONNECTIONS_SQL, params)
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["counter_visits"] = 0
    return rows


def kpi_applications(*, scope: StaffScope) -> QuerySet:
    """Per utility per month of submission: applications, how many were returned for
    correction (补正) at least once, and the escalations they caused."""

    where = _kpi_scope(scope)
    if where is None:
        return ServiceApplication.objects.none().values()
    corrected = StateChange.objects.filter(
        service_application=OuterRef("pk"), transition="return_for_correction"
    )
    return (
        ServiceApplication.objects.filter(where, submitted_at__isnull=False)
        .annotate(month=TruncMonth("submitted_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values("utility", "month")
        .annotate(
            submitted=Count("pk", distinct=True),
            corrected=Count("pk", distinct=True, filter=Q(Exists(corrected))),
            escalations=Count("escalations", distinct=True),
        )
        .order_by("-month", "utility")
    )


def kpi_ratings(*, scope: StaffScope) -> QuerySet:
    """Satisfaction (好差评): number of ratings per utility and level."""
    where = _kpi_scope(scope)
    if where is None:
        return Rating.objects.none().values()
    visible = ServiceApplication.objects.filter(where).values("pk")
    return (
        Rating.objects.filter(service_application__in=visible)
        .values("service_application__utility", "level")
        .annotate(count=Count("pk"))
        .order_by("service_application__utility", "level")
    )
