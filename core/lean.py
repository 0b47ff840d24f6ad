"""The API's lean lane: a request to the REST API that carries a token skips the middleware
only a browser page needs.

settings.MIDDLEWARE stays the one list. `ApiLaneMiddleware` sits in it; every request that is
not an API token request passes on down the whole list as before (pages keep sessions, CSRF,
the Content-Security-Policy, messages, language negotiation by URL prefix and cookie, the
static files, the sign-in limiter). An API token request (`/api/...` with
`Authorization: Bearer ...`) instead goes down a second chain, built once at start-up from the
same entries after this one minus settings.PAGE_ONLY_MIDDLEWARE. Anything added to MIDDLEWARE
later runs for the API too unless it is named page-only: the safe default.

Why those may be skipped for a token request:
- sessions, authentication middleware, messages: DRF authenticates the token itself and sets
  `request.user`; a token request never reads a session (ApiTokenAuthentication comes first and
  either accepts the token or answers 401; SessionAuthentication is never consulted), so no
  session is loaded, created or saved and no cookie is set;
- CSRF: a token is sent deliberately, not by the browser's ambient cookies. A cookie-signed-in
  API call has no Bearer header, takes the full chain, and DRF's SessionAuthentication checks
  its CSRF token as before;
- django-csp: a JSON answer runs no script. The lane sets the fixed policy
  `default-src 'none'; frame-ancestors 'none'` instead, so an answer opened in a browser still
  can load nothing and be framed by nobody;
- WhiteNoise: nothing under /api/ is a static file;
- django-axes: it turns a refused sign-in form into its page; a token is no sign-in form.
- LocaleMiddleware: outside the language-prefixed URLs it only activates the default
  language, which the lane does directly; the API's views then follow Accept-Language
  (core.api.views.AcceptLanguageMixin), and the answer says Content-Language and varies by
  Accept-Language as before.
"""

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

__all__ = ["API_POLICY", "ApiLaneMiddleware", "is_api_token_request"]

API_PREFIX = "/api/"
# The API's HTML page (Swagger UI) is a page: it takes the full chain and the site's policy.
PAGES_UNDER_API = ("/api/docs/",)
# What an API answer opened in a browser may load: nothing; who may frame it: nobody.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
_SELF = f"{__name__}.ApiLaneMiddleware"


def is_api_token_request(request: HttpRequest) -> bool:
    """An /api/ request whose Authorization scheme is Bearer: DRF decides it by the token
    alone (accepted, or 401), never by a session."""
    path = request.path_info
    if not path.startswith(API_PREFIX) or path.startswith(PAGES_UNDER_API):
        return False
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    return authorization[:7].lower() == "bearer "


class _Lane(BaseHandler):
    """Django's own request handling (URL resolution, view middleware, the view, exception
    middleware, template responses) under a chain of the given middleware; synchronous, as
    the portal is served (gunicorn WSGI workers)."""

    def __init__(self, paths: list[str]) -> None:
        self._view_middleware: list = []
        self._template_response_middleware: list = []
        self._exception_middleware: list = []
        # BaseHandler._get_response: resolve, view middleware, the view (absent from the stubs).
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(paths):
            factory = import_string(path)
            if not getattr(factory, "sync_capable", True):
                raise ImproperlyConfigured(f"{path} cannot run synchronously in the API lane.")
            try:
                instance = factory(handler)
            except MiddlewareNotUsed:
                continue
            if instance is None:
                raise ImproperlyConfigured(f"Middleware factory {path} returned None.")
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler
        self.chain = cast(Callable[[HttpRequest], HttpResponse], handler)
        self.paths = tuple(paths)


def lane_middleware() -> list[str]:
    """The entries an API token request passes through after ApiLaneMiddleware."""
    entries = list(settings.MIDDLEWARE)
    if _SELF not in entries:
        raise ImproperlyConfigured(f"{_SELF} is not in settings.MIDDLEWARE.")
    skipped = set(settings.PAGE_ONLY_MIDDLEWARE)
    unknown = skipped - set(entries)
    if unknown:
        raise ImproperlyConfigured(
            f"PAGE_ONLY_MIDDLEWARE names entries not in MIDDLEWARE: {unknown}"
        )
    return [path for path in entries[entries.index(_SELF) + 1 :] if path not in skipped]


class ApiLaneMiddleware:
    """API token requests down the lean chain; every other request down the full one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.lane = _Lane(lane_middleware())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_token_request(request):
            return self.get_response(request)
        # Until DRF authenticates the token (and sets the user it stands for), nobody.
        request.user = AnonymousUser()
        # As LocaleMiddleware does for a path without language prefix: the default language;
        # the API's views then follow Accept-Language (core.api.views.AcceptLanguageMixin).
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        response = self.lane.chain(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        response.headers.setdefault("Content-Security-Policy", API_POLICY)
        return response
