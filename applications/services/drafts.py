"""Drafts of a combined request: saved as typed, resumed later, submitted exactly once."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import NotFound, PermissionDenied, ValidationError
from workgroups.models import Organization, User
from workgroups.services import ensure_member

from ..constants import DocumentType
from ..models import CombinedApplication, Document, Draft, Project
from ..registry import DOCUMENT_RULES
from ..sharing import copy_stands_q, shared_document_sources
from .submission import SubmissionInput, combined_application_submit

DRAFT_KEYS = ("business_type", "utilities", "details", "commitments", "joint_outside_works")


def commitment_statement(doc_type: str) -> str:
    return _(
        "We undertake that the information given is true and that we will provide the "
        "%(document)s before construction starts, accepting the consequences if we do not."
    ) % {"document": DocumentType(doc_type).label}


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


def submission_input(draft: Draft, documents: dict[str, Document]) -> SubmissionInput:
    """The service's input from a draft: only the picked utilities, each document once."""
    data = draft.data
    picked = list(data.get("utilities") or [])
    details = data.get("details") or {}
    commitments = {
        doc_type: commitment_statement(doc_type)
        for doc_type in data.get("commitments") or []
        if doc_type not in documents and doc_type in DOCUMENT_RULES
    }
    return SubmissionInput(
        business_type=data.get("business_type") or "",
        utilities={utility: dict(details.get(utility) or {}) for utility in picked},
        documents=documents,
        commitments=commitments,
        joint_outside_works=bool(data.get("joint_outside_works")),
        client_token=draft.client_token,
    )


@transaction.atomic
def draft_submit(*, actor: User, draft: Draft, client_token: str) -> CombinedApplication:
    """Submit the draft through `combined_application_submit`; a replay returns the same request."""
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
    combined = combined_application_submit(
        actor=actor,
        applicant=draft.owner,
        project=draft.project,
        data=submission_input(draft, documents),
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
