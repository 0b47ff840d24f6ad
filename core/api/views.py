"""What every API view shares: the caller's language, a measured body, the shape of a public
id."""

from django.utils import translation

from .parsers import refuse_unmeasured_body

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class AcceptLanguageMixin:
    """Messages in the language of the Accept-Language header (zh-hans when absent).

    The site's LocaleMiddleware gives every path outside i18n_patterns the default language;
    a program calling the API has no URL prefix or cookie to choose with, only this header.
    A body without Content-Length is refused first (411, see `refuse_unmeasured_body`).
    """

    def initial(self, request, *args, **kwargs):
        if "HTTP_ACCEPT_LANGUAGE" in request.META:
            language = translation.get_language_from_request(request._request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        refuse_unmeasured_body(request._request)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # a mixin of APIView
