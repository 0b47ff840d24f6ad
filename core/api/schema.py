"""OpenAPI: the problem shape, and the error responses and headers every operation documents.

Errors that can happen on any operation of a kind (authentication, throttling, a body that is
too large, an unknown object) are added here, so no endpoint can forget them; errors specific
to an endpoint (409 on transitions) are declared on the endpoint itself.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


class ProblemSerializer(serializers.Serializer):
    """The one error shape of the API."""

    type = serializers.CharField(
        help_text="Machine-readable kind, e.g. validation_error, not_found, illegal_transition."
    )
    title = serializers.CharField(help_text="Short human-readable summary of the kind.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong this time.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a field named like the base's
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name (dotted for nested fields) -> messages; empty when no field is "
        "at fault.",
    )
    request_id = serializers.CharField(
        help_text="The X-Request-ID of this response (yours if you sent one): quote it when "
        "asking about the error."
    )


def problem_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=description)


ERRORS = {
    400: "Invalid input: `errors` names each field.",
    401: "No credentials, or an invalid, expired or revoked token.",
    403: "The token lacks the scope, or the organisation may not do this.",
    404: "No such object, or it is not visible to your organisation.",
    406: "The Accept header asks for something other than JSON.",
    409: "The transition is not possible from the current state.",
    413: "The request body is over the size limit.",
    415: "The body is not JSON.",
    422: "The Idempotency-Key was already used with a different request.",
    429: "Too many requests for this token; retry after the Retry-After seconds.",
}

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    type={"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN, "maxLength": 255},
    description="Any unique string (a UUID is best). A retry with the same key and body gets "
    "the first response again and changes nothing; the same key with another body gets 422.",
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
            names = " or ".join(
                f"`{s}`" for s in ((scopes,) if isinstance(scopes, str) else scopes)
            )
            text = f"{operation.get('description', '')}\n\nToken scope: {names}.".strip()
            operation["description"] = text
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
