"""One JSON error shape for everything under /api/ (RFC 9457 members plus field errors):

{"type": "validation_error", "title": "Invalid input", "status": 400,
 "detail": "...", "errors": {"field": ["message", ...]}, "request_id": "..."}

`request_id` is the X-Request-ID of the response, the key to this request's log lines.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import request_id

_TITLES = {
    400: gettext_lazy("Invalid request"),
    401: gettext_lazy("Not authenticated"),
    403: gettext_lazy("Permission denied"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    411: gettext_lazy("Length required"),
    413: gettext_lazy("Payload too large"),
    415: gettext_lazy("Unsupported media type"),
    422: gettext_lazy("Unprocessable request"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Server error"),
}


def problem(
    status_code: int, type_: str, detail: str, errors: dict | None = None, title: str = ""
) -> dict:
    return {
        "type": type_,
        "title": str(title or _TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": str(detail),
        "errors": errors or {},
        "request_id": request_id.current() or "",
    }


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub.0": ["message"]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "non_field_errors" if key in ("__all__", "non_field_errors") else str(key)
            flat.update(flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}"))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            "non_field_errors" if field == "__all__" else field: messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}


def summary(errors: dict[str, list[str]]) -> str:
    field, messages = next(iter(errors.items()))
    return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
