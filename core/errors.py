"""Domain errors. The web and API layers map them once: IllegalTransition -> 409,
PermissionDenied -> 403, ValidationError -> 400, NotFound -> 404."""

from django.core.exceptions import PermissionDenied, ValidationError

__all__ = [
    "Conflict",
    "DomainError",
    "IllegalTransition",
    "NotFound",
    "PermissionDenied",
    "ValidationError",
]


class DomainError(Exception):
    """Base for business-rule failures that are the caller's to fix, never a server error."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalTransition(DomainError):
    """The transition exists but not from the case's current state (or its conditions)."""

    status_code = 409


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    status_code = 404


class Conflict(DomainError):
    """The request contradicts what is already recorded (the same key with other data)."""

    status_code = 409
