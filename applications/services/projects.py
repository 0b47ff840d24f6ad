"""Projects: recorded once by the applicant company and reused for every request."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import PermissionDenied, ValidationError
from workgroups.constants import OrganizationKind
from workgroups.models import Organization, Town, User
from workgroups.services import ensure_member
from workgroups.validators import normalize_project_code, validate_project_code

from ..constants import ClaimAction, ProjectSource
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


def _check_code(code: str, errors: dict[str, list[str]]) -> None:
    """The national project code's format, beside the model's own errors on the field."""
    try:
        validate_project_code(code)
    except ValidationError as exc:
        errors.setdefault("code", []).extend(exc.messages)


@transaction.atomic
def project_create(*, actor: User, owner: Organization, code: str, **fields) -> Project:
    """Record a project for `owner`; field errors come back as a ValidationError dict."""
    ensure_member(actor, owner)
    if owner.kind != OrganizationKind.APPLICANT_COMPANY:
        raise PermissionDenied(_("Only an applicant company records projects."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    project = Project(code=normalize_project_code(code), owner=owner, created_by=actor, **fields)
    errors: dict[str, list[str]] = {}
    try:
        project.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
    _check_code(project.code, errors)
    if errors:
        raise ValidationError(errors)
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


@transaction.atomic
def project_push(
    *,
    actor: User,
    organization: Organization,
    code: str,
    town_code: str,
    owner_credit_code: str = "",
    issue_claim_code: bool = False,
    **fields,
) -> Project:
    """A data-providing department pushes a project's master data (免证办, 关口前移).

    The project has no owner until its company claims it by its code, so the applicant never
    types it again. The department names that company: by its unified social credit code
    (only the company verified as holding it may claim), or, asking for a claim code, by the
    code it hands over itself; the plaintext of a claim code is set on the returned project as
    `issued_claim_code`, and nowhere else, ever. Every invalid field is reported at once.
    """
    from .claims import claim_code_issue, claim_event, clean_owner

    ensure_member(actor, organization)
    if not (organization.provides_data or organization.kind == OrganizationKind.DATA_PROVIDER):
        raise PermissionDenied(_("Only a data-providing department pushes projects."))
    unknown = set(fields) - set(EDITABLE_FIELDS) | ({"town"} & set(fields))
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    town = Town.objects.filter(code=(town_code or "").strip()).first()
    project = Project(
        code=normalize_project_code(code),
        town=town,
        owner=None,
        source=ProjectSource.SHARED_DATA,
        source_organization=organization,
        created_by=actor,
        **fields,
    )
    errors: dict[str, list[str]] = {}
    try:
        project.full_clean(exclude=["town"] if town is None else None)
    except ValidationError as exc:
        errors = exc.message_dict
    _check_code(project.code, errors)
    if town is None:
        errors["town"] = [_("Unknown town code: %s") % town_code]
    project.owner_credit_code = clean_owner(
        owner_credit_code=owner_credit_code, issue_claim_code=issue_claim_code, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    plaintext = claim_code_issue(project, now=now) if issue_claim_code else None
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError as exc:  # the same code pushed concurrently
        raise ValidationError({"code": [_("A project with this code already exists.")]}) from exc
    claim_event(
        project,
        ClaimAction.CODE_ISSUED if issue_claim_code else ClaimAction.PUSHED,
        actor=actor,
        organization=organization,
        at=now,
    )
    project.issued_claim_code = plaintext
    return project
