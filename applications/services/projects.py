"""Projects: recorded once by the applicant company and reused for every request."""

from django.db import transaction
from django.utils.translation import gettext as _

from workgroups.constants import OrganizationKind
from workgroups.models import Membership, Organization, User

from ..errors import PermissionDenied
from ..models import Project
from ..permissions import grant_project

EDITABLE_FIELDS = (
    "name",
    "kind",
    "works_type",
    "address",
    "town",
    "floor_area_m2",
    "planned_start",
)


def ensure_member(actor: User, organization: Organization) -> None:
    """Only a member of the applicant company acts for it."""
    if not Membership.objects.filter(user=actor, organization=organization).exists():
        raise PermissionDenied(_("You do not act for this organisation."))


@transaction.atomic
def project_create(*, actor: User, owner: Organization, code: str, **fields) -> Project:
    """Record a project for `owner`; field errors come back as a ValidationError dict."""
    ensure_member(actor, owner)
    if owner.kind != OrganizationKind.APPLICANT_COMPANY:
        raise PermissionDenied(_("Only an applicant company records projects."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    project = Project(code=code.strip(), owner=owner, created_by=actor, **fields)
    project.full_clean()
    project.save()
    grant_project(project)
    return project


@transaction.atomic
def project_update(*, actor: User, project: Project, **fields) -> Project:
    """Change a project's details (its code never changes: it is the approval system's key)."""
    if not actor.has_perm("applications.change_project", project):
        raise PermissionDenied(_("You may not change this project."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(project, name, value)
    project.full_clean()
    project.save()
    return project
