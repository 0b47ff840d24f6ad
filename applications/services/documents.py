"""Documents: checked by content and size, stored once per owner by SHA-256."""

import hashlib
import re
import unicodedata

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from workgroups.models import Organization, User

from ..constants import DocumentType
from ..errors import ValidationError
from ..models import Document
from ..permissions import grant_document
from .projects import ensure_member

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


@transaction.atomic
def document_store(
    *, actor: User, owner: Organization, doc_type: str, upload: UploadedFile
) -> Document:
    """Store an uploaded document, or return the identical one the owner already has."""
    ensure_member(actor, owner)
    if doc_type not in DocumentType.values:
        raise ValidationError({"doc_type": _("Unknown document type.")})
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}}
        )
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    upload.seek(0)
    sniffed = sniff_content_type(upload.read(16))
    if sniffed is None:
        raise ValidationError({"file": _("Only PDF, JPEG and PNG files are accepted.")})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    sha256 = digest.hexdigest()

    existing = Document.objects.filter(owner=owner, doc_type=doc_type, sha256=sha256).first()
    if existing is not None:
        return existing
    content_type, extension = sniffed
    document = Document(
        owner=owner,
        doc_type=doc_type,
        original_name=sanitize_filename(upload.name or ""),
        content_type=content_type,
        extension=extension,
        size_bytes=upload.size,
        sha256=sha256,
        uploaded_by=actor,
    )
    upload.seek(0)
    document.file.save(f"{sha256}{extension}", upload, save=False)
    document.save()
    grant_document(document)
    return document
