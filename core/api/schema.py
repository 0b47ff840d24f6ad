"""OpenAPI: the problem shape, and the error responses and headers every operation documents.

Every summary, description and help text of the API is gettext_lazy (a shape's description is
its `__doc__`, lazy too), so /api/schema/ answers in the caller's Accept-Language; the committed
docs/openapi.yaml is the English one.

Errors that can happen on any operation of a kind (authentication, throttling, a body that is
too large, an unknown object) are added here, so no endpoint can forget them; errors specific
to an endpoint (409 on transitions) are declared on the endpoint itself.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


class ProblemSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy("The one error shape of the API.")  # type: ignore[assignment]

    type = serializers.CharField(
        help_text=gettext_lazy(
            "Machine-readable kind, e.g. validation_error, not_found, illegal_transition."
        )
    )
    title = serializers.CharField(
        help_text=gettext_lazy("Short human-readable summary of the kind.")
    )
    status = serializers.IntegerField(help_text=gettext_lazy("The HTTP status code."))
    detail = serializers.CharField(help_text=gettext_lazy("What went wrong this time."))
    errors = serializers.DictField(  # type: ignore[assignment]  # a field named like the base's
        child=serializers.ListField(child=serializers.CharField()),
        help_text=gettext_lazy(
            "Field name (dotted for nested fields) -> messages; empty when no field is at fault."
        ),
    )
    request_id = serializers.CharField(
        help_text=gettext_lazy(
            "The X-Request-ID of this response (yours if you sent one): quote it when "
            "asking about the error."
        )
    )


def problem_response(description: str | Promise) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=description)


ERRORS = {
    400: gettext_lazy("Invalid input: `errors` names each field."),
    401: gettext_lazy("No credentials, or an invalid, expired or revoked token."),
    403: gettext_lazy("The token lacks the scope, or the organisation may not do this."),
    404: gettext_lazy("No such object, or it is not visible to your organisation."),
    406: gettext_lazy("The Accept header asks for something other than JSON."),
    409: gettext_lazy("The transition is not possible from the current state."),
    413: gettext_lazy("The request body is over the size limit."),
    415: gettext_lazy("The body is not JSON."),
    422: gettext_lazy("The Idempotency-Key was already used with a different request."),
    429: gettext_lazy("Too many requests for this token; retry after the Retry-After seconds."),
}

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    type={"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN, "maxLength": 255},
    description=gettext_lazy(
        "Any unique string (a UUID is best). A retry with the same key and body gets "
        "the first response again and changes nothing; the same key with another body gets 422."
    ),
)


class ApiAutoSchema(AutoSchema):
    def _needs_auth(self) -> bool:
        return not any(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def _standard_errors(self) -> list[int]:
        codes = [406, 429]
        if self._needs_auth():
            codes += [401, 403]
        if "{" in self.path:
            codes.append(404)
        if self.method == "POST":
            codes += [400, 413, 415, 422]
        elif getattr(self.view, "action", None) == "list":
            codes.append(400)
        return sorted(set(codes))

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        required = getattr(self.view, "required_scopes", {})
        scopes = required.get(getattr(self.view, "action", None) or self.method.lower())
        if operation is not None and scopes:
            names = gettext(" or ").join(
                f"`{s}`" for s in ((scopes,) if isinstance(scopes, str) else scopes)
            )
            scope = gettext("Token scope: %(scopes)s.") % {"scopes": names}
            operation["description"] = f"{operation.get('description', '')}\n\n{scope}".strip()
        return operation

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "POST":
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def _get_response_bodies(self, direction="response"):
        # Wraps the private builder because @extend_schema(responses=...) replaces the public
        # get_response_serializers: this way declared and undeclared endpoints both get them.
        responses = super()._get_response_bodies(direction)
        for code in self._standard_errors():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    problem_response(ERRORS[code]), str(code), direction=direction
                )
        return dict(sorted(responses.items()))


def only_api_v1(endpoints):
    """Preprocessing hook: the schema documents /api/v1/ only, whatever else uses DRF."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
