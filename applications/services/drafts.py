"""Drafts of a combined request: saved as typed, resumed later, submitted exactly once."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import NotFound, PermissionDenied, ValidationError
from workgroups.models import Organization, User
from workgroups.services import ensure_member

from ..constants import DocumentType
from ..models import CombinedApplication, CommitmentText, Document, Draft, Project
from ..registry import DOCUMENT_RULES, UTILITIES, documents_required
from ..selectors.commitments import commitment_text_current
from ..sharing import copy_stands_q, shared_document_sources
from .submission import SubmissionInput, combined_application_submit

DRAFT_KEYS = ("business_type", "utilities", "details", "commitments", "joint_outside_works")


def draft_is_empty(draft: Draft) -> bool:
    """Nothing typed yet (documents that came from shared data are not the applicant's doing)."""
    return not any(draft.data.get(key) for key in DRAFT_KEYS)


@transaction.atomic
def draft_create(*, actor: User, owner: Organization, project: Project) -> Draft:
    """A draft for `project`; an empty open draft of the same project is reused, so starting a
    request twice leaves one draft, not one per click."""
    ensure_member(actor, owner)
    if project.owner_id != owner.pk:
        raise PermissionDenied(_("This project belongs to another applicant."))
    # Two clicks at once wait for each other here, so the second finds the first one's draft.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    for draft in Draft.objects.filter(owner=owner, project=project, combined__isnull=True).order_by(
        "-updated_at"
    ):
        if draft_is_empty(draft):
            return draft
    # Documents that came with the project from shared data are provided already (免证办).
    documents = {
        doc_type: str(shared.document.uuid)
        for doc_type, shared in shared_document_sources(owner, project).items()
        if shared.document is not None
    }
    return Draft.objects.create(
        owner=owner, project=project, created_by=actor, data={}, documents=documents
    )


@transaction.atomic
def draft_save(*, actor: User, draft: Draft, data: dict, documents: dict[str, Document]) -> Draft:
    """Keep the form as typed (it may be incomplete) and the documents chosen so far."""
    ensure_member(actor, draft.owner)
    draft = Draft.objects.select_for_update().get(pk=draft.pk)
    if draft.combined_id is not None:
        raise ValidationError({"__all__": [_("This request has already been submitted.")]})
    unknown = set(data) - set(DRAFT_KEYS)
    if unknown:
        raise TypeError(f"unknown draft keys: {sorted(unknown)}")
    for doc_type, document in documents.items():
        if document.owner_id != draft.owner_id or document.doc_type != doc_type:
            raise ValidationError({f"documents.{doc_type}": [_("Not your document.")]})
    draft.data = data
    draft.documents = {doc_type: str(doc.uuid) for doc_type, doc in documents.items()}
    draft.save(update_fields=["data", "documents", "updated_at"])
    return draft


def draft_commitments(draft: Draft, documents: dict[str, Document]) -> list[str]:
    """The document types the draft signs a commitment for: allowed, needed by a picked
    utility and not provided by a document."""
    data = draft.data
    needed = documents_required([u for u in data.get("utilities") or [] if u in UTILITIES])
    return [
        doc_type
        for doc_type in data.get("commitments") or []
        if doc_type in needed
        and doc_type not in documents
        and DOCUMENT_RULES[doc_type].commitment_allowed
    ]


def submission_input(
    draft: Draft, documents: dict[str, Document], wording: CommitmentText | None = None
) -> SubmissionInput:
    """The service's input from a draft: only the picked utilities, each document once, each
    commitment in the words of `wording` (the version the applicant read)."""
    data = draft.data
    picked = list(data.get("utilities") or [])
    details = data.get("details") or {}
    commitments = {}
    if wording is not None:
        commitments = {
            doc_type: wording.statement(DocumentType(doc_type).label)
            for doc_type in draft_commitments(draft, documents)
        }
    return SubmissionInput(
        business_type=data.get("business_type") or "",
        utilities={utility: dict(details.get(utility) or {}) for utility in picked},
        documents=documents,
        commitments=commitments,
        joint_outside_works=bool(data.get("joint_outside_works")),
        client_token=draft.client_token,
        commitment_wording=wording if commitments else None,
    )


@transaction.atomic
def draft_submit(
    *, actor: User, draft: Draft, client_token: str, commitment_wording: int | None = None
) -> CombinedApplication:
    """Submit the draft through `combined_application_submit`; a replay returns the same request.

    A draft that signs commitments is submitted only with the id of the wording the applicant
    was shown (`commitment_wording`), and only while that wording is still in force: the
    request records the version it signed.
    """
    ensure_member(actor, draft.owner)
    draft = (
        Draft.objects.select_for_update().select_related("project__town", "owner").get(pk=draft.pk)
    )
    if str(draft.client_token) != str(client_token):
        raise ValidationError(
            {"__all__": [_("This page is out of date. Review the request again and submit.")]}
        )
    if draft.combined is not None:
        return draft.combined
    uuids = list(draft.documents.values())
    mine = Document.objects.filter(owner=draft.owner, uuid__in=uuids).filter(copy_stands_q())
    by_uuid = {str(d.uuid): d for d in mine}
    documents = {t: by_uuid[u] for t, u in draft.documents.items() if u in by_uuid}
    wording = None
    if draft_commitments(draft, documents):
        wording = commitment_text_current()
        if commitment_wording != wording.pk:
            raise ValidationError(
                {
                    "commitments": [
                        _(
                            "The commitment wording has changed since this page was shown: "
                            "read it again below, then submit."
                        )
                    ]
                }
            )
    combined = combined_application_submit(
        actor=actor,
        applicant=draft.owner,
        project=draft.project,
        data=submission_input(draft, documents, wording),
    )
    draft.combined = combined
    draft.save(update_fields=["combined", "updated_at"])
    return combined


@transaction.atomic
def draft_delete(*, actor: User, draft: Draft) -> None:
    ensure_member(actor, draft.owner)
    deleted, _count = Draft.objects.filter(pk=draft.pk, combined__isnull=True).delete()
    if not deleted:
        raise NotFound(_("No such draft."))
