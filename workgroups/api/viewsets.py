"""The base of every organisation's API viewset: UUID lookups scoped to the caller."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import viewsets

from core.api.views import UUID_PATTERN, AcceptLanguageMixin

from .auth import principal_of


class OrganizationScopedViewSet(AcceptLanguageMixin, viewsets.GenericViewSet):
    """Public ids are UUIDs; every queryset comes from a selector given the caller's
    organisation, so another organisation's object is simply not found (404)."""

    lookup_field = "uuid"
    lookup_value_regex = UUID_PATTERN
    required_scopes: dict[str, str | tuple[str, ...] | None] = {}

    @property
    def organization(self):
        return principal_of(self.request).organization

    def selector(self):
        """The caller's rows; every viewset names its own selector."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define selector()")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return self.queryset_model.objects.none()
        return self.selector()
