"""Reads about who is who: operator coverage and SLA tables, each in one query."""

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet, TextField
from django.db.models.functions import Cast, ExtractIsoWeekDay, ExtractYear
from django.utils import timezone

from .api_tokens import organizations_using_the_api
from .constants import STAFF_KINDS, MemberRole, OrganizationKind, SlaVariant, WorkgroupRole
from .models import (
    AccessRecord,
    ApiToken,
    ApiTokenEvent,
    CalendarDay,
    EscalationTier,
    Membership,
    OperatorCoverage,
    Organization,
    PermitAuthority,
    SlaPolicy,
    Town,
    User,
    WorkgroupMembership,
)
from .reference import DEFAULT_SLAS

logger = logging.getLogger(__name__)

SlaTable = dict[tuple[int, str, str], int]


def is_staff_member(user: User) -> bool:
    """Works on the staff site: a member of an agency, operator, leadership body,
    data-providing department or town (area) organisation, or a superuser."""
    return user.is_superuser or (
        Membership.objects.filter(user=user, organization__kind__in=STAFF_KINDS).exists()
    )


def signed_in_rows(user: int) -> list[QuerySet]:
    """The rows the header of a signed-in page shows of its reader (account_extras.signed_in):
    the person, their memberships and organisations (core.page_cache.layout_reads)."""
    memberships = Membership.objects.filter(user=user)
    return [
        User.objects.filter(pk=user),
        memberships,
        Organization.objects.filter(pk__in=memberships.values("organization")),
    ]


def sla_table(workgroup_ids: Iterable[int]) -> SlaTable:
    """Every SLA of these workgroups, keyed by (workgroup id, stage, variant)."""
    rows = SlaPolicy.objects.filter(workgroup_id__in=set(workgroup_ids)).values_list(
        "workgroup_id", "stage", "variant", "working_days"
    )
    return {(wg, stage, variant): days for wg, stage, variant, days in rows}


def sla_working_days(table: SlaTable, *, workgroup_id: int, stage: str, variant: str) -> int:
    """The variant's SLA, else the stage's standard SLA, else the shipped default (logged)."""
    for key in ((workgroup_id, stage, variant), (workgroup_id, stage, SlaVariant.STANDARD)):
        if key in table:
            return table[key]
    logger.warning(
        "No SLA configured for workgroup %s stage %s; using default", workgroup_id, stage
    )
    return DEFAULT_SLAS[(stage, SlaVariant.STANDARD)]


def operators_by_utility(*, utilities: Iterable[str], town: Town) -> dict[str, list[Organization]]:
    """Operators serving each utility in `town`: a town franchise wins over city-wide coverage."""
    rows = (
        OperatorCoverage.objects.filter(utility__in=set(utilities), operator__is_active=True)
        .filter(Q(town__isnull=True) | Q(town=town))
        .select_related("operator")
        .order_by("utility", "operator__code")
    )
    local: dict[str, list[Organization]] = {}
    citywide: dict[str, list[Organization]] = {}
    for row in rows:
        (citywide if row.town_id is None else local).setdefault(row.utility, []).append(
            row.operator
        )
    return {utility: local.get(utility) or citywide.get(utility, []) for utility in utilities}


def permit_authorities(permit_types: Iterable[str]) -> dict[str, PermitAuthority]:
    return {
        authority.permit_type: authority
        for authority in PermitAuthority.objects.filter(
            permit_type__in=set(permit_types)
        ).select_related("agency")
    }


@dataclass(frozen=True)
class EscalationHolders:
    """Who holds each escalation tier (policy 四(八)): the workgroup's lead agencies (1), the
    leadership office (2), the leading group (3). The one answer for who is told and who acts."""

    leads: dict[int, frozenset[int]]  # workgroup id -> lead organisation ids
    tiers: dict[int, int]  # tier level (2 and up) -> organisation id

    def told(self, *, workgroup_id: int, tier: int) -> frozenset[int]:
        """The organisations an escalation at `tier` is sent to."""
        if tier == 1:
            return self.leads.get(workgroup_id, frozenset())
        return frozenset({self.tiers[tier]}) if tier in self.tiers else frozenset()

    def handling(self, *, workgroup_id: int, tier: int) -> frozenset[int]:
        """The organisations that may acknowledge and resolve it: the leads always, and each
        higher tier once the escalation has reached it."""
        higher = {org for level, org in self.tiers.items() if level <= tier}
        return self.leads.get(workgroup_id, frozenset()) | higher

    def reach(self, org_ids: Iterable[int]) -> tuple[frozenset[int], int | None]:
        """What the organisations `org_ids` handle, as `handling` says: every escalation of the
        workgroups they lead, and every escalation from the lowest tier they hold up (None when
        they hold no tier)."""
        orgs = frozenset(org_ids)
        workgroups = frozenset(wg for wg, leads in self.leads.items() if leads & orgs)
        return workgroups, min((lv for lv, org in self.tiers.items() if org in orgs), default=None)

    @property
    def organizations(self) -> frozenset[int]:
        """Every organisation that holds some tier of some workgroup."""
        return frozenset(self.tiers.values()).union(*self.leads.values())


def escalation_holders() -> EscalationHolders:
    """Every tier's holders, in two queries."""
    leads: dict[int, set[int]] = {}
    for workgroup_id, org_id in WorkgroupMembership.objects.filter(
        role=WorkgroupRole.LEAD
    ).values_list("workgroup_id", "organization_id"):
        leads.setdefault(workgroup_id, set()).add(org_id)
    tiers = dict(
        EscalationTier.objects.filter(organization__isnull=False).values_list(
            "level", "organization_id"
        )
    )
    return EscalationHolders({wg: frozenset(orgs) for wg, orgs in leads.items()}, tiers)


def calendar_years() -> list[dict]:
    """The years the working-day calendar holds: source, working days and rest days on
    weekdays (holidays) and working weekend days (make-up days), in one aggregate query."""
    rows = (
        CalendarDay.objects.annotate(year=ExtractYear("day"), weekday=ExtractIsoWeekDay("day"))
        .values("year")
        .annotate(
            source=Max("source"),
            days=Count("day"),
            working=Count("day", filter=Q(is_working_day=True)),
            holidays=Count("day", filter=Q(is_working_day=False, weekday__lt=6)),
            make_up_days=Count("day", filter=Q(is_working_day=True, weekday__gte=6)),
            entered_at=Max("entered_at"),
        )
        .order_by("-year")
    )
    return [dict(row) for row in rows]


# API tokens, for the staff site's token pages and the `api_token` command.


def token_organizations_for(*, user: User) -> list[Organization]:
    """The organisations whose API tokens `user` manages: every one that uses the API for a
    platform administrator, else those the user is a manager of (Membership role)."""
    organizations = organizations_using_the_api()
    if user.is_superuser or user.has_perm("workgroups.add_apitoken"):
        return list(organizations)
    return list(organizations.filter(memberships__user=user, memberships__role=MemberRole.MANAGER))


def api_tokens_of(*, organization: Organization) -> QuerySet[ApiToken]:
    """The organisation's tokens, newest first, revoked ones included."""
    return (
        ApiToken.objects.filter(organization=organization)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-id")
    )


def api_token_events_of(*, organization: Organization, limit: int = 20) -> list[ApiTokenEvent]:
    """The latest creations, rotations and revocations of the organisation's tokens."""
    return list(
        ApiTokenEvent.objects.filter(organization=organization)
        .select_related("token", "actor", "replaced")
        .order_by("-at", "-id")[:limit]
    )


def api_token_for_manager(*, user: User, uuid) -> ApiToken | None:
    """The token if `user` manages its organisation's tokens; else None, as for no token."""
    organizations = token_organizations_for(user=user)
    return (
        ApiToken.objects.filter(organization__in=organizations, uuid=uuid)
        .select_related("organization")
        .first()
    )


# The access log (workgroups/access_log.py): who may read it, its search and the company export.


@dataclass(frozen=True)
class AccessLogScope:
    """Whose reads a person may see in the access log: everyone's (the leadership office and
    platform administrators) or those done for the organisations they manage."""

    everyone: bool = False
    organization_ids: frozenset[int] = frozenset()

    @property
    def allowed(self) -> bool:
        return self.everyone or bool(self.organization_ids)


def access_log_scope(*, user: User) -> AccessLogScope:
    """One query: the leadership office sees every row; an organisation's manager (any staff
    organisation) the rows of their organisation's people; nobody else any."""
    if not user.is_authenticated:
        return AccessLogScope()
    if user.is_superuser:
        return AccessLogScope(everyone=True)
    rows = Membership.objects.filter(user=user, organization__kind__in=STAFF_KINDS).values_list(
        "organization_id", "organization__kind", "role"
    )
    everyone = False
    managed = set()
    for organization_id, kind, role in rows:
        everyone |= kind == OrganizationKind.LEADERSHIP_OFFICE
        if role == MemberRole.MANAGER:
            managed.add(organization_id)
    return AccessLogScope(everyone=everyone, organization_ids=frozenset(managed))


def _holding_any(qs: QuerySet, pairs: list[tuple[str, list[str]]]) -> QuerySet:
    """Rows whose JSON list `field` holds any of its `values`, for any (field, values) pair:
    jsonb `?|` on PostgreSQL (GIN indexes, migration 0013); on the embedded demo's SQLite a
    match in the JSON text."""
    pairs = [(field, values) for field, values in pairs if values]
    if not pairs:
        return qs.none()
    query = Q()
    if connection.vendor == "postgresql":
        for field, values in pairs:
            query |= Q(**{f"{field}__has_any_keys": values})
        return qs.filter(query)
    qs = qs.alias(**{f"{field}_text": Cast(field, TextField()) for field, _values in pairs})
    for field, values in pairs:
        for value in values:
            query |= Q(**{f"{field}_text__contains": json.dumps(value)})
    return qs.filter(query)


@dataclass(frozen=True)
class AccessLogFilters:
    person: str = ""
    organization_id: int | None = None
    subject: str = ""
    kind: str = ""
    door: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    ip_address: str = ""


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def access_records_search(*, scope: AccessLogScope, filters: AccessLogFilters) -> QuerySet:
    """The rows the caller may see, filtered, newest first (one query a page)."""
    qs: QuerySet = AccessRecord.objects.all()
    if not scope.everyone:
        qs = qs.filter(organization_id__in=scope.organization_ids)
    if filters.person:
        qs = qs.filter(username__icontains=filters.person)
    if filters.organization_id is not None:
        qs = qs.filter(organization_id=filters.organization_id)
    if filters.subject:
        values = [filters.subject]
        qs = _holding_any(
            qs, [("cases", values), ("case_references", values), ("subjects", values)]
        )
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.door:
        qs = qs.filter(door=filters.door)
    if filters.since is not None:
        qs = qs.filter(at__gte=_day_start(filters.since))
    if filters.until is not None:
        qs = qs.filter(at__lt=_day_start(filters.until + dt.timedelta(days=1)))
    if filters.ip_address:
        qs = qs.filter(ip_address=filters.ip_address)
    return qs.order_by("-at", "-id")


def access_records_for_subjects(
    *, case_ids: Iterable[object], subject_ids: Iterable[object] = ()
) -> QuerySet:
    """Every staff read of these cases (public ids) or of these items (documents, companies,
    demands: public ids), oldest first: the access log an applicant company downloads with
    everything the portal holds about it. One indexed query; the caller scopes the ids to the
    company (this app cannot tell whose cases they are)."""
    cases = [str(case) for case in case_ids]
    subjects = [str(subject) for subject in subject_ids]
    rows = _holding_any(AccessRecord.objects.all(), [("cases", cases), ("subjects", subjects)])
    return rows.order_by("at", "id")
