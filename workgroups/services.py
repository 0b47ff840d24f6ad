"""Writes for organisations, people, reference data and the API's idempotency records."""

import datetime as dt

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .calendar import arrangement_year, forget_cached_years, package_year, package_years
from .constants import MemberRole, OrganizationKind, Role, WorkgroupRole
from .models import (
    CalendarDay,
    CalendarSource,
    IdempotencyRecord,
    Membership,
    Organization,
    PermitAuthority,
    User,
    WorkgroupMembership,
)

IDEMPOTENCY_KEEP_FOR = dt.timedelta(days=7)  # docs/api.md promises at least 24 hours

_ROLE_BY_KIND = {
    OrganizationKind.APPLICANT_COMPANY: Role.APPLICANT,
    OrganizationKind.OPERATOR: Role.OPERATOR,
    OrganizationKind.AGENCY: Role.AGENCY,
    OrganizationKind.AREA: Role.AREA,
    OrganizationKind.LEADERSHIP_OFFICE: Role.LEADERSHIP_OFFICE,
    OrganizationKind.LEADING_GROUP: Role.LEADING_GROUP,
    OrganizationKind.DATA_PROVIDER: Role.DATA_PROVIDER,
}


def ensure_member(actor: User, organization: Organization) -> None:
    """Only a member of an organisation acts for it."""
    if not Membership.objects.filter(user=actor, organization=organization).exists():
        raise PermissionDenied(_("You do not act for this organisation."))


def organization_group_name(code: str) -> str:
    return f"org:{code}"


@transaction.atomic
def organization_upsert(
    *,
    code: str,
    name_zh: str,
    name_en: str,
    kind: str,
    unified_social_credit_code: str = "",
    provides_data: bool = False,
    carrier: str = "",
    keeps_company_registry: bool = False,
) -> Organization:
    """Create or update an organisation by its code, with its own permission group."""
    group, _ = Group.objects.get_or_create(name=organization_group_name(code))
    org, _ = Organization.objects.update_or_create(
        code=code,
        defaults={
            "name_zh": name_zh,
            "name_en": name_en,
            "kind": kind,
            "unified_social_credit_code": unified_social_credit_code,
            "provides_data": provides_data,
            "carrier": carrier,
            "keeps_company_registry": keeps_company_registry,
            "group": group,
        },
    )
    return org


def roles_for_organization(organization: Organization) -> set[str]:
    """The roles the organisation plays now, from its kind and the reference data: the API
    token scopes it may be given follow them."""
    roles: set[str] = {_ROLE_BY_KIND[OrganizationKind(organization.kind)]}
    if WorkgroupMembership.objects.filter(
        organization=organization, role=WorkgroupRole.LEAD
    ).exists():
        roles.add(Role.LEAD_AGENCY)
    if PermitAuthority.objects.filter(agency=organization).exists():
        roles.add(Role.PERMIT_AGENCY)
    if organization.provides_data:
        roles.add(Role.DATA_PROVIDER)
    if organization.keeps_company_registry:
        roles.add(Role.COMPANY_REGISTRY)
    return roles


@transaction.atomic
def membership_add(
    *, user: User, organization: Organization, role: str = MemberRole.STAFF
) -> Membership:
    """Make `user` act for `organization`: the membership row and the organisation's group,
    which holds every permission granted to the organisation."""
    membership, _ = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    user.groups.add(organization.group)
    return membership


@transaction.atomic
def membership_remove(*, user: User, organization: Organization) -> None:
    """Stop `user` acting for `organization`: the row and the organisation's group."""
    Membership.objects.filter(user=user, organization=organization).delete()
    user.groups.remove(organization.group)


def idempotency_records_purge(*, older_than: dt.timedelta = IDEMPOTENCY_KEEP_FOR) -> int:
    """Forget Idempotency-Keys older than `older_than` (beat runs this every hour)."""
    deleted, _by_model = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted


# The working-day calendar.

_WORKING = {"1": True, "0": False, "working": True, "rest": False, "上班": True, "休": False}


def calendar_notice_parse(text: str, *, year: int) -> list[tuple[dt.date, bool, str]]:
    """The holidays and make-up working days of a State Council notice as CSV lines
    `date,working,name` (working: 1/0, working/rest, 上班/休); a header line is allowed.
    Every mistake is reported with its line number; nothing is half-read."""
    rows, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [c.strip() for c in line.split(",")]
        if not line.strip() or (number == 1 and cells[0].lower() == "date"):
            continue
        if len(cells) < 2:
            errors.append(_("Line %(n)s: expected date,working,name.") % {"n": number})
            continue
        try:
            day = dt.date.fromisoformat(cells[0])
        except ValueError:
            errors.append(_("Line %(n)s: “%(d)s” is not a date.") % {"n": number, "d": cells[0]})
            continue
        if day.year != year:
            errors.append(
                _("Line %(n)s: %(d)s is not in %(y)s.") % {"n": number, "d": day, "y": year}
            )
            continue
        working = _WORKING.get(cells[1].lower())
        if working is None:
            errors.append(_("Line %(n)s: working must be 1 or 0.") % {"n": number})
            continue
        rows.append((day, working, cells[2][:60] if len(cells) > 2 else ""))
    if errors:
        raise ValidationError({"notice": errors})
    if not rows:
        raise ValidationError({"notice": _("The notice lists no holiday or make-up day.")})
    return rows


def may_enter_calendar(user: User) -> bool:
    """Administrators and the leadership office's staff keep the working-day calendar."""
    return (
        user.is_superuser
        or Membership.objects.filter(
            user=user, organization__kind=OrganizationKind.LEADERSHIP_OFFICE
        ).exists()
    )


@transaction.atomic
def calendar_year_enter(
    *,
    actor: User | None,
    year: int,
    exceptions: list[tuple[dt.date, bool, str]],
    source: str = CalendarSource.OFFICIAL_NOTICE,
) -> int:
    """Replace `year` in the working-day calendar: Monday-Friday, changed by the notice's
    holidays and make-up days. Returns the number of days written; every process reads the
    year again within minutes (workgroups.calendar.YEAR_CACHE_SECONDS)."""
    if actor is not None and not may_enter_calendar(actor):
        raise PermissionDenied(_("Only the leadership office enters the working-day calendar."))
    days = arrangement_year(year, exceptions)
    CalendarDay.objects.filter(day__year=year).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(day=day, is_working_day=working, name=name, source=source, entered_by=actor)
        for day, working, name in days
    )
    forget_cached_years()
    return len(days)


def calendar_package_seed() -> list[int]:
    """Enter the years the chinese-calendar package knows and the table lacks; their years."""
    held = {d.year for d in CalendarDay.objects.dates("day", "year")}
    entered = []
    for year in package_years():
        if year in held:
            continue
        exceptions = [row for row in package_year(year) if row[1] != (row[0].weekday() < 5)]
        calendar_year_enter(
            actor=None, year=year, exceptions=exceptions, source=CalendarSource.PACKAGE
        )
        entered.append(year)
    return entered
