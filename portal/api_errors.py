"""One JSON error shape for everything under /api/ (RFC 9457 members plus field errors):

    {"type": "validation_error", "title": "Invalid input", "status": 400,
     "detail": "...", "errors": {"field": ["message", ...]}}

`exception_handler` is DRF's EXCEPTION_HANDLER; `page_not_found` and `server_error` are the
project's handler404/handler500, answering JSON under /api/ and the normal pages elsewhere.
Domain errors are mapped here once: IllegalTransition -> 409, PermissionDenied -> 403,
NotFound/Http404 -> 404, ValidationError -> 400.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from applications.errors import DomainError, IllegalTransition
from applications.errors import NotFound as DomainNotFound

logger = logging.getLogger("portal.api")

API_PREFIX = "/api/"

_TITLES = {
    400: gettext_lazy("Invalid request"),
    401: gettext_lazy("Not authenticated"),
    403: gettext_lazy("Permission denied"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    413: gettext_lazy("Payload too large"),
    415: gettext_lazy("Unsupported media type"),
    422: gettext_lazy("Unprocessable request"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Server error"),
}
# DRF's codes become our problem types; anything else keeps its own code.
_TYPES = {"invalid": "validation_error", "error": "server_error"}


def problem(
    status_code: int, type_: str, detail: str, errors: dict | None = None, title: str = ""
) -> dict:
    return {
        "type": type_,
        "title": str(title or _TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": str(detail),
        "errors": errors or {},
    }


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub.0": ["message"]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "non_field_errors" if key in ("__all__", "non_field_errors") else str(key)
            flat.update(_flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}"))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            "non_field_errors" if field == "__all__" else field: messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}


def _summary(errors: dict[str, list[str]]) -> str:
    field, messages = next(iter(errors.items()))
    return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"


def exception_handler(exc, context) -> Response:
    """Every exception a DRF view raises, as a problem response (never None: never HTML)."""
    headers: dict[str, str] = {}
    if isinstance(exc, DjangoValidationError):
        errors = _django_validation_errors(exc)
        body = problem(400, "validation_error", _summary(errors), errors, _("Invalid input"))
    elif isinstance(exc, IllegalTransition):
        body = problem(409, "illegal_transition", exc.message, title=_("Illegal transition"))
    elif isinstance(exc, DomainNotFound | Http404):
        detail = exc.message if isinstance(exc, DomainNotFound) else _("Not found.")
        body = problem(404, "not_found", detail)
    elif isinstance(exc, DomainError):
        body = problem(exc.status_code, "domain_error", exc.message)
    elif isinstance(exc, DjangoPermissionDenied):
        body = problem(403, "permission_denied", str(exc) or _("Permission denied."))
    elif isinstance(exc, RequestDataTooBig):
        body = problem(413, "payload_too_large", _("The request body is too large."))
    elif isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        code = exc.default_code
        type_ = _TYPES.get(code, code)
        if isinstance(exc, exceptions.ValidationError):
            errors = _flatten(exc.detail)
            body = problem(400, "validation_error", _summary(errors), errors, _("Invalid input"))
        else:
            body = problem(exc.status_code, type_, exc.detail)
    else:
        request = context.get("request")
        logger.exception(
            "Unhandled API error on %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=exc,
        )
        body = problem(500, "server_error", _("Something went wrong on our side; it is logged."))
    set_rollback()
    request = context.get("request")
    if request is not None:
        # JSON even from a view that renders HTML (the Swagger UI page): never an HTML error.
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    return Response(body, status=body["status"], headers=headers)


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(problem(404, "not_found", _("No such endpoint.")), status=404)
    return defaults.page_not_found(request, exception)


@csrf_exempt
def endpoint_not_found(request, *args, **kwargs):
    """The URL map's last /api/ route: any method, no session needed (so no CSRF check, as
    for an unmatched URL), the JSON 404, even with DEBUG on."""
    return page_not_found(request)


def server_error(request):
    if _is_api(request):
        body = problem(500, "server_error", _("Something went wrong on our side; it is logged."))
        return JsonResponse(body, status=500)
    return defaults.server_error(request)


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse(problem(400, "bad_request", _("Bad request.")), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        body = problem(403, "permission_denied", str(exception or "") or _("Permission denied."))
        return JsonResponse(body, status=status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)
