"""`/api/v1/work-items/`: an operator pulls its work, moves it through its stages, leases it."""

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.pagination import UpdatedCursorPagination
from core.api.schema import ERRORS, problem_response
from workgroups.access_log import record_access
from workgroups.api.auth import principal_of
from workgroups.api.idempotency import idempotent
from workgroups.api.viewsets import OrganizationScopedViewSet
from workgroups.api_tokens import ApiScope
from workgroups.constants import AccessKind

from ..constants import PaymentSource
from ..models import ServiceApplication
from ..selectors.operator import (
    history_of,
    work_item_details_for_operator,
    work_item_rows_for_operator,
    work_item_walk_available,
    work_item_walk_rows,
    work_items_for_operator,
)
from ..services import fee_payment_record, service_application_transition
from ..services.leases import work_items_lease
from .filters import WorkItemFilter
from .serializers import (
    FeePaymentSerializer,
    LeaseInputSerializer,
    LeaseSerializer,
    PaymentInputSerializer,
    StateChangeSerializer,
    TransitionInputSerializer,
    WorkItemDetailSerializer,
    WorkItemRowSerializer,
    work_item_rows,
)

READ, WRITE = ApiScope.WORK_ITEMS_READ.value, ApiScope.WORK_ITEMS_WRITE.value
# The incremental sync's walk: `updated_after`, then the `next` links; nothing else asked.
_WALK_PARAMETERS = frozenset({"updated_after", "page_size", "cursor"})
# WorkItemFilter's own form field for `updated_after`: the walk reads it exactly as the filter.
_UPDATED_AFTER = WorkItemFilter.base_filters["updated_after"].field


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List the operator's work items"),
        description=gettext_lazy(
            "Service applications assigned to your organisation, oldest change first. "
            "For an incremental sync pass `updated_after` and follow `next` to the end. Each row "
            "says what changed (`status`, `due_at`, `updated_at`); the project, the applicant and "
            "everything else are in the detail at `url`."
        ),
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("Get one work item"),
        description=gettext_lazy(
            "The project, the utility's details, documents (with download links), "
            "commitments, permits, the working-day clock and the transitions you may perform now."
        ),
        responses=WorkItemDetailSerializer,
    ),
)
class WorkItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    queryset_model = ServiceApplication
    serializer_class = WorkItemRowSerializer
    pagination_class = UpdatedCursorPagination
    filterset_class = WorkItemFilter
    required_scopes = {
        "list": READ,
        "retrieve": READ,
        "history": READ,
        "transitions": WRITE,
        "lease": WRITE,
        "payments": WRITE,
    }

    def selector(self):
        if self.action == "list":
            return work_item_rows_for_operator(organization=self.organization)
        if self.action == "retrieve":
            return work_item_details_for_operator(organization=self.organization)
        return work_items_for_operator(organization=self.organization)

    def list(self, request, *args, **kwargs):
        # The sync's hot path: flat rows in, WorkItemRowSerializer's JSON out (work_item_rows).
        page = self._walk_page(request)
        if page is None:
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(work_item_rows(page, request=request))

    def _walk_page(self, request) -> "list[dict] | None":  # `list`: the action, here
        """The page of a sync walking forward with nothing but a valid `updated_after`,
        `page_size` and `cursor`, read without django-filter's FilterSet and form and without
        a queryset (together about 2 ms of a 10 ms request). None for any other request:
        the general path answers it, every error included, so both paths cannot disagree on
        one (the tests compare their pages)."""
        parameters = request.query_params
        if not parameters.keys() <= _WALK_PARAMETERS or not work_item_walk_available():
            return None
        after = None
        if "updated_after" in parameters:
            values = parameters.getlist("updated_after")
            if len(values) != 1 or not values[0].strip():
                return None
            try:
                after = _UPDATED_AFTER.clean(values[0])
            except ValidationError:
                return None
        organization = self.organization

        def fetch(position: str | None, offset: int, limit: int) -> list[dict]:
            return work_item_walk_rows(
                organization=organization,
                after=after,
                position=parse_datetime(position) if position is not None else None,
                offset=offset,
                limit=limit,
            )

        return self.paginator.paginate_forward(request, fetch)

    def retrieve(self, request, *args, **kwargs):
        # The detail carries the applicant's contact and documents: a read of the case. The
        # list's rows (status and dates, no personal data) are not logged.
        item = self.get_object()
        record_access(
            request,
            kind=AccessKind.CASE,
            subjects=[item.uuid],
            cases=[(item.combined.uuid, item.combined.reference or "")],
        )
        return Response(self.get_serializer(item).data)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return WorkItemDetailSerializer
        return WorkItemRowSerializer

    @extend_schema(
        summary=gettext_lazy("History of a work item"),
        description=gettext_lazy(
            "Every state change, oldest first, with the stage data it recorded."
        ),
        responses=StateChangeSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def history(self, request, uuid=None):
        rows = history_of(service_application=self.get_object())
        return Response(StateChangeSerializer(rows, many=True).data)

    @extend_schema(
        summary=gettext_lazy("Perform a transition"),
        description=gettext_lazy(
            "Move the work item, e.g. `accept`, `start_survey`, `issue_plan` (with "
            "`survey_result`, `plan`, `fee_quote_cny`, `required_permits`), `reject` (with "
            "`reason`). Answers with the work item in its new state."
        ),
        request=TransitionInputSerializer,
        responses={200: WorkItemDetailSerializer, 409: problem_response(ERRORS[409])},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def transitions(self, request, uuid=None):
        item = self.get_object()
        command = TransitionInputSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        service_application_transition(
            actor=request.user,
            service_application=item,
            transition=command.validated_data["transition"],
            data=command.stage_data(),
            comment=command.validated_data["comment"],
        )
        moved = work_item_details_for_operator(organization=self.organization).get(pk=item.pk)
        # The answer is the whole detail (the applicant's contact included): a read too.
        record_access(
            request,
            kind=AccessKind.CASE,
            subjects=[moved.uuid],
            cases=[(moved.combined.uuid, moved.combined.reference)],
        )
        return Response(WorkItemDetailSerializer(moved, context=self.get_serializer_context()).data)

    @extend_schema(
        summary=gettext_lazy("Report a payment of the fee"),
        description=gettext_lazy(
            "A payment of the confirmed fee quote, collected in your own billing system: "
            "amount, day paid and your receipt number. Idempotent by receipt: the same receipt "
            "with the same figures answers the payment already recorded (200) and records "
            "nothing again; the same receipt with other figures is refused (409). The work "
            "item's `fee` shows what is paid and outstanding."
        ),
        request=PaymentInputSerializer,
        responses={
            201: FeePaymentSerializer,
            200: FeePaymentSerializer,
            409: problem_response(ERRORS[409]),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    @idempotent
    def payments(self, request, uuid=None):
        item = self.get_object()
        command = PaymentInputSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        result = fee_payment_record(
            actor=request.user,
            service_application=item,
            data=command.validated_data,
            source=PaymentSource.API,
        )
        return Response(
            FeePaymentSerializer(result.payment).data, status=201 if result.created else 200
        )

    @extend_schema(
        summary=gettext_lazy("Lease work items (fetch and lock)"),
        description=gettext_lazy(
            "Hands out up to `limit` open items that no other worker holds, most "
            "urgent first, each locked to you for `lease_seconds`. Workers of one operator "
            "calling at the same time never receive the same item."
        ),
        request=LeaseInputSerializer,
        responses={200: LeaseSerializer},
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    @idempotent
    def lease(self, request):
        command = LeaseInputSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        principal = principal_of(request)
        ids, until = work_items_lease(
            organization=principal.organization,
            limit=command.validated_data["limit"],
            seconds=command.validated_data["lease_seconds"],
            holder=command.validated_data["holder"],
            token=principal.token,
        )
        by_id = {sa.pk: sa for sa in self.get_queryset().filter(pk__in=ids)}
        # The items handed out name their applicant and project: a read of those cases.
        record_access(
            request,
            kind=AccessKind.CASE,
            subjects=[sa.uuid for sa in by_id.values()],
            cases=[(sa.combined.uuid, sa.combined.reference) for sa in by_id.values()],
        )
        result = {
            "holder": command.validated_data["holder"],
            "leased_until": until,
            "items": [by_id[pk] for pk in ids],
        }
        return Response(LeaseSerializer(result, context=self.get_serializer_context()).data)
