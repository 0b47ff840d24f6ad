"""`/api/v1/projects/`: a data-providing department pushes project master data (免证办)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from core.api.pagination import UpdatedCursorPagination
from workgroups.api.auth import principal_of
from workgroups.api.idempotency import idempotent
from workgroups.api.serializers import TownSerializer
from workgroups.api.viewsets import OrganizationScopedViewSet
from workgroups.api_tokens import ApiScope

from ..constants import ProjectKind, ProjectSource, WorksType
from ..models import Project
from ..selectors.agency import projects_pushed_by
from ..services.projects import project_push
from .filters import ProjectFilter

READ, WRITE = ApiScope.PROJECTS_READ.value, ApiScope.PROJECTS_WRITE.value


class ProjectPushSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=40,
        help_text=gettext_lazy("The code from the construction project approval system."),
    )
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ProjectKind.choices)
    works_type = serializers.ChoiceField(choices=WorksType.choices)
    address = serializers.CharField(max_length=300)
    town = serializers.CharField(
        max_length=40, help_text=gettext_lazy("Town code, e.g. `xiaolan`.")
    )
    floor_area_m2 = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    planned_start = serializers.DateField(required=False, allow_null=True)


class ProjectSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    url = serializers.HyperlinkedIdentityField(view_name="api:project-detail", lookup_field="uuid")
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProjectKind.choices)
    works_type = serializers.ChoiceField(choices=WorksType.choices)
    address = serializers.CharField()
    town = TownSerializer()
    floor_area_m2 = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    planned_start = serializers.DateField(allow_null=True)
    source = serializers.ChoiceField(choices=ProjectSource.choices)
    claimed = serializers.SerializerMethodField(
        help_text=gettext_lazy("An applicant company has taken the project over.")
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_claimed(self, project) -> bool:
        return project.owner_id is not None


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List the projects your department pushed"),
        description=gettext_lazy(
            "Oldest change first; `claimed` tells whether an applicant took it over."
        ),
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get one pushed project")),
    create=extend_schema(
        summary=gettext_lazy("Push a project"),
        description=gettext_lazy(
            "Creates the project from shared data, without an owner: the applicant "
            "company later finds it by its code and does not type it again. A code that exists "
            "already is a 400 on `code`."
        ),
        request=ProjectPushSerializer,
        responses={201: ProjectSerializer},
    ),
)
class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    OrganizationScopedViewSet,
):
    queryset_model = Project
    serializer_class = ProjectSerializer
    pagination_class = UpdatedCursorPagination
    filterset_class = ProjectFilter
    required_scopes = {"list": READ, "retrieve": READ, "create": WRITE}

    def selector(self):
        return projects_pushed_by(organization=self.organization)

    @idempotent
    def create(self, request, *args, **kwargs):
        command = ProjectPushSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        fields = dict(command.validated_data)
        project = project_push(
            actor=request.user,
            organization=principal_of(request).organization,
            code=fields.pop("code"),
            town_code=fields.pop("town"),
            **fields,
        )
        body = self.get_serializer(project).data
        return Response(body, status=status.HTTP_201_CREATED)
