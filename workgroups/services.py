"""Writes for organisations, people, reference data and the API's idempotency records."""

import datetime as dt

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .constants import MemberRole, OrganizationKind, Role, WorkgroupRole
from .models import (
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
