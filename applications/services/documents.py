"""Documents: checked by content and size, stored once per owner by SHA-256."""

import hashlib
import re
import unicodedata

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import PermissionDenied, ValidationError
from workgroups.models import Organization, User
from workgroups.services import ensure_member

from ..constants import DocumentSource, DocumentType, ProjectSource, SharedFrom
from ..models import Document, Project
from ..permissions import grant_document
from ..registry import DOCUMENT_RULES

# Magic numbers of the accepted formats: the content decides, never the file name.
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


def sniff_content_type(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, extension in _SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


def sanitize_filename(name: str) -> str:
    """A display name safe to show and to send in Content-Disposition."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*]", "", name).strip(" .")
    return name[:150] or "document"


def upload_checked(upload: UploadedFile, *, field: str = "file") -> tuple[str, str, str, int]:
    """Size and content checks; the SHA-256, content type, extension and size of a valid
    upload. Every upload of the portal goes through here (documents, demand attachments);
    errors are keyed by `field`."""
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            {field: _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}}
        )
    if upload.size == 0:
        raise ValidationError({field: _("The file is empty.")})
    upload.seek(0)
    sniffed = sniff_content_type(upload.read(16))
    if sniffed is None:
        raise ValidationError({field: _("Only PDF, JPEG and PNG files are accepted.")})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest(), *sniffed, upload.size


def _save_new(document: Document, upload: UploadedFile) -> Document:
    document.file.save(f"{document.sha256}{document.extension}", upload, save=False)
    document.save()
    grant_document(document)
    return document


@transaction.atomic
def document_store(
    *, actor: User, owner: Organization, doc_type: str, upload: UploadedFile
) -> Document:
    """Store an uploaded document, or return the identical one the owner already has."""
    ensure_member(actor, owner)
    if doc_type not in DocumentType.values:
        raise ValidationError({"doc_type": _("Unknown document type.")})
    sha256, content_type, extension, size = upload_checked(upload)
    existing = Document.objects.filter(
        owner=owner, doc_type=doc_type, sha256=sha256, project__isnull=True
    ).first()
    if existing is not None:
        return existing
    document = Document(
        owner=owner,
        doc_type=doc_type,
        original_name=sanitize_filename(upload.name or ""),
        content_type=content_type,
        extension=extension,
        size_bytes=size,
        sha256=sha256,
        uploaded_by=actor,
    )
    return _save_new(document, upload)


@transaction.atomic
def project_document_share(
    *, provider: Organization, project: Project, doc_type: str, upload: UploadedFile
) -> Document:
    """A department shares a document (an approval, a permit, a site plan) with the project it
    pushed; whoever claims the project gets it without uploading (免证办)."""
    if project.source != ProjectSource.SHARED_DATA or project.source_organization_id != provider.pk:
        raise PermissionDenied(
            _("Only the department that pushed the project shares its documents.")
        )
    if (
        doc_type not in DocumentType.values
        or DOCUMENT_RULES[doc_type].shared_from != SharedFrom.PROJECT_PUSH
    ):
        raise ValidationError({"doc_type": _("This document cannot come from shared data.")})
    sha256, content_type, extension, size = upload_checked(upload)
    same_file = Document.objects.filter(owner=provider, doc_type=doc_type, sha256=sha256)
    existing = same_file.filter(project=project).first()
    if existing is not None:
        return existing
    existing = same_file.first()
    document = Document(
        owner=provider,
        project=project,
        doc_type=doc_type,
        original_name=sanitize_filename(upload.name or ""),
        content_type=content_type,
        extension=extension,
        size_bytes=size,
        sha256=sha256,
        source=DocumentSource.SHARED_DATA,
        source_organization=provider,
    )
    if existing is not None:  # the same file shared for another project: one file on disk
        document.file.name = existing.file.name
        document.save()
        grant_document(document)
        return document
    return _save_new(document, upload)


def shared_documents_adopt(*, owner: Organization, project: Project) -> list[Document]:
    """Give the project's new owner its own copy (same stored file) of every document the
    department shared with the project, marked as coming from shared data."""
    adopted = []
    for shared in Document.objects.filter(project=project, source=DocumentSource.SHARED_DATA):
        if shared.owner_id == owner.pk:
            continue
        copy, created = Document.objects.get_or_create(
            owner=owner,
            doc_type=shared.doc_type,
            sha256=shared.sha256,
            project=project,
            defaults={
                "file": shared.file.name,
                "original_name": shared.original_name,
                "content_type": shared.content_type,
                "extension": shared.extension,
                "size_bytes": shared.size_bytes,
                "source": DocumentSource.SHARED_DATA,
                "source_organization": shared.source_organization,
            },
        )
        if created:
            grant_document(copy)
        adopted.append(copy)
    return adopted


@transaction.atomic
def project_document_push(
    *, actor: User, provider: Organization, project: Project, doc_type: str, upload: UploadedFile
) -> Document:
    """A member of the department (its API token) shares a document with the project it
    pushed. If an applicant has claimed the project already, it gets its copy at once too;
    otherwise it gets it when it claims the project."""
    ensure_member(actor, provider)
    project = Project.objects.select_for_update().get(pk=project.pk)  # serialised with a claim
    document = project_document_share(
        provider=provider, project=project, doc_type=doc_type, upload=upload
    )
    if document.uploaded_by_id is None:
        document.uploaded_by = actor
        document.save(update_fields=["uploaded_by"])
    if project.owner is not None:
        shared_documents_adopt(owner=project.owner, project=project)
    return document
