"""How often a caller may call: per token (or session user), and per address when anonymous."""

import time

from django.core.cache import BaseCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from core.cache_guard import GuardedCache
from core.client_address import client_address

from ..models import ApiToken

# While Redis does not answer, each process counts on its own (core/cache_guard.py).
throttle_cache = GuardedCache("throttle", fallback="memory")


def _parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate syntax: `600/minute` -> (600, 60); the period by its first letter."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def _count_hit(key: str, seconds: int) -> int:
    """Count one request under `key`, which lives `seconds`; return the count so far."""
    return throttle_cache.call(lambda backend: _count_hit_in(backend, key, seconds))


def _count_hit_in(backend: BaseCache, key: str, seconds: int) -> int:
    """Redis: INCR and EXPIRE NX in one pipelined round trip (the window starts with its first
    request). Django's `cache.incr` would ask EXISTS first, and has no atomic add-or-increment.
    Other caches (per-process memory in the embedded mode, or while Redis does not answer):
    add, then increment.
    """
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        # The cache's own client (one per pool: core/redis_cache.py), with its timeouts.
        client = backend._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
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

    def get_ident(self, request) -> str:
        # The one rule for the client's address (TRUSTED_PROXY_COUNT), the sign-in limiter's
        # too; DRF's own reads a client-written X-Forwarded-For when NUM_PROXIES is unset.
        return client_address(request) or "unknown"

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
