"""Claiming a project that a department pushed from shared data (免证办, 关口前移)."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import NotFound, PermissionDenied
from workgroups.constants import OrganizationKind
from workgroups.models import Organization, User
from workgroups.services import ensure_member

from ..constants import ProjectSource
from ..models import Project
from ..permissions import grant_project
from .documents import shared_documents_adopt
from .projects import EDITABLE_FIELDS


@transaction.atomic
def project_claim(*, actor: User, owner: Organization, code: str, **fields) -> Project:
    """Make an unclaimed pushed project `owner`'s, with any corrections the applicant made,
    together with the documents the department shared with it (no upload needed).

    The project keeps `source=shared_data`, so pages and staff see where its data came from.
    Two companies claiming at once are serialised by the row lock: the second gets NotFound.
    """
    ensure_member(actor, owner)
    if owner.kind != OrganizationKind.APPLICANT_COMPANY:
        raise PermissionDenied(_("Only an applicant company records projects."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    project = (
        Project.objects.select_for_update()
        .filter(code=code.strip(), owner__isnull=True, source=ProjectSource.SHARED_DATA)
        .first()
    )
    if project is None:
        raise NotFound(_("No unclaimed project with this code was shared by a department."))
    for name, value in fields.items():
        setattr(project, name, value)
    project.owner = owner
    project.created_by = actor
    project.full_clean()
    project.save()
    grant_project(project)
    shared_documents_adopt(owner=owner, project=project)
    return project
