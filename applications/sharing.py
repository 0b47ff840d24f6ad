"""The rule of 免证办: a company sees what a department shared with a project only through a
valid claim of it.

Claiming a pushed project gives the company its own copy (same stored file) of each document
the department shared with the project (`shared_documents_adopt`). Such a copy stands while the
claim does: the project is still the company's, and the company is still verified as holding
its credit code. A department reassigning a wrong claim, or staff detaching a company from a
code it did not hold, ends the copies' use at once, for downloads, the document library, new
drafts and submissions alike; the rows stay, for the audit trail and for the applications
they were already filed with (the operator handling one still sees it).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q
from django.utils.crypto import salted_hmac

from workgroups.constants import VerificationStatus
from workgroups.models import Organization

from .constants import DocumentSource, ProjectSource
from .models import Document, Project

_CLAIM_CODE_SALT = "applications.project.claim-code"


def copy_stands_q() -> Q:
    """Documents whose use by their owner stands: anything but a company's copy of shared
    data whose claim no longer does."""
    return (
        ~Q(source=DocumentSource.SHARED_DATA)
        | Q(project__isnull=True)
        | Q(owner_id=F("source_organization_id"))
        | (
            Q(project__owner_id=F("owner_id"))
            & Q(owner__identity__status=VerificationStatus.VERIFIED)
        )
    )


def is_claimed_copy(document: Document) -> bool:
    """A company's copy of a document a department shared with a project it pushed."""
    return (
        document.source == DocumentSource.SHARED_DATA
        and document.project_id is not None
        and document.owner_id != document.source_organization_id
    )


def copies_not_standing(documents: Iterable[Document]) -> set[int]:
    """Ids of the claimed copies among `documents` whose claim no longer stands (one query)."""
    copies = [d.pk for d in documents if is_claimed_copy(d)]
    if not copies:
        return set()
    return set(
        Document.objects.filter(pk__in=copies).exclude(copy_stands_q()).values_list("pk", flat=True)
    )


# Who may claim a pushed project (applications/services/claims.py explains the codes).


def normalize_claim_code(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())[:64]


def _claim_code_digest(code: str, secret: str) -> str:
    return salted_hmac(_CLAIM_CODE_SALT, code, secret=secret, algorithm="sha256").hexdigest()


def claim_code_digests(value: str) -> list[str]:
    """The digests a typed claim code may be stored under: the current key's, then each
    retired key's (SECRET_KEY_FALLBACKS)."""
    code = normalize_claim_code(value)
    if not code:
        return []
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_claim_code_digest(code, key) for key in keys]


@dataclass(frozen=True)
class ClaimCheck:
    """Whether `organization` may claim the project: `expired` when it presented the project's
    claim code after the code ran out (only someone who had the code learns that)."""

    allowed: bool
    expired: bool = False


def claim_check(
    project: Project, *, organization: Organization, claim_code: str, now: dt.datetime
) -> ClaimCheck:
    """The rule, for a verified company and an unclaimed pushed project."""
    if project.owner_id is not None or project.source != ProjectSource.SHARED_DATA:
        return ClaimCheck(False)
    if project.owner_credit_code:
        held = organization.unified_social_credit_code
        return ClaimCheck(bool(held) and held == project.owner_credit_code)
    if project.claim_code_digest and project.claim_code_digest in claim_code_digests(claim_code):
        expired = project.claim_code_expires_at is not None and project.claim_code_expires_at <= now
        return ClaimCheck(not expired, expired=expired)
    return ClaimCheck(False)
