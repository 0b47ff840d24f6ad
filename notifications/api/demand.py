"""关口前移 over the API: `/api/v1/demand-notices/` (operators), `/api/v1/demand-signals/`
(data-providing departments)."""

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.filters import ChangedAfterFilter, StrictFilterSet
from core.api.pagination import CreatedCursorPagination
from core.api.schema import problem_response
from workgroups.api.auth import principal_of
from workgroups.api.idempotency import idempotent
from workgroups.api.viewsets import OrganizationScopedViewSet
from workgroups.api_tokens import ApiScope

from ..constants import NoticeStatus, SignalKind
from ..models import DemandNotice, DemandSignal
from ..selectors import demand_notices_for_organization, demand_signals_of
from ..services import demand_notice_acknowledge
from ..services.intake import demand_signal_push
from .serializers import DemandNoticeSerializer, DemandSignalPushSerializer, DemandSignalSerializer

NOTICES_READ = ApiScope.DEMAND_NOTICES_READ.value
NOTICES_WRITE = ApiScope.DEMAND_NOTICES_WRITE.value
SIGNALS_READ = ApiScope.DEMAND_SIGNALS_READ.value
SIGNALS_WRITE = ApiScope.DEMAND_SIGNALS_WRITE.value


class DemandSignalFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=SignalKind.choices)
    created_after = ChangedAfterFilter(
        field_name="created_at",
        help_text=gettext_lazy("Only signals pushed after this moment (ISO 8601)."),
    )


class DemandNoticeFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=NoticeStatus.choices)
    created_after = ChangedAfterFilter(
        field_name="created_at",
        help_text=gettext_lazy("Only notices created after this moment (ISO 8601)."),
    )


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List the operator's demand notices"),
        description=gettext_lazy(
            "Early word of coming projects in the towns you serve (关口前移), oldest "
            "first. `?status=new` is what is left to acknowledge."
        ),
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get one demand notice")),
)
class DemandNoticeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet
):
    queryset_model = DemandNotice
    serializer_class = DemandNoticeSerializer
    pagination_class = CreatedCursorPagination
    filterset_class = DemandNoticeFilter
    required_scopes = {"list": NOTICES_READ, "retrieve": NOTICES_READ, "ack": NOTICES_WRITE}

    def selector(self):
        return demand_notices_for_organization(organization=self.organization)

    @extend_schema(
        summary=gettext_lazy("Acknowledge a demand notice"),
        description=gettext_lazy(
            "Confirms your organisation has taken note (counted on its scorecard; an "
            "unacknowledged notice is reminded after one working day). No body. Answers with "
            "the notice."
        ),
        request=None,
        responses={
            200: DemandNoticeSerializer,
            409: problem_response(gettext_lazy("The notice is already acknowledged.")),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    @idempotent
    def ack(self, request, uuid=None):
        notice = demand_notice_acknowledge(actor=request.user, notice=self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=notice.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List the demand signals your department pushed"),
        description=gettext_lazy(
            "Oldest first. Each carries `operator_notices`: the operators it reached "
            "and whether and when each acknowledged its notice."
        ),
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get one demand signal you pushed")),
    create=extend_schema(
        summary=gettext_lazy("Push a demand signal"),
        description=gettext_lazy(
            "A land sale, investment deal, project approval or road-excavation plan "
            "that will need utilities. Every operator serving an expected utility in the town "
            "gets a demand notice (in its inbox, and by webhook and email where configured). "
            "Errors name the field, e.g. an unknown `town` or `project_code`."
        ),
        request=DemandSignalPushSerializer,
        responses={201: DemandSignalSerializer},
    ),
)
class DemandSignalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    OrganizationScopedViewSet,
):
    queryset_model = DemandSignal
    serializer_class = DemandSignalSerializer
    pagination_class = CreatedCursorPagination
    filterset_class = DemandSignalFilter
    required_scopes = {"list": SIGNALS_READ, "retrieve": SIGNALS_READ, "create": SIGNALS_WRITE}

    def selector(self):
        return demand_signals_of(organization=self.organization)

    @idempotent
    def create(self, request, *args, **kwargs):
        command = DemandSignalPushSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        fields = dict(command.validated_data)
        signal = demand_signal_push(
            actor=request.user,
            source_organization=principal_of(request).organization,
            town_code=fields.pop("town"),
            **fields,
        )
        body = self.get_serializer(self.get_queryset().get(pk=signal.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)
