"""The rule of 免证办: a company sees what a department shared with a project only through a
valid claim of it.

Claiming a pushed project gives the company its own copy (same stored file) of each document
the department shared with the project (`shared_documents_adopt`). Such a copy stands while the
claim does: the project is still the company's, and the company is still verified as holding
its credit code. A department reassigning a wrong claim, or staff detaching a company from a
code it did not hold, ends the copies' use at once, for downloads, the document library, new
drafts and submissions alike; the rows stay, for the audit trail and for the applications
they were already filed with (the operator handling one still sees it).

Which documents the portal fetches itself for an applicant and a project is decided by ONE
function, `shared_document_sources`: the request form (shows the document as shared data and
asks nothing), the submission service (requires nothing and links the shared copy), new drafts,
the transparency page and the service guides (say under which condition, from
`SHARED_DATA_CONDITIONS`) all read it or its rules, so a public promise and the form cannot part.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, F, Q
from django.utils.crypto import salted_hmac
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from workgroups.constants import VerificationStatus
from workgroups.models import CompanyIdentity, CompanyRegistryRecord, Organization

from .constants import DocumentSource, DocumentType, ProjectSource, SharedFrom
from .models import Document, Project
from .registry import DOCUMENT_RULES

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


# 免证办: what the portal fetches itself, and on which condition (the public statement of the
# rule `shared_document_sources` applies).
SHARED_DATA_CONDITIONS: dict[str, Promise] = {
    SharedFrom.COMPANY_REGISTRY: _(
        "Fetched when your company is verified and the company registry (市场监督管理局) has "
        "pushed its registration data for your credit code."
    ),
    SharedFrom.PROJECT_PUSH: _(
        "Fetched when a department pushed your project with this document and your verified "
        "company took the project over."
    ),
}
NOT_SHARED_CONDITION = _("Not fetched from shared data: every applicant uploads it.")


def shared_data_condition(doc_type: str) -> Promise:
    """The public statement of when the portal fetches `doc_type` itself."""
    return SHARED_DATA_CONDITIONS.get(DOCUMENT_RULES[doc_type].shared_from, NOT_SHARED_CONDITION)


@dataclass(frozen=True)
class SharedDocument:
    """A document the portal fetches itself for one applicant and project: the company's
    standing copy of what a department pushed with the project, or the registry's data."""

    doc_type: str
    source: str  # SharedFrom
    document: Document | None = None  # PROJECT_PUSH: the applicant's copy, linked at submission
    registry_record: CompanyRegistryRecord | None = None  # COMPANY_REGISTRY

    @property
    def condition(self) -> Promise:
        return SHARED_DATA_CONDITIONS[self.source]


def shared_document_sources(
    applicant: Organization, project: Project | None
) -> dict[str, SharedDocument]:
    """THE rule of 免证办, per document type: what the portal really fetches for `applicant`
    filing for `project` (two queries at most).

    - business licence: the applicant company is verified and the company registry pushed the
      data of its credit code;
    - documents a department pushed with the project (site plan, planning and construction
      permits, property right): the applicant's copy of them still stands (copy_stands_q).
    Anything else the applicant uploads or, where allowed, commits to."""
    found: dict[str, SharedDocument] = {}
    code = applicant.unified_social_credit_code
    if code:
        verified = CompanyIdentity.objects.filter(
            organization=applicant, status=VerificationStatus.VERIFIED
        )
        record = (
            CompanyRegistryRecord.objects.filter(credit_code=code).filter(Exists(verified)).first()
        )
        if record is not None:
            for doc_type, rule in DOCUMENT_RULES.items():
                if rule.shared_from == SharedFrom.COMPANY_REGISTRY:
                    found[doc_type] = SharedDocument(
                        doc_type, SharedFrom.COMPANY_REGISTRY, registry_record=record
                    )
    if (
        project is not None
        and project.source == ProjectSource.SHARED_DATA  # only a pushed project has copies
        and project.owner_id == applicant.pk
    ):
        pushed = [t for t, r in DOCUMENT_RULES.items() if r.shared_from == SharedFrom.PROJECT_PUSH]
        copies = (
            Document.objects.filter(
                owner=applicant,
                project=project,
                source=DocumentSource.SHARED_DATA,
                doc_type__in=pushed,
            )
            .filter(copy_stands_q())
            .order_by("doc_type", "-created_at", "-pk")
        )
        for document in copies:
            if document.doc_type not in found:
                found[document.doc_type] = SharedDocument(
                    document.doc_type, SharedFrom.PROJECT_PUSH, document=document
                )
    return {t: found[t] for t in DocumentType.values if t in found}


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
