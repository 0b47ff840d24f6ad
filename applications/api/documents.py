"""`/api/v1/documents/{uuid}/download/`: the file, streamed, to whoever may see it.

Whoever may see an application linked to the document may download it (its operator, the
permit agencies deciding on it, the workgroup leads), and so may its owner: the applicant, or
the department that shared it with a pushed project. Anyone else gets 404, exactly as for a
document that does not exist.
"""

from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.views import APIView

from core.api.views import AcceptLanguageMixin
from workgroups.access_log import record_access
from workgroups.api.auth import principal_of
from workgroups.api_tokens import ApiScope
from workgroups.constants import AccessKind

from ..selectors.common import document_for_user

# A token needs one of these; a browser session is checked on the object alone (an applicant
# downloads its own documents).
READ_SCOPES = (
    ApiScope.WORK_ITEMS_READ.value,
    ApiScope.PERMITS_READ.value,
    ApiScope.PROJECTS_READ.value,
)
_FILE = OpenApiResponse(
    OpenApiTypes.BINARY, description=gettext_lazy("The file, as an attachment.")
)


class DocumentDownloadView(AcceptLanguageMixin, APIView):
    required_scopes = {"get": None}
    token_scopes = {"get": READ_SCOPES}  # checked in `get`, for tokens only

    def perform_content_negotiation(self, request, force=False):
        # The file is not rendered; errors fall back to JSON whatever Accept says.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary=gettext_lazy("Download a document"),
        description=gettext_lazy(
            "Streams the stored file with its original name. Linked from the "
            "`documents` of a work item or permit, and of a project your department shared "
            "documents with.\n\nToken scope: `work_items:read`, `permits:read` or "
            "`projects:read`."
        ),
        responses={
            (200, "application/pdf"): _FILE,
            (200, "image/jpeg"): _FILE,
            (200, "image/png"): _FILE,
        },
    )
    def get(self, request, uuid):
        principal = principal_of(request)
        if principal.token is not None and not set(READ_SCOPES) & principal.scopes:
            raise PermissionDenied(
                _("This needs the scope %(scope)s for your organisation.")
                % {"scope": " or ".join(READ_SCOPES)}
            )
        document = document_for_user(user=request.user, uuid=uuid)
        if document is None or not document.file:
            raise NotFound(_("No such document."))
        record_access(request, kind=AccessKind.DOCUMENT, subjects=[document.uuid])
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name or f"{document.sha256}{document.extension}",
            content_type=document.content_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
