"""Documents are private: served only through this view, to users allowed to see them."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from ..selectors import document_for_user


@require_GET
@login_required
def document_download(request: HttpRequest, uuid) -> FileResponse:
    """The owner (view_document) or anyone who may view an application the document is linked
    to (operator, lead agency, permit agency). Anyone else gets a 404, never a hint."""
    document = document_for_user(user=request.user, uuid=uuid)
    if document is None or not document.file:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        # Already sanitised when stored (no path, no control or quote characters).
        filename=document.original_name or f"document{document.extension}",
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
