"""`/api/v1/projects/{uuid}/documents/`: the department that pushed a project shares its
approval documents with it (免证办); whoever claims the project then needs no upload.

The only multipart endpoint of the API: the file is checked exactly as a portal upload is (by
content, size, sanitised name, SHA-256), by the same service code.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.parsers import PayloadTooLarge
from core.api.schema import problem_response
from core.api.views import AcceptLanguageMixin
from workgroups.api.auth import principal_of
from workgroups.api.idempotency import idempotent
from workgroups.api_tokens import ApiScope

from ..constants import DocumentSource, DocumentType, SharedFrom
from ..registry import DOCUMENT_RULES
from ..selectors.agency import project_documents_shared_by, projects_pushed_by
from ..services.documents import project_document_push

READ, WRITE = ApiScope.PROJECTS_READ.value, ApiScope.PROJECTS_WRITE.value
SHAREABLE_TYPES = [
    (doc_type.value, doc_type.label)
    for doc_type in DocumentType
    if DOCUMENT_RULES[doc_type].shared_from == SharedFrom.PROJECT_PUSH
]
# The multipart envelope (boundaries, headers, the doc_type field) around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class LimitedMultiPartParser(MultiPartParser):
    """Refuse a body clearly larger than the largest accepted document before reading it, and
    a file over the limit once read: both are 413, as docs/api.md says."""

    media_type = "multipart/form-data"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        limit = settings.DOCUMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
        try:
            too_large = bool(declared) and int(declared) > limit
        except ValueError as exc:
            raise ParseError(_("Invalid Content-Length header.")) from exc
        if too_large:
            raise _file_too_large()
        parsed = super().parse(stream, media_type, parser_context)
        # A file just over the limit fits in the envelope's allowance: the same 413 for it.
        if any(upload.size > settings.DOCUMENT_MAX_BYTES for upload in parsed.files.values()):
            raise _file_too_large()
        return parsed


def _file_too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The file is larger than %(mb)s MB.")
        % {"mb": settings.DOCUMENT_MAX_BYTES // (1024 * 1024)}
    )


class ProjectDocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=gettext_lazy(
            "A PDF, JPEG or PNG (checked by content, not by name), at most "
            "DOCUMENT_MAX_BYTES (20 MB by default)."
        ),
    )
    doc_type = serializers.ChoiceField(
        choices=SHAREABLE_TYPES,
        help_text=gettext_lazy("Which document it is; only types that may come from shared data."),
    )


class ProjectDocumentSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    original_name = serializers.CharField(help_text=gettext_lazy("The uploaded name, sanitised."))
    content_type = serializers.CharField(help_text=gettext_lazy("Detected from the content."))
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()
    source = serializers.ChoiceField(choices=DocumentSource.choices)
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "The stored file (token scope `projects:read`): what the applicant will get."
        )
    )

    def get_download_url(self, document) -> str:
        path = reverse("api:document-download", kwargs={"uuid": document.uuid})
        return self.context["request"].build_absolute_uri(path)


class ProjectDocumentsView(AcceptLanguageMixin, GenericAPIView):
    parser_classes = [LimitedMultiPartParser]
    serializer_class = ProjectDocumentSerializer
    pagination_class = None
    filter_backends = []
    required_scopes = {"get": READ, "post": WRITE}

    def _project(self, uuid):
        """The caller's pushed project; another department's answers like a missing one."""
        organization = principal_of(self.request).organization
        project = projects_pushed_by(organization=organization).filter(uuid=uuid).first()
        if project is None:
            raise NotFound(_("No such project."))
        return project

    @extend_schema(
        summary=gettext_lazy("List the documents you shared with a pushed project"),
        description=gettext_lazy(
            "The documents your department shared with the project, by type. An "
            "applicant company that claims the project gets them without uploading (marked "
            "`shared_data`)."
        ),
        responses={200: ProjectDocumentSerializer(many=True)},
    )
    def get(self, request, uuid):
        project = self._project(uuid)
        organization = principal_of(request).organization
        documents = project_documents_shared_by(organization=organization, project=project)
        return Response(self.get_serializer(documents, many=True).data)

    @extend_schema(
        summary=gettext_lazy("Share a document with a pushed project"),
        description=gettext_lazy(
            "Multipart form: `file` and `doc_type`. The approval documents of a "
            "project your department pushed (planning permit, land-use certificate, site "
            "plan, ...), so the applicant company that claims it uploads nothing (免证办); if it "
            "has claimed the project already, it gets the document at once. Only PDF, JPEG and "
            "PNG, recognised by their content; the same file sent again for the same type is "
            "stored once and answered with the stored document."
        ),
        request={"multipart/form-data": ProjectDocumentUploadSerializer},
        responses={
            201: ProjectDocumentSerializer,
            413: problem_response(gettext_lazy("The file is over the size limit.")),
            415: problem_response(gettext_lazy("The body is not multipart/form-data.")),
        },
    )
    @idempotent
    def post(self, request, uuid):
        project = self._project(uuid)
        command = ProjectDocumentUploadSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        document = project_document_push(
            actor=request.user,
            provider=principal_of(request).organization,
            project=project,
            doc_type=command.validated_data["doc_type"],
            upload=command.validated_data["file"],
        )
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)
