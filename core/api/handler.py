"""DRF's EXCEPTION_HANDLER: every exception an API view raises, as one problem response.

Domain errors are mapped here once: IllegalTransition -> 409, PermissionDenied -> 403,
NotFound/Http404 -> 404, ValidationError -> 400.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..errors import DomainError, IllegalTransition
from ..errors import NotFound as DomainNotFound
from .problems import django_validation_errors, flatten, problem, summary

logger = logging.getLogger("portal.api")

# DRF's codes become our problem types; anything else keeps its own code.
_TYPES = {"invalid": "validation_error", "error": "server_error"}


def exception_handler(exc, context) -> Response:
    """Every exception a DRF view raises, as a problem response (never None: never HTML)."""
    headers: dict[str, str] = {}
    if isinstance(exc, DjangoValidationError):
        errors = django_validation_errors(exc)
        body = problem(400, "validation_error", summary(errors), errors, _("Invalid input"))
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
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait:
            headers["Retry-After"] = str(int(wait))
        code = exc.default_code
        type_ = _TYPES.get(code, code)
        if isinstance(exc, exceptions.ValidationError):
            errors = flatten(exc.detail)
            body = problem(400, "validation_error", summary(errors), errors, _("Invalid input"))
        else:
            body = problem(exc.status_code, type_, str(exc.detail))
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
