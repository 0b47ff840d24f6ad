"""`/api/v1/webhooks/`: an operator registers and removes the endpoints its signed events go to."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from core.api.pagination import CreatedCursorPagination
from workgroups.api.auth import principal_of
from workgroups.api.idempotency import idempotent, shown_once
from workgroups.api.viewsets import OrganizationScopedViewSet
from workgroups.api_tokens import ApiScope

from ..models import WebhookEndpoint
from ..selectors import webhook_endpoints_of
from ..services.webhooks import webhook_endpoint_create, webhook_endpoint_deactivate
from .serializers import (
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
)

WRITE = ApiScope.WEBHOOKS_WRITE.value


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List your webhook endpoints"),
        description=gettext_lazy(
            "Active and removed ones (`is_active`), oldest first; never the secret."
        ),
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get one webhook endpoint")),
    create=extend_schema(
        summary=gettext_lazy("Register a webhook endpoint"),
        description=gettext_lazy(
            "Events for your organisation (work item assigned, state changed, demand notice "
            "created, ...) are then delivered there too, at least once, signed with the secret. "
            "Each event is POSTed as JSON `{id, type, created_at, data}` with the headers "
            "`X-Portal-Event-Id`, `X-Portal-Event-Type`, `X-Portal-Timestamp` and "
            '`X-Portal-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`; see '
            "docs/notifications.md. At most 5 active endpoints; a URL only once."
        ),
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    ),
    destroy=extend_schema(
        summary=gettext_lazy("Remove a webhook endpoint"),
        description=gettext_lazy(
            "Nothing more is sent there; events still waiting for it are parked as "
            "failed. The endpoint stays listed with `is_active: false` (its delivery history "
            "refers to it). Removing it again changes nothing."
        ),
        responses={200: WebhookEndpointSerializer},
    ),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    OrganizationScopedViewSet,
):
    queryset_model = WebhookEndpoint
    serializer_class = WebhookEndpointSerializer
    pagination_class = CreatedCursorPagination
    filter_backends = []
    required_scopes = {"list": WRITE, "retrieve": WRITE, "create": WRITE, "destroy": WRITE}

    def selector(self):
        return webhook_endpoints_of(organization=self.organization)

    @idempotent
    def create(self, request, *args, **kwargs):
        command = WebhookEndpointInputSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        endpoint, generated = webhook_endpoint_create(
            actor=request.user,
            organization=principal_of(request).organization,
            url=command.validated_data["url"],
            secret=command.validated_data.get("secret"),
            api_token=principal_of(request).token,
        )
        context = {**self.get_serializer_context(), "generated_secret": generated}
        body = WebhookEndpointCreatedSerializer(endpoint, context=context).data
        # Shown in this answer only: a retry with the same Idempotency-Key gets it redacted.
        return shown_once(Response(body, status=status.HTTP_201_CREATED), "secret")

    def destroy(self, request, *args, **kwargs):
        endpoint = webhook_endpoint_deactivate(
            actor=request.user, endpoint=self.get_object(), api_token=principal_of(request).token
        )
        return Response(self.get_serializer(endpoint).data)
