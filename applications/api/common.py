"""What every API view shares: the caller's language, UUID lookups scoped to its organisation."""

from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from rest_framework import viewsets

from .auth import principal_of

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class AcceptLanguageMixin:
    """Messages in the language of the Accept-Language header (zh-hans when absent).

    The site's LocaleMiddleware gives every path outside i18n_patterns the default language;
    a program calling the API has no URL prefix or cookie to choose with, only this header.
    """

    def initial(self, request, *args, **kwargs):
        if "HTTP_ACCEPT_LANGUAGE" in request.META:
            language = translation.get_language_from_request(request._request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        super().initial(request, *args, **kwargs)


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
