"""A company sends its business licence for review (workgroups/identity.py decides who
reviews and what a decision does); the licence is a document of its library, stored once."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ValidationError
from workgroups.identity import company_review_request
from workgroups.models import Organization, User

from ..constants import DocumentType
from ..models import Document, LicenceReview
from .documents import document_store


@transaction.atomic
def licence_review_request(
    *,
    actor: User,
    organization: Organization,
    upload: UploadedFile | None = None,
    document: Document | None = None,
) -> LicenceReview:
    """A manager of the company sends a business licence (a new upload, or one from its
    library) to the company registry's staff; the company waits for their review."""
    if upload is not None:
        document = document_store(
            actor=actor, owner=organization, doc_type=DocumentType.BUSINESS_LICENCE, upload=upload
        )
    if document is None:
        raise ValidationError({"file": _("Upload the business licence (PDF, JPEG or PNG).")})
    if document.owner_id != organization.pk or document.doc_type != DocumentType.BUSINESS_LICENCE:
        raise ValidationError({"document": _("Choose one of your company's business licences.")})
    company_review_request(actor=actor, organization=organization)
    return LicenceReview.objects.create(
        organization=organization, document=document, requested_by=actor
    )
