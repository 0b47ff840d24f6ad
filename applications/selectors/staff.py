"""Reads of the staff site, each scoped to what the caller's organisation may act on.

Who sees what (DESIGN 6):
- workgroup lead agency staff: their workgroup's applications (object permission granted to the
  organisation's group at submission, for workgroups where it is the LEAD);
- operator staff: applications assigned to their operator;
- permit agency staff: their permit requests (and the case page of those applications);
- leadership office and leading group: everything, read-only (documents included: the
  document view asks `document_for_oversight`, no permission rows are granted to them);
- a town's governing organisation (town government, sub-district office, development zone
  committee): the applications whose project lies in a town it governs, read-only and without
  their files (`read_in_area`, granted at submission).
Applicants are not staff: every selector here returns nothing for them.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import (
    Case,
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from core.workflow import PermissionSource
from workgroups.calendar import add_working_days
from workgroups.constants import (
    STAFF_KINDS,
    DisputeStatus,
    OrganizationKind,
    VerificationStatus,
    WorkgroupRole,
)
from workgroups.models import (
    CompanyDispute,
    CompanyIdentity,
    CompanyRegistryRecord,
    Membership,
    Town,
    WorkgroupMembership,
)
from workgroups.selectors import escalation_holders
from workgroups.workflow import may_review_identities

from ..constants import (
    CLOCKED_STATES,
    EscalationStatus,
    PermitStatus,
    ProjectSource,
    ServiceStatus,
)
from ..models import (
    CombinedApplication,
    Document,
    DocumentLink,
    Escalation,
    LicenceReview,
    PermitRequest,
    Project,
    ProjectClaimEvent,
    ServiceApplication,
    ServiceApplicationGroupObjectPermission,
)
from ..workflow import VIEW_SERVICE
from .common import case_page_prefetches, with_fees

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
    area_ids: frozenset[int] = frozenset()  # town, sub-district and development zone bodies
    oversight: bool = False
    superuser: bool = False

    @property
    def is_staff(self) -> bool:
        return bool(self.org_ids) or self.oversight


def staff_scope(*, user) -> StaffScope:
    """Two queries: the caller's staff memberships, and the workgroups they lead (which
    escalation tiers they hold is `escalation_holders`' answer)."""
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
    return StaffScope(
        org_ids=org_ids,
        lead_workgroup_ids=frozenset(
            WorkgroupMembership.objects.filter(
                organization_id__in=org_ids, role=WorkgroupRole.LEAD
            ).values_list("workgroup_id", flat=True)
        ),
        operator_ids=frozenset(pk for pk, kind in rows if kind == OrganizationKind.OPERATOR),
        agency_ids=frozenset(pk for pk, kind in rows if kind == OrganizationKind.AGENCY),
        area_ids=frozenset(pk for pk, kind in rows if kind == OrganizationKind.AREA),
        oversight=any(kind in OVERSIGHT_KINDS for _, kind in rows),
    )


# Either opens the case page: `read_in_area` is a town's reading, without files or actions.
_READ_CODENAMES = ("view_serviceapplication", "read_in_area")


def _viewable_ids(user) -> QuerySet:
    """Ids of the applications one of the user's groups may read (view permission, or the
    town's reading of the cases in its area)."""
    return ServiceApplicationGroupObjectPermission.objects.filter(
        group__user=user, permission__codename__in=_READ_CODENAMES
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
        if not (scope.lead_workgroup_ids or scope.operator_ids or scope.area_ids):
            return qs.none()
        # Acting organisations and towns (their area, read-only) only (a permit agency's
        # read-only context is its own tab), and only what the permission rows let them open,
        # so the list never links to a 404.
        qs = qs.filter(
            Q(workgroup_id__in=scope.lead_workgroup_ids)
            | Q(operator_id__in=scope.operator_ids)
            | Q(combined__project__town__governing_organization_id__in=scope.area_ids),
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


def bulk_targets(*, user, scope: StaffScope, uuids: list) -> dict[str, ServiceApplication]:
    """The applications among `uuids` that the caller's queue lists, by uuid string; anything
    else (another workgroup's case, a typo) is simply absent."""
    if not uuids:
        return {}
    qs = queue_for_staff(user=user, scope=scope, filters=QueueFilters()).filter(uuid__in=uuids)
    return {str(sa.uuid): sa for sa in qs}


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
        with_fees(visible_service_applications(user=user, scope=scope))
        .select_related("operator", "workgroup", "fee_confirmed_by")
        .prefetch_related(
            *case_page_prefetches(),
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
        .prefetch_related(models.Prefetch("services", queryset=services), "commitments__wording")
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


def case_documents_open(
    *, user, services: list[ServiceApplication], scope: StaffScope, perms: PermissionSource
) -> frozenset[int]:
    """Ids of the case's applications whose documents the caller may open: those it may view,
    or every one for the leadership bodies (they read every file, act on none)."""
    every = frozenset(sa.pk for sa in services)
    if scope.oversight or user.is_superuser or user.has_perm(VIEW_SERVICE):
        return every
    return frozenset(sa.pk for sa in services if perms.has(VIEW_SERVICE, sa))


def document_for_oversight(*, scope: StaffScope, uuid) -> Document | None:
    """For the leadership bodies only: a document linked to a submitted application (read-only,
    like the rest of the case). A draft's files stay the applicant's own."""
    if not scope.oversight:
        return None
    submitted = DocumentLink.objects.filter(document=OuterRef("pk")).exclude(
        service_application__status=ServiceStatus.DRAFT
    )
    return Document.objects.filter(Exists(submitted), uuid=uuid).first()


def escalations_for_staff(*, scope: StaffScope, status: str = EscalationStatus.OPEN) -> QuerySet:
    """The escalations the caller's organisations handle (`escalation_holders`): tier 1 goes to
    the case's workgroup lead agencies (who keep seeing it as it climbs), tier 2 and up to the
    leadership office, tier 3 to the leading group."""
    qs = Escalation.objects.all()
    if status:
        qs = qs.filter(status=status)
    if not scope.superuser:
        workgroup_ids, from_tier = escalation_holders().reach(scope.org_ids)
        visible = Q(service_application__workgroup_id__in=workgroup_ids)
        if from_tier is not None:
            visible |= Q(tier__gte=from_tier)
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


# Company verification (the company registry's staff) and pushed projects (their department).


def _latest_licence(outer: str) -> QuerySet:
    return LicenceReview.objects.filter(organization=OuterRef(outer)).order_by(
        "-requested_at", "-pk"
    )


def _registry(outer: str) -> QuerySet:
    return CompanyRegistryRecord.objects.filter(credit_code=OuterRef(outer))


def companies_awaiting_review() -> QuerySet:
    """Companies whose business licence waits for review, oldest request first, each with its
    licence and the registry's data for its code (if pushed), in one query."""
    return (
        CompanyIdentity.objects.filter(status=VerificationStatus.AWAITING_REVIEW)
        .select_related("organization")
        .annotate(
            licence_uuid=Subquery(_latest_licence("organization").values("document__uuid")[:1]),
            licence_name=Subquery(
                _latest_licence("organization").values("document__original_name")[:1]
            ),
            registry_name=Subquery(_registry("credit_code").values("name")[:1]),
            registry_representative=Subquery(
                _registry("credit_code").values("legal_representative")[:1]
            ),
        )
        .order_by("review_requested_at", "pk")
    )


def company_awaiting_review(*, organization_uuid) -> CompanyIdentity | None:
    return companies_awaiting_review().filter(organization__uuid=organization_uuid).first()


def disputes_open() -> QuerySet:
    """Open credit-code disputes, oldest first, with both companies, their licences and the
    registry's data for the code, in one query."""
    return (
        CompanyDispute.objects.filter(status=DisputeStatus.OPEN)
        .select_related("holder__identity", "claimant__identity", "claimant_user")
        .annotate(
            holder_licence=Subquery(_latest_licence("holder").values("document__uuid")[:1]),
            claimant_licence=Subquery(_latest_licence("claimant").values("document__uuid")[:1]),
            registry_name=Subquery(_registry("credit_code").values("name")[:1]),
            registry_representative=Subquery(
                _registry("credit_code").values("legal_representative")[:1]
            ),
        )
        .order_by("opened_at", "pk")
    )


def dispute_open(*, uuid) -> CompanyDispute | None:
    return disputes_open().filter(uuid=uuid).first()


def document_for_identity_review(*, user, uuid) -> Document | None:
    """A business licence a company sent for review, to the staff who review it."""
    if not may_review_identities(user):
        return None
    sent = LicenceReview.objects.filter(document=OuterRef("pk"))
    return Document.objects.filter(Exists(sent), uuid=uuid).first()


def projects_pushed_for_staff(*, scope: StaffScope) -> QuerySet:
    """The projects the caller's departments pushed (every one for the leadership bodies),
    newest first, with who claimed each, in one query."""
    qs = Project.objects.filter(source=ProjectSource.SHARED_DATA)
    if not scope.oversight:
        qs = qs.filter(source_organization_id__in=scope.org_ids)
    return qs.select_related("town", "source_organization", "owner", "claimed_by").order_by(
        "-created_at", "-pk"
    )


def project_pushed_for_staff(*, scope: StaffScope, uuid) -> Project | None:
    return (
        projects_pushed_for_staff(scope=scope)
        .filter(uuid=uuid)
        .prefetch_related(
            models.Prefetch(
                "claim_events",
                queryset=ProjectClaimEvent.objects.select_related(
                    "owner", "previous_owner", "actor", "actor_organization"
                ).order_by("-at", "-pk"),
            )
        )
        .first()
    )
