"""Who holds a project a department pushed from shared data (免证办, 关口前移).

A department's push names the owner: by 统一社会信用代码 (`owner_credit_code`), so that only
the company *verified* as holding that code may claim it (workgroups/identity.py), or, when the
department does not know the code, by a claim code it hands to the owner itself. Nobody else
learns anything of the project from its code: to them it answers exactly like a code nobody
pushed. Claiming gives the company the documents the department shared with the project; a
department that finds a project claimed by the wrong company reassigns it, with its reason, and
that company loses the project and those documents at once (applications/sharing.py). Every
push, claim and reassignment is a ProjectClaimEvent: the audit trail the department reads, and
the fact the notifications engine tells the companies and the department about.

Claim codes: 16 characters from 32 unambiguous ones (80 bits), shown once in the push answer,
single-use, valid PROJECT_CLAIM_CODE_TTL_DAYS. Stored as HMAC-SHA256 keyed with the site's
secret key: with 80 bits nobody guesses one, so a slow password hash would only cost time on
every claim and make the look-up by code impossible; the key means a copy of the database alone
cannot even confirm a code. Codes issued under a retired key stay valid through
SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from workgroups.constants import OrganizationKind
from workgroups.identity import company_is_verified
from workgroups.models import Organization, User
from workgroups.services import ensure_member
from workgroups.validators import normalize_uscc, validate_uscc

from ..constants import ClaimAction, ProjectSource
from ..models import Draft, Project, ProjectClaimEvent
from ..permissions import grant_project, revoke_project
from ..sharing import ClaimCheck, claim_check, claim_code_digests
from .documents import shared_documents_adopt
from .projects import EDITABLE_FIELDS

CLAIM_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CLAIM_CODE_LENGTH = 16
REASON_MAX_LENGTH = 2000


class NotVerified(DomainError):
    """The company may not claim pushed projects until it is verified."""

    status_code = 403


def not_verified_message() -> str:
    return _(
        "Only a verified company takes over projects that departments shared. Your company is "
        "not verified yet: see “Company verification” for how to get verified."
    )


def no_project_message() -> str:
    return _(
        "No project with this code is waiting for your company. Check the code (and the claim "
        "code, if the department gave you one), or record the project yourself."
    )


def _new_claim_code() -> str:
    raw = "".join(secrets.choice(CLAIM_CODE_ALPHABET) for _ in range(CLAIM_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CLAIM_CODE_LENGTH, 4))


def claim_code_issue(project: Project, *, now: dt.datetime) -> str:
    """Give the (unsaved) project a new claim code; the plaintext is returned only here."""
    code = _new_claim_code()
    project.claim_code_digest = claim_code_digests(code)[0]
    project.claim_code_expires_at = now + dt.timedelta(days=settings.PROJECT_CLAIM_CODE_TTL_DAYS)
    return code


def clean_owner(
    *, owner_credit_code: str, issue_claim_code: bool, errors: dict[str, list[str]]
) -> str:
    """The owner a department names: a valid credit code, or a claim code instead."""
    code = normalize_uscc(owner_credit_code or "")
    if code and issue_claim_code:
        errors["owner_credit_code"] = [
            _("Name the owner by its credit code or ask for a claim code, not both.")
        ]
    elif not code and not issue_claim_code:
        errors["owner_credit_code"] = [
            _(
                "Name the owner by its unified social credit code, or ask for a claim code "
                "to hand to the owner (issue_claim_code)."
            )
        ]
    elif code:
        try:
            validate_uscc(code)
        except ValidationError as exc:
            errors["owner_credit_code"] = list(exc.messages)
    return code


def claim_event(
    project: Project,
    action: str,
    *,
    actor: User | None,
    organization: Organization | None,
    at: dt.datetime,
    previous_owner: Organization | None = None,
    reason: str = "",
) -> ProjectClaimEvent:
    return ProjectClaimEvent.objects.create(
        project=project,
        action=action,
        owner=project.owner,
        previous_owner=previous_owner,
        owner_credit_code=project.owner_credit_code,
        actor=actor,
        actor_organization=organization,
        reason=reason,
        at=at,
    )


@transaction.atomic
def project_claim(
    *, actor: User, owner: Organization, code: str, claim_code: str = "", **fields
) -> Project:
    """Make a pushed project `owner`'s, with any corrections the applicant made, together with
    the documents the department shared with it (no upload needed).

    Only a verified company claims, and only a project pushed for it (its credit code, or the
    claim code it was handed). Whatever else is refused exactly like a code nobody pushed.
    The project keeps `source=shared_data`. Two claims at once are serialised by the row lock.
    """
    ensure_member(actor, owner)
    if owner.kind != OrganizationKind.APPLICANT_COMPANY:
        raise PermissionDenied(_("Only an applicant company records projects."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    if not company_is_verified(owner):
        raise NotVerified(not_verified_message())
    owner = Organization.objects.get(pk=owner.pk)  # the credit code it holds now
    now = timezone.now()
    code = (code or "").strip().replace("\x00", "")  # PostgreSQL takes no NUL in a query
    project = (
        Project.objects.select_for_update()
        .filter(code=code, owner__isnull=True, source=ProjectSource.SHARED_DATA)
        .first()
    )
    check = (
        claim_check(project, organization=owner, claim_code=claim_code, now=now)
        if project is not None
        else ClaimCheck(False)
    )
    if check.expired:
        raise ValidationError(
            {"claim_code": _("This claim code has expired. Ask the department for a new one.")}
        )
    if project is None or not check.allowed:
        raise NotFound(no_project_message())
    for name, value in fields.items():
        setattr(project, name, value)
    project.owner = owner
    project.created_by = actor
    project.claimed_at, project.claimed_by = now, actor
    project.claim_code_digest, project.claim_code_expires_at = "", None  # single use
    project.full_clean()
    project.save()
    grant_project(project)
    shared_documents_adopt(owner=owner, project=project)
    claim_event(project, ClaimAction.CLAIMED, actor=actor, organization=owner, at=now)
    return project


@dataclass(frozen=True)
class Reassigned:
    project: Project
    claim_code: str | None  # the new claim code's plaintext, shown once


@transaction.atomic
def project_reassign(
    *,
    actor: User,
    organization: Organization,
    project: Project,
    owner_credit_code: str = "",
    issue_claim_code: bool = False,
    reason: str,
) -> Reassigned:
    """The department that pushed the project names its owner again: the company that claimed
    it (if any) loses it and the documents shared with it, its open drafts for it go, and the
    rightful company, named by credit code or by a new claim code, claims it. Recorded with
    the reason; both companies are told."""
    ensure_member(actor, organization)
    locked = Project.objects.select_for_update().filter(pk=project.pk).first()
    if (
        locked is None
        or locked.source != ProjectSource.SHARED_DATA
        or locked.source_organization_id != organization.pk
    ):
        raise NotFound(_("No such project."))
    project = locked
    errors: dict[str, list[str]] = {}
    code = clean_owner(
        owner_credit_code=owner_credit_code, issue_claim_code=issue_claim_code, errors=errors
    )
    reason = (reason or "").strip()
    if len(reason) < 2 or len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [_("Give the reason (it is recorded and the companies are told).")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    previous = project.owner
    if previous is not None:
        revoke_project(project, previous.group_id)
        Draft.objects.filter(owner=previous, project=project, combined__isnull=True).delete()
    project.owner = None
    project.claimed_at, project.claimed_by = None, None
    project.owner_credit_code = code
    plaintext = None
    if issue_claim_code:
        plaintext = claim_code_issue(project, now=now)
    else:
        project.claim_code_digest, project.claim_code_expires_at = "", None
    project.save()
    claim_event(
        project,
        ClaimAction.REASSIGNED,
        actor=actor,
        organization=organization,
        at=now,
        previous_owner=previous,
        reason=reason,
    )
    return Reassigned(project, plaintext)
