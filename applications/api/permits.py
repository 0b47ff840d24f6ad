"""`/api/v1/permits/`: a permit agency lists and decides its outside-line permits."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.pagination import UpdatedCursorPagination
from core.api.schema import ERRORS, problem_response
from workgroups.access_log import record_access
from workgroups.api.idempotency import idempotent
from workgroups.api.viewsets import OrganizationScopedViewSet
from workgroups.api_tokens import ApiScope
from workgroups.constants import AccessKind

from ..constants import PermitStatus, PermitType, ServiceStatus, Utility
from ..models import PermitRequest
from ..selectors.agency import permits_for_agency
from ..services import permit_request_decide
from ..workflow import PERMIT, PERMIT_DECISIONS, input_fields
from .filters import PermitFilter
from .serializers import DocumentSerializer, ProjectSummarySerializer

READ, WRITE = ApiScope.PERMITS_READ.value, ApiScope.PERMITS_WRITE.value


class PermitApplicationSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy("The application the permit is for: read-only context for the agency.")

    uuid = serializers.UUIDField()
    reference = serializers.CharField(source="combined.reference", allow_null=True)
    utility = serializers.ChoiceField(choices=Utility.choices)
    status = serializers.ChoiceField(choices=ServiceStatus.choices)
    operator = serializers.CharField(source="operator.name_zh")
    project = ProjectSummarySerializer(source="combined.project")
    survey_result = serializers.CharField()
    plan = serializers.CharField()
    required_permits = serializers.ListField(child=serializers.ChoiceField(PermitType.choices))
    documents = DocumentSerializer(source="document_links", many=True)


class PermitSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    url = serializers.HyperlinkedIdentityField(view_name="api:permit-detail", lookup_field="uuid")
    permit_type = serializers.ChoiceField(choices=PermitType.choices)
    status = serializers.ChoiceField(choices=PermitStatus.choices)
    round = serializers.IntegerField(
        help_text=gettext_lazy("Raised each time a returned permit is re-filed.")
    )
    issued_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    updated_at = serializers.DateTimeField()
    application = PermitApplicationSerializer(source="service_application")


class PermitDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(d, d) for d in PERMIT_DECISIONS])
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=input_fields(PERMIT)["reason"].max_length,
        default="",
        help_text=gettext_lazy("Required to return or reject; optional to approve."),
    )


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List the agency's permit requests"),
        description=gettext_lazy("Outside-line permits your agency decides, oldest change first."),
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get one permit request")),
)
class PermitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    queryset_model = PermitRequest
    serializer_class = PermitSerializer
    pagination_class = UpdatedCursorPagination
    filterset_class = PermitFilter
    required_scopes = {"list": READ, "retrieve": READ, "transitions": WRITE}

    def selector(self):
        return permits_for_agency(organization=self.organization)

    def _record_read(self, permits) -> None:
        """Each permit carries its application (project, plan, the applicant's documents): a
        read of those cases, one access-log row for the whole page."""
        record_access(
            self.request,
            kind=AccessKind.CASE,
            subjects=[p.service_application.uuid for p in permits],
            cases=[
                (p.service_application.combined.uuid, p.service_application.combined.reference)
                for p in permits
            ],
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page:
            self._record_read(page)
        return page

    def retrieve(self, request, *args, **kwargs):
        permit = self.get_object()
        self._record_read([permit])
        return Response(self.get_serializer(permit).data)

    @extend_schema(
        summary=gettext_lazy("Decide a permit request"),
        description=gettext_lazy(
            "`approve`, `return_to_applicant` or `reject` (the last two with a "
            "`reason`). When the last permit of an application is approved, the application "
            "moves on to construction by itself."
        ),
        request=PermitDecisionSerializer,
        responses={200: PermitSerializer, 409: problem_response(ERRORS[409])},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def transitions(self, request, uuid=None):
        permit = self.get_object()
        command = PermitDecisionSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        permit_request_decide(
            actor=request.user,
            permit_request=permit,
            decision=command.validated_data["decision"],
            data={"reason": command.validated_data["reason"]},
        )
        return Response(self.get_serializer(self.get_object()).data)
