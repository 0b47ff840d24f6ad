"""Writes for organisations, people and reference data."""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from .constants import MemberRole, OrganizationKind, Role, WorkgroupRole
from .models import Membership, Organization, PermitAuthority, User, WorkgroupMembership

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
            "group": group,
        },
    )
    return org


def roles_for_organization(organization: Organization) -> set[str]:
    """Role groups a member of this organisation belongs to (DESIGN 6)."""
    roles = {_ROLE_BY_KIND[OrganizationKind(organization.kind)]}
    if WorkgroupMembership.objects.filter(
        organization=organization, role=WorkgroupRole.LEAD
    ).exists():
        roles.add(Role.LEAD_AGENCY)
    if PermitAuthority.objects.filter(agency=organization).exists():
        roles.add(Role.PERMIT_AGENCY)
    if organization.provides_data:
        roles.add(Role.DATA_PROVIDER)
    return roles


def _role_groups(roles: set[str]) -> list[Group]:
    return [Group.objects.get_or_create(name=f"role:{role}")[0] for role in sorted(roles)]


@transaction.atomic
def organization_roles_refresh(*, organization: Organization) -> None:
    """Bring every member's role groups in line with what the organisation does now.

    Roles follow from reference data (a workgroup lead, a permit authority, a data provider)
    that staff may change after people joined; a role another membership still gives stays."""
    members = list(
        User.objects.filter(memberships__organization=organization).prefetch_related(
            "memberships__organization"
        )
    )
    if not members:
        return
    everyone = {r.value for r in Role}
    for user in members:
        wanted: set[str] = set()
        for membership in user.memberships.all():
            wanted |= roles_for_organization(membership.organization)
        user.groups.add(*_role_groups(wanted))
        user.groups.remove(*Group.objects.filter(name__in=[f"role:{r}" for r in everyone - wanted]))


@transaction.atomic
def membership_add(
    *, user: User, organization: Organization, role: str = MemberRole.STAFF
) -> Membership:
    """Make `user` act for `organization`: membership row, organisation group, role groups."""
    membership, _ = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    user.groups.add(organization.group, *_role_groups(roles_for_organization(organization)))
    return membership


@transaction.atomic
def membership_remove(*, user: User, organization: Organization) -> None:
    """Stop `user` acting for `organization`: the row, its group, and the role groups that no
    other membership of theirs still gives."""
    Membership.objects.filter(user=user, organization=organization).delete()
    user.groups.remove(organization.group)
    kept: set[str] = set()
    for other in Membership.objects.filter(user=user).select_related("organization"):
        kept |= roles_for_organization(other.organization)
    gone = roles_for_organization(organization) - kept
    user.groups.remove(*Group.objects.filter(name__in=[f"role:{role}" for role in gone]))
