"""`/api/schema/` in the caller's language."""

from drf_spectacular.views import SpectacularAPIView

from .views import AcceptLanguageMixin


class LocalizedSchemaView(AcceptLanguageMixin, SpectacularAPIView):
    """The OpenAPI document with its summaries and descriptions in the Accept-Language of the
    request (zh-hans when absent; drf-spectacular's `?lang=en` works too). The committed
    docs/openapi.yaml is the English one."""
