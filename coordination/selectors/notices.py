"""Reads of policy notices: who a notice is for, the public list, the staff list with each
notice's awareness rate (companies that read it / companies it was for), per workgroup too."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from applications.models import ServiceApplication
from workgroups.constants import OrganizationKind, WorkgroupRole
from workgroups.models import Membership, Organization, Workgroup, WorkgroupMembership

from ..constants import NoticeStatus
from ..models import NoticeReadReceipt, NoticeRecipient, PolicyNotice
from ..registry import COMPANY_TYPE_CODE_PREFIXES


def lead_workgroup_ids(*, user) -> frozenset[int]:
    """The workgroups whose lead agency the user works for (they publish its notices)."""
    if not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return frozenset(Workgroup.objects.values_list("pk", flat=True))
    orgs = Membership.objects.filter(user=user).values("organization_id")
    return frozenset(
        WorkgroupMembership.objects.filter(
            organization_id__in=orgs, role=WorkgroupRole.LEAD
        ).values_list("workgroup_id", flat=True)
    )


def company_type_q(company_types: list[str]) -> Q:
    q = Q(pk__in=[])
    for value in company_types:
        for prefix in COMPANY_TYPE_CODE_PREFIXES.get(value, ()):
            q |= Q(unified_social_credit_code__startswith=prefix)
    return q


def notice_audience(notice: PolicyNotice) -> QuerySet[Organization]:
    """The applicant companies the notice is for: every active one when it has no filter;
    otherwise those of its company types that have at least one service application fitting
    all of its case filters at once (utility, business type, project kind, town, stage)."""
    companies = Organization.objects.filter(kind=OrganizationKind.APPLICANT_COMPANY, is_active=True)
    if notice.company_types:
        companies = companies.filter(company_type_q(notice.company_types))
    case: dict[str, list[str]] = {}
    if notice.utilities:
        case["utility__in"] = notice.utilities
    if notice.business_types:
        case["combined__business_type__in"] = notice.business_types
    if notice.project_kinds:
        case["combined__project__kind__in"] = notice.project_kinds
    if notice.towns:
        case["combined__project__town__code__in"] = notice.towns
    if notice.case_states:
        case["status__in"] = notice.case_states
    if case:
        companies = companies.filter(
            Exists(ServiceApplication.objects.filter(combined__applicant=OuterRef("pk"), **case))
        )
    return companies.order_by("pk")


def published_notices() -> QuerySet[PolicyNotice]:
    """The public page: published notices, newest first (withdrawn ones are gone)."""
    return (
        PolicyNotice.objects.filter(status=NoticeStatus.PUBLISHED)
        .select_related("workgroup")
        .order_by("-published_at", "-pk")
    )


def published_notice(*, uuid) -> PolicyNotice | None:
    return published_notices().prefetch_related("attachments").filter(uuid=uuid).first()


def _counted(model, field: str = "notice") -> Coalesce:
    rows = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def notices_for_staff(*, user) -> QuerySet[PolicyNotice]:
    """The notices of the workgroups the user leads, each with its targeted and reading
    companies counted in SQL (one query for the list)."""
    return (
        PolicyNotice.objects.filter(workgroup_id__in=lead_workgroup_ids(user=user))
        .select_related("workgroup")
        .annotate(targeted_count=_counted(NoticeRecipient), read_count=_counted(NoticeReadReceipt))
        .order_by("-created_at", "-pk")
    )


def notice_for_staff(*, user, uuid) -> PolicyNotice | None:
    return notices_for_staff(user=user).prefetch_related("attachments").filter(uuid=uuid).first()


def awareness(read: int, targeted: int) -> Decimal | None:
    """Percentage of the targeted companies that read, one decimal; None when nobody was
    targeted."""
    if not targeted:
        return None
    return (Decimal(100 * read) / Decimal(targeted)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class WorkgroupAwareness:
    workgroup: Workgroup
    notices: int
    targeted: int
    read: int

    @property
    def rate(self) -> Decimal | None:
        return awareness(self.read, self.targeted)


def awareness_by_workgroup() -> list[WorkgroupAwareness]:
    """For each workgroup, over the notices it has published (withdrawn ones included: they were
    sent): the companies reached and those that read, as (notice, company) pairs. Three
    queries."""
    sent = Q(notice__status__in=[NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN])
    targeted = dict(
        NoticeRecipient.objects.filter(sent)
        .values_list("notice__workgroup_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    read = dict(
        NoticeReadReceipt.objects.filter(sent)
        .values_list("notice__workgroup_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    workgroups = Workgroup.objects.annotate(
        published=Count(
            "notices",
            filter=Q(notices__status__in=[NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN]),
        )
    ).order_by("pk")
    return [
        WorkgroupAwareness(
            workgroup=w,
            notices=w.published,
            targeted=targeted.get(w.pk, 0),
            read=read.get(w.pk, 0),
        )
        for w in workgroups
    ]


def notices_read_by(*, user) -> frozenset[int]:
    """Ids of the notices a company of the user has read (the page marks them)."""
    orgs = Membership.objects.filter(user=user).values("organization_id")
    return frozenset(
        NoticeReadReceipt.objects.filter(organization_id__in=orgs).values_list(
            "notice_id", flat=True
        )
    )
