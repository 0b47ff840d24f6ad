"""Domain errors (the kit's, core/errors.py)."""

from core.errors import DomainError, IllegalTransition, NotFound, PermissionDenied, ValidationError

__all__ = ["DomainError", "IllegalTransition", "NotFound", "PermissionDenied", "ValidationError"]
