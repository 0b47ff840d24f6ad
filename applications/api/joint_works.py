"""`/api/v1/joint-works/`: operators follow and act on the joint works plans they take part in
(联合施工), find open plans near their work (`?near=`) and join one; `/api/v1/road-works/`:
departments (城管, 交通) push their road works plans (协同开挖)."""

import django_filters
from django.conf import settings
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.filters import ChangedAfterFilter, StrictFilterSet
from core.api.pagination import UpdatedCursorPagination
from core.api.schema import ERRORS, problem_response
from core.errors import NotFound, ValidationError
from workgroups.api.auth import principal_of
from workgroups.api.idempotency import idempotent
from workgroups.api.viewsets import OrganizationScopedViewSet
from workgroups.api_tokens import ApiScope

from ..constants import JointWorksStatus, PermitStatus, PermitType, Utility
from ..geometry import point_clean
from ..models import JointWorksPlan, RoadWorksPlan
from ..selectors.joint_works import (
    joint_works_for_operator,
    joint_works_joinable,
    joint_works_open_near,
    joint_works_overlapping,
    road_works_for_source,
)
from ..selectors.operator import work_items_for_operator
from ..services.joint_works import (
    joint_works_plan_act,
    joint_works_plan_join,
    road_works_plan_record,
)
from ..transition_inputs import MAX_WINDOW_WORKING_DAYS
from ..workflow import COMMENT_MAX_LENGTH, JOINT_WORKS_ACTIONS, transitions_available

READ, WRITE = ApiScope.WORK_ITEMS_READ.value, ApiScope.WORK_ITEMS_WRITE.value
SIGNALS_READ = ApiScope.DEMAND_SIGNALS_READ.value
SIGNALS_WRITE = ApiScope.DEMAND_SIGNALS_WRITE.value
MAX_NEAR_METRES = 20_000


class JointWorksParticipantSerializer(serializers.Serializer):
    operator = serializers.CharField(source="operator.code")
    operator_name = serializers.CharField(source="operator.name_zh")
    utility = serializers.ChoiceField(source="service_application.utility", choices=Utility.choices)
    work_item = serializers.UUIDField(source="service_application.uuid")
    active = serializers.BooleanField(help_text=gettext_lazy("False once the operator left."))
    confirmed_at = serializers.DateTimeField(allow_null=True)
    left_at = serializers.DateTimeField(allow_null=True)
    leave_reason = serializers.CharField()
    installed_at = serializers.DateTimeField(allow_null=True)


class JointPermitSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    permit_type = serializers.ChoiceField(choices=PermitType.choices)
    status = serializers.ChoiceField(choices=PermitStatus.choices)
    round = serializers.IntegerField()
    agency = serializers.CharField(source="agency.code")
    due_at = serializers.DateTimeField(allow_null=True)


class JointWorksSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api:joint-works-detail", lookup_field="uuid"
    )
    status = serializers.ChoiceField(choices=JointWorksStatus.choices)
    project_code = serializers.CharField(source="project.code")
    project_name = serializers.CharField(source="project.name")
    lead_operator = serializers.CharField(source="lead_operator.code")
    road_name = serializers.CharField()
    road_segment = serializers.CharField()
    route_description = serializers.CharField()
    route = serializers.JSONField(
        allow_null=True, help_text=gettext_lazy("GeoJSON LineString, WGS84 [lon, lat].")
    )
    window_start = serializers.DateField()
    window_working_days = serializers.IntegerField()
    window_end = serializers.DateField()
    locked_at = serializers.DateTimeField(allow_null=True)
    excavation_started_at = serializers.DateTimeField(allow_null=True)
    backfilled_at = serializers.DateTimeField(allow_null=True)
    restored_on = serializers.DateField(allow_null=True)
    reason = serializers.CharField()
    warnings = serializers.JSONField(
        help_text=gettext_lazy("Moratoriums on recently restored roads the plan touches.")
    )
    participants = JointWorksParticipantSerializer(many=True)
    permits = JointPermitSerializer(many=True)
    updated_at = serializers.DateTimeField()


class JointWorksDetailSerializer(JointWorksSerializer):
    transitions_available = serializers.SerializerMethodField()
    overlapping = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "Other open plans and departments' road works on the same road or within the "
            "overlap distance, at the same time: offers to dig once."
        )
    )

    def get_transitions_available(self, plan) -> list[str]:
        return transitions_available(actor=self.context["request"].user, obj=plan)

    def get_overlapping(self, plan) -> list[dict]:
        return joint_works_overlapping(plan=plan)


class JointWorksNearSerializer(serializers.Serializer):
    """An open plan near a point: what another operator needs to decide whether to join."""

    uuid = serializers.UUIDField()
    status = serializers.ChoiceField(choices=JointWorksStatus.choices)
    lead_operator = serializers.CharField(source="lead_operator.code")
    road_name = serializers.CharField()
    road_segment = serializers.CharField()
    route = serializers.JSONField(allow_null=True)
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    distance_metres = serializers.FloatField()
    utilities = serializers.SerializerMethodField()

    def get_utilities(self, plan) -> list[str]:
        return sorted({p.service_application.utility for p in plan.participants.all() if p.active})


class JointWorksNearPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = JointWorksNearSerializer(many=True)


class JointWorksTransitionSerializer(serializers.Serializer):
    __doc__ = gettext_lazy("An action on the plan and the input it takes (docs/joint-works.md).")

    transition = serializers.ChoiceField(choices=[(t, t) for t in JOINT_WORKS_ACTIONS])
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, default=""
    )
    window_start = serializers.DateField(
        required=False, help_text=gettext_lazy("propose_window: a working day, not past.")
    )
    window_working_days = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_WINDOW_WORKING_DAYS
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=gettext_lazy("leave (required); propose_window (optional)."),
    )
    lead_operator = serializers.CharField(
        required=False, max_length=40, help_text=gettext_lazy("change_lead: an operator code.")
    )
    restored_on = serializers.DateField(
        required=False, help_text=gettext_lazy("restore (required): the day the road was restored.")
    )

    def action_data(self) -> dict:
        return {
            key: value
            for key, value in self.validated_data.items()
            if key not in ("transition", "comment")
        }


class JoinSerializer(serializers.Serializer):
    work_item = serializers.UUIDField(
        help_text=gettext_lazy("Your work item whose outside-line works join the trench.")
    )


class JointWorksFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=JointWorksStatus.choices)
    updated_after = ChangedAfterFilter()


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List joint works plans"),
        description=gettext_lazy(
            "The plans your organisation takes part in, oldest change first. With "
            "`near=<lon>,<lat>` (and `within=<metres>`): open plans of any operator whose route "
            "passes near that point, nearest first, to join one."
        ),
        parameters=[
            OpenApiParameter(
                "near",
                str,
                description=gettext_lazy("A point as <longitude>,<latitude> (WGS84)."),
            ),
            OpenApiParameter(
                "within",
                float,
                description=gettext_lazy("Radius in metres, 1 to 20000 (default 1000)."),
            ),
        ],
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("Get one joint works plan"),
        responses=JointWorksDetailSerializer,
    ),
)
class JointWorksViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet
):
    queryset_model = JointWorksPlan
    serializer_class = JointWorksSerializer
    pagination_class = UpdatedCursorPagination
    filterset_class = JointWorksFilter
    required_scopes = {"list": READ, "retrieve": READ, "transitions": WRITE, "join": WRITE}

    def selector(self):
        if self.action == "join":
            return joint_works_joinable()
        return joint_works_for_operator(organization=self.organization)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return JointWorksDetailSerializer
        return JointWorksSerializer

    def list(self, request, *args, **kwargs):
        near = request.query_params.get("near")
        if near is None:
            return super().list(request, *args, **kwargs)
        point = point_clean(near)
        within = _within(request.query_params.get("within"))
        plans = joint_works_open_near(organization=self.organization, point=point, within=within)
        page = {"next": None, "previous": None, "results": plans[:100]}
        return Response(JointWorksNearPageSerializer(page).data)

    @extend_schema(
        summary=gettext_lazy("Act on a joint works plan"),
        description=gettext_lazy(
            "`confirm`, `propose_window` (`window_start`, `window_working_days`), `leave` "
            "(`reason`), `report_installed`; the lead operator: `start_excavation`, `backfill` "
            "(refused until every operator reported its conduit in), `restore` (`restored_on`)."
        ),
        request=JointWorksTransitionSerializer,
        responses={200: JointWorksDetailSerializer, 409: problem_response(ERRORS[409])},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def transitions(self, request, uuid=None):
        plan = self.get_object()
        command = JointWorksTransitionSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        joint_works_plan_act(
            actor=request.user,
            plan=plan,
            action=command.validated_data["transition"],
            data=command.action_data(),
            comment=command.validated_data["comment"],
        )
        return Response(self._detail(plan))

    @extend_schema(
        summary=gettext_lazy("Join an open joint works plan"),
        description=gettext_lazy(
            "Bring one of your work items (plan issued, with outside-line works, in no other "
            "plan) into a plan still being agreed, e.g. one found with `?near=`."
        ),
        request=JoinSerializer,
        responses={200: JointWorksDetailSerializer, 409: problem_response(ERRORS[409])},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def join(self, request, uuid=None):
        plan = self.get_object()
        command = JoinSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        item = (
            work_items_for_operator(organization=self.organization)
            .filter(uuid=command.validated_data["work_item"])
            .first()
        )
        if item is None:
            raise NotFound(str(gettext_lazy("No such work item.")))
        joint_works_plan_join(actor=request.user, plan=plan, service_application=item)
        return Response(self._detail(plan))

    def _detail(self, plan):
        fresh = joint_works_for_operator(organization=self.organization).get(pk=plan.pk)
        return JointWorksDetailSerializer(fresh, context=self.get_serializer_context()).data


def _within(raw: str | None) -> float:
    if raw is None:
        return float(settings.JOINT_WORKS_NEAR_METRES)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 1 <= value <= MAX_NEAR_METRES:
        raise ValidationError({"within": [str(gettext_lazy("Metres, from 1 to 20000."))]})
    return value


class RoadWorksSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    external_reference = serializers.CharField(max_length=100)
    road_name = serializers.CharField(max_length=100)
    road_segment = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    description = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )
    route = serializers.JSONField(required=False, allow_null=True, default=None)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    restored_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("When the road was resurfaced: starts its moratorium."),
    )
    updated_at = serializers.DateTimeField(read_only=True)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List the road works plans you pushed")),
    retrieve=extend_schema(summary=gettext_lazy("Get one road works plan")),
    create=extend_schema(
        summary=gettext_lazy("Push a road works plan"),
        description=gettext_lazy(
            "A road excavation or resurfacing plan (城管, 交通), by your own "
            "`external_reference`: pushing the same reference again updates it (200). Joint "
            "works on that road at that time are offered to join it; a `restored_on` date "
            "puts the road under the moratorium."
        ),
        responses={201: RoadWorksSerializer, 200: RoadWorksSerializer},
    ),
)
class RoadWorksViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    OrganizationScopedViewSet,
):
    queryset_model = RoadWorksPlan
    serializer_class = RoadWorksSerializer
    pagination_class = UpdatedCursorPagination
    required_scopes = {"list": SIGNALS_READ, "retrieve": SIGNALS_READ, "create": SIGNALS_WRITE}

    def selector(self):
        return road_works_for_source(organization=self.organization)

    @idempotent
    def create(self, request, *args, **kwargs):
        command = RoadWorksSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        works, created = road_works_plan_record(
            source=principal_of(request).organization, **command.validated_data
        )
        return Response(
            RoadWorksSerializer(works).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
