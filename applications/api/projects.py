"""`/api/v1/projects/`: a data-providing department pushes project master data (免证办)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.pagination import UpdatedCursorPagination
from workgroups.api.auth import principal_of
from workgroups.api.idempotency import idempotent, shown_once
from workgroups.api.serializers import TownSerializer
from workgroups.api.viewsets import OrganizationScopedViewSet
from workgroups.api_tokens import ApiScope

from ..constants import ClaimAction, ProjectKind, ProjectSource, WorksType
from ..models import Project
from ..selectors.agency import projects_pushed_by
from ..services.claims import project_reassign
from ..services.projects import project_push
from .filters import ProjectFilter

READ, WRITE = ApiScope.PROJECTS_READ.value, ApiScope.PROJECTS_WRITE.value


OWNER_CODE_HELP = gettext_lazy(
    "The owner's unified social credit code (统一社会信用代码): only the applicant company "
    "verified as holding it may claim the project. Required unless `issue_claim_code` is true."
)


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
    owner_credit_code = serializers.CharField(
        max_length=22, required=False, allow_blank=True, default="", help_text=OWNER_CODE_HELP
    )
    issue_claim_code = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy(
            "Instead of `owner_credit_code`: the answer carries a claim code, once, that "
            "you hand to the owner; single-use, valid PROJECT_CLAIM_CODE_TTL_DAYS (30 days)."
        ),
    )


class ProjectOwnerSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    unified_social_credit_code = serializers.CharField()


class ProjectClaimEventSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ClaimAction.choices)
    owner = ProjectOwnerSerializer(
        allow_null=True, help_text=gettext_lazy("Who holds it after this.")
    )
    previous_owner = ProjectOwnerSerializer(allow_null=True)
    owner_credit_code = serializers.CharField(help_text=gettext_lazy("The credit code named then."))
    reason = serializers.CharField()
    at = serializers.DateTimeField()


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
    owner_credit_code = serializers.CharField(
        help_text=gettext_lazy(
            "The credit code you named the owner by (empty when a claim code names it)."
        )
    )
    claimed = serializers.SerializerMethodField(
        help_text=gettext_lazy("An applicant company has taken the project over.")
    )
    owner = ProjectOwnerSerializer(
        allow_null=True,
        help_text=gettext_lazy("The company that claimed the project (null until then)."),
    )
    claimed_at = serializers.DateTimeField(allow_null=True)
    claim_code_expires_at = serializers.DateTimeField(
        allow_null=True,
        help_text=gettext_lazy("While a claim code you were given waits to be used."),
    )
    claim_history = ProjectClaimEventSerializer(
        source="claim_events",
        many=True,
        help_text=gettext_lazy("Pushed, claimed, reassigned: oldest first."),
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_claimed(self, project) -> bool:
        return project.owner_id is not None


class ProjectPushedSerializer(ProjectSerializer):
    claim_code = serializers.CharField(
        source="issued_claim_code",
        allow_null=True,
        help_text=gettext_lazy(
            "The claim code you asked for, in this answer only (only a keyed hash is kept): "
            "hand it to the owner. null when you named the owner by credit code, and in a "
            "replayed answer (Idempotency-Key), which says `claim_code_redacted: true`: "
            "reassign with `issue_claim_code` for a new one."
        ),
    )


class ProjectReassignSerializer(serializers.Serializer):
    owner_credit_code = serializers.CharField(
        max_length=22, required=False, allow_blank=True, default="", help_text=OWNER_CODE_HELP
    )
    issue_claim_code = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("Name the owner by a new claim code instead."),
    )
    reason = serializers.CharField(
        max_length=2000,
        help_text=gettext_lazy("Why: recorded, and told to the company that loses it."),
    )


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List the projects your department pushed"),
        description=gettext_lazy(
            "Oldest change first; `claimed` and `owner` tell whether and which "
            "applicant company took it over, `claim_history` how."
        ),
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get one pushed project")),
    create=extend_schema(
        summary=gettext_lazy("Push a project"),
        description=gettext_lazy(
            "Creates the project from shared data, without an owner. Name the owner: "
            "`owner_credit_code`, so that only the applicant company verified as holding that "
            "code finds and claims it (to anyone else its code answers like a code nobody "
            "pushed), or `issue_claim_code: true` for a single-use claim code, shown once in "
            "this answer, that you hand to the owner. The company then does not type the "
            "project again, and gets the documents you share with it. A code that exists "
            "already is a 400 on `code`; neither or both ways of naming the owner, a 400 on "
            "`owner_credit_code`."
        ),
        request=ProjectPushSerializer,
        responses={201: ProjectPushedSerializer},
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
    required_scopes = {"list": READ, "retrieve": READ, "create": WRITE, "reassign": WRITE}

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
        return _shown_once(self, project, project.issued_claim_code, status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Reassign a pushed project"),
        description=gettext_lazy(
            "For a project claimed by the wrong company, or to name its owner again: "
            "the company that claimed it loses the project and the documents you shared with "
            "it at once and is told your `reason`; the project waits, unclaimed, for the "
            "company you name now (`owner_credit_code`; it is told if verified) or for whoever "
            "presents a new claim code (`issue_claim_code: true`, in this answer only). "
            "Recorded in `claim_history`."
        ),
        request=ProjectReassignSerializer,
        responses={200: ProjectPushedSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    @idempotent
    def reassign(self, request, uuid=None):
        command = ProjectReassignSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        result = project_reassign(
            actor=request.user,
            organization=principal_of(request).organization,
            project=self.get_object(),
            **command.validated_data,
        )
        return _shown_once(self, result.project, result.claim_code, status.HTTP_200_OK)


def _shown_once(view, project, claim_code: str | None, code: int) -> Response:
    project = view.get_queryset().get(pk=project.pk)
    project.issued_claim_code = claim_code
    shown = ProjectPushedSerializer(project, context=view.get_serializer_context()).data
    return shown_once(Response(shown, status=code), "claim_code")
