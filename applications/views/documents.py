"""Documents are private: served only through these views, to users allowed to see them."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from workgroups.access_log import record_access
from workgroups.constants import AccessKind

from ..models import Document
from ..selectors.common import document_for_user
from ..selectors.staff import document_for_identity_review, document_for_oversight, staff_scope

# Types a browser may show in place. Uploads are sniffed to PDF, PNG or JPEG when stored; anything
# else (older rows, future types) is only ever sent as an attachment.
INLINE_CONTENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


def _visible_document(request: HttpRequest, uuid) -> Document:
    """The owner (view_document), anyone who may view an application the document is linked
    to (operator, lead agency, permit agency), the leadership bodies, who read every
    submitted case, or the staff reviewing a business licence sent to them. Anyone else gets a
    404, never a hint."""
    document = document_for_user(user=request.user, uuid=uuid)
    if document is None:
        document = document_for_oversight(scope=staff_scope(user=request.user), uuid=uuid)
    if document is None:
        document = document_for_identity_review(user=request.user, uuid=uuid)
    if document is None or not document.file:
        raise Http404
    # Staff reads are logged; the applicant's of its own documents are not (the log's rule).
    record_access(request, kind=AccessKind.DOCUMENT, subjects=[document.uuid])
    return document


def private_file_response(document: Document, *, inline: bool) -> FileResponse:
    """A private file as its own response: sanitised name, sniffed type, no caching, no
    script. Any stored upload with `file`, `original_name`, `extension` and `content_type`
    (documents, demand attachments) is served through here."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=not inline,
        # Already sanitised when stored (no path, no control or quote characters).
        filename=document.original_name or f"document{document.extension}",
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # The file never runs as a page of this site; shown in place, only the staff site's own
    # pages may frame it (the case page's preview panel).
    policy = "default-src 'none'; sandbox"
    response["Content-Security-Policy"] = policy + ("; frame-ancestors 'self'" if inline else "")
    return response


@require_GET
@login_required
def document_download(request: HttpRequest, uuid) -> FileResponse:
    return private_file_response(_visible_document(request, uuid), inline=False)


@require_GET
@login_required
@xframe_options_sameorigin
def document_inline(request: HttpRequest, uuid) -> FileResponse:
    """The same file and the same check, shown in the browser (preview) when it is a PDF or
    an image; any other type is still sent as an attachment."""
    document = _visible_document(request, uuid)
    return private_file_response(document, inline=document.content_type in INLINE_CONTENT_TYPES)
