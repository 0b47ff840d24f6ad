"""Who is calling the API, for which organisation, with which scopes, and how often.

An API token acts as its organisation's service account (a member, so guardian object
permissions granted to the organisation's group apply unchanged). A browser session acts for
the user's one organisation with every scope that organisation's role allows.
"""

import functools
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from workgroups.api_tokens import api_token_resolve, scopes_allowed
from workgroups.models import ApiToken, Membership, Organization


@dataclass(frozen=True)
class Principal:
    """The organisation a request acts for and what it may do there."""

    organization: Organization | None
    scopes: frozenset[str]
    token: ApiToken | None = None

    @property
    def idempotency_scope(self) -> str | None:
        return f"org:{self.organization.uuid}" if self.organization is not None else None


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer zsp_...`: the organisation's token (see docs/api.md)."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the header as 'Authorization: Bearer <token>'."))
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed(_("Invalid token.")) from exc
        token = api_token_resolve(plaintext)
        if token is None:
            raise AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API token (`zsp_...`); see docs/api.md.",
        }


def principal_of(request) -> Principal:
    """Resolved once per request and cached on it."""
    cached = getattr(request, "_api_principal", None)
    if cached is not None:
        return cached
    if isinstance(request.auth, ApiToken):
        token = request.auth
        principal = Principal(token.organization, frozenset(token.scopes), token)
    elif request.user is not None and request.user.is_authenticated:
        memberships = list(
            Membership.objects.filter(user=request.user).select_related("organization")[:2]
        )
        # A person acting for several organisations has no implicit one: use a token.
        if len(memberships) == 1 and memberships[0].organization.is_active:
            org = memberships[0].organization
            principal = Principal(org, scopes_allowed(org))
        else:
            principal = Principal(None, frozenset())
    else:
        principal = Principal(None, frozenset())
    request._api_principal = principal
    return principal


class HasScope(BasePermission):
    """The view names the scope each action needs (`required_scopes`); unnamed = denied."""

    def has_permission(self, request, view) -> bool:
        if request.method == "OPTIONS" or not hasattr(view, request.method.lower()):
            return True  # no handler for the method: the view answers 405
        required = getattr(view, "required_scopes", {})
        action = getattr(view, "action", None) or request.method.lower()
        if action not in required:
            raise PermissionDenied(_("This endpoint is not available to you."))
        needed = required[action]
        if needed is None:
            return True
        principal = principal_of(request)
        options = (needed,) if isinstance(needed, str) else tuple(needed)
        if principal.organization is None or not set(options) & principal.scopes:
            raise PermissionDenied(
                _("This needs the scope %(scope)s for your organisation.")
                % {"scope": " or ".join(options)}
            )
        return True


def _parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate syntax: `600/minute` -> (600, 60); the period by its first letter."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    """One client (a thread-safe connection pool) per process for the cache's Redis: Django's
    cache builds a client object for every command, which costs more than the count."""
    return redis.Redis.from_url(url)


def _count_hit(key: str, seconds: int) -> int:
    """Count one request under `key`, which lives `seconds`; return the count so far.

    Redis: INCR and EXPIRE NX in one pipelined round trip (the window starts with its first
    request). Django's `cache.incr` would ask EXISTS first, and has no atomic add-or-increment.
    Other caches (per-process memory in the embedded mode): add, then increment.
    """
    backend = caches["default"]  # one per thread
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        pipe = _redis_client(settings.CACHES["default"]["LOCATION"]).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, seconds, nx=True)
        return pipe.execute()[0]
    backend.add(key, 0, seconds)
    try:
        return backend.incr(key)
    except ValueError:  # expired between the two calls: this request opens a new window
        backend.set(key, 1, seconds)
        return 1


class FixedWindowRateThrottle(BaseThrottle):
    """At most N requests per fixed window (`600/minute`: per clock minute), counted with one
    atomic increment in the default cache: one Redis round trip and no pickled history, where
    DRF's SimpleRateThrottle reads, trims, pickles and writes a list of every request's time.
    The price: a client may spend a window's budget at its end and the next one's at once.
    A refused request answers 429 with Retry-After: the seconds until its window ends."""

    scope = ""
    cache_format = "throttle:%(scope)s:%(ident)s:%(window)d"
    timer = time.time

    def get_rate(self) -> str | None:
        # Read at request time, so an override of the settings takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident_of(self, request) -> str | None:
        """Whose budget the request spends; None: not this throttle's caller."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = self.get_rate()
        if rate is None:
            return True
        ident = self.get_ident_of(request)
        if ident is None:
            return True
        limit, seconds = _parse_rate(rate)
        now = self.timer()
        window = int(now // seconds)
        self.retry_after = (window + 1) * seconds - now
        key = self.cache_format % {"scope": self.scope, "ident": ident, "window": window}
        return _count_hit(key, seconds + 1) <= limit

    def wait(self) -> float:
        return max(self.retry_after, 1.0)


class ApiClientRateThrottle(FixedWindowRateThrottle):
    """Requests per token (every token has its own budget), or per user for a session."""

    scope = "api_client"

    def get_ident_of(self, request) -> str | None:
        if isinstance(request.auth, ApiToken):
            return f"token:{request.auth.pk}"
        if request.user is not None and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return None  # anonymous callers: PublicRateThrottle


class PublicRateThrottle(FixedWindowRateThrottle):
    """Anonymous callers, by client address."""

    scope = "anon"

    def get_ident_of(self, request) -> str | None:
        if request.user is not None and request.user.is_authenticated:
            return None
        return self.get_ident(request)
