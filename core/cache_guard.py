"""The shared cache (Redis in a deployment) as something a request may lose without failing.

A `GuardedCache` runs each call against the configured cache. When Redis does not answer
(refused, reset, or silent past the short socket timeouts in `CACHES["default"]["OPTIONS"]`),
the call is run again against a stand-in of this process instead: a memory cache
(`fallback="memory"`: counters then count per process), or none at all (`fallback=None`: every
read misses, so the caller asks the database, and writes are dropped).

After a failure the process leaves Redis alone for `REDIS_CACHE_RETRY_SECONDS`, then lets one
call try it again, so a frozen Redis costs one socket timeout per process per interval, not one
per call. Each call served by the stand-in counts in `portal_redis_fallbacks_total{use=...}`;
the log says so at most once a minute per process, and once more when Redis answers again.

Deletions that could not reach Redis are repeated when it answers again: a revoked API token
must not come back from a Redis that was only frozen and still holds the entry.
"""

import logging
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import redis
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from prometheus_client import Counter

logger = logging.getLogger(__name__)

REDIS_FALLBACKS = Counter(
    "portal_redis_fallbacks",
    "Cache calls served by the per-process stand-in because Redis did not answer, by use.",
    ["use"],
)

# What "Redis did not answer" looks like: redis-py's errors (connection refused or reset,
# timeouts, a server still loading its data or refusing writes) and bare socket errors.
UNAVAILABLE: tuple[type[Exception], ...] = (redis.exceptions.RedisError, OSError)
LOG_INTERVAL_SECONDS = 60.0
MAX_PENDING_DELETES = 10_000
# Memory stand-ins hold counters of many clients; the default 300 would cull live ones.
_FALLBACK_OPTIONS = {"OPTIONS": {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 10}}

T = TypeVar("T")


@dataclass
class _Health:
    """What this process knows of one cache alias: down since when, when to try it again."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    down_since: float | None = None
    retry_at: float = 0.0
    error: str = ""
    served: Tally[str] = field(default_factory=Tally)
    served_in_outage: int = 0
    reported_outage: bool = False
    logged_at: float | None = None
    pending_deletes: dict[str, None] = field(default_factory=dict)

    def may_try(self) -> bool:
        if self.down_since is None:  # the common case, without the lock
            return True
        with self.lock:
            now = time.monotonic()
            if self.down_since is not None and now < self.retry_at:
                return False
            # This call is the probe; the others keep to the stand-in until it has answered.
            self.retry_at = now + settings.REDIS_CACHE_RETRY_SECONDS
            return True

    def failed(self, exc: Exception) -> None:
        with self.lock:
            now = time.monotonic()
            self.retry_at = now + settings.REDIS_CACHE_RETRY_SECONDS
            self.error = f"{type(exc).__name__}: {exc}"
            if self.down_since is None:
                self.down_since = now

    def served_by_fallback(self, alias: str, use: str) -> None:
        REDIS_FALLBACKS.labels(use=use).inc()
        with self.lock:
            self.served[use] += 1
            self.served_in_outage += 1
            now = time.monotonic()
            if self.logged_at is not None and now - self.logged_at < LOG_INTERVAL_SECONDS:
                return
            self.logged_at = now
            self.reported_outage = True
            down_for = now - (self.down_since or now)
            by_use = ", ".join(f"{name}={count}" for name, count in sorted(self.served.items()))
            error = self.error
            self.served.clear()
        logger.warning(
            "Cache %r (Redis) is not answering (%s), down %.0f s so far; calls served without "
            "it by this process since the last report: %s. API tokens are read from the database; "
            "rate limits and sign-in limits count per process until it answers again.",
            alias,
            error,
            down_for,
            by_use,
        )

    def answered(self, alias: str) -> None:
        if self.down_since is None:  # the common case, without the lock
            return
        with self.lock:
            down_since, reported = self.down_since, self.reported_outage
            served = self.served_in_outage
            self.down_since, self.error, self.reported_outage = None, "", False
            self.served.clear()
            self.served_in_outage = 0
        if down_since is not None and reported:
            logger.info(
                "Cache %r (Redis) answers again after %.1f s; %d calls were served without it "
                "by this process meanwhile.",
                alias,
                time.monotonic() - down_since,
                served,
            )

    def take_owed_deletes(self) -> list[str]:
        if not self.pending_deletes:  # the common case, without the lock
            return []
        with self.lock:
            owed = list(self.pending_deletes)
            self.pending_deletes.clear()
        return owed

    def owe_deletes(self, keys: Iterable[str]) -> None:
        with self.lock:
            for key in keys:
                self.pending_deletes.pop(key, None)
                self.pending_deletes[key] = None
            while len(self.pending_deletes) > MAX_PENDING_DELETES:
                del self.pending_deletes[next(iter(self.pending_deletes))]


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()
_fallbacks: dict[tuple[str, str], BaseCache] = {}


def _health_of(alias: str) -> _Health:
    if (health := _health.get(alias)) is not None:
        return health
    with _health_lock:
        return _health.setdefault(alias, _Health())


@receiver(setting_changed)
def _forget_on_new_caches(*, setting: str, **kwargs: Any) -> None:
    """Another cache configuration (tests) starts with a clean record and empty stand-ins."""
    if setting in ("CACHES", "REDIS_CACHE_RETRY_SECONDS"):
        reset()


def reset() -> None:
    """Forget every outage and empty the memory stand-ins of this process."""
    with _health_lock:
        _health.clear()
        for fallback in _fallbacks.values():
            fallback.clear()


class GuardedCache:
    """One use of the shared cache (`use` labels the metric) with its stand-in while Redis
    does not answer. The methods are the Django cache's; `call` runs any function of it."""

    def __init__(
        self, use: str, *, fallback: Literal["memory"] | None, alias: str = "default"
    ) -> None:
        self.use = use
        self.alias = alias
        self.fallback_kind = fallback
        REDIS_FALLBACKS.labels(use=use)  # the series exists (at 0) before the first outage

    @property
    def fallback(self) -> BaseCache:
        key = (self.alias, self.use)
        with _health_lock:
            if key not in _fallbacks:
                _fallbacks[key] = (
                    LocMemCache(f"redis-fallback:{self.alias}:{self.use}", _FALLBACK_OPTIONS)
                    if self.fallback_kind == "memory"
                    else DummyCache("redis-fallback", {})
                )
            return _fallbacks[key]

    def call(
        self, operation: Callable[[BaseCache], T], *, deletes: Iterable[str] | None = None
    ) -> T:
        """`operation(cache)` on the shared cache while it answers, else on the stand-in.
        `deletes`: keys the operation removes, deleted again once Redis answers if it could
        not be reached now."""
        health = _health_of(self.alias)
        if health.may_try():
            owed = health.take_owed_deletes()
            try:
                shared = caches[self.alias]
                if owed:
                    # First, so that nothing deleted meanwhile is read back from a Redis that
                    # was only frozen or cut off.
                    shared.delete_many(owed)
                result = operation(shared)
            except UNAVAILABLE as exc:
                health.failed(exc)
                health.owe_deletes(owed)
            else:
                health.answered(self.alias)
                return result
        if deletes is not None:
            health.owe_deletes(deletes)
        health.served_by_fallback(self.alias, self.use)
        return operation(self.fallback)

    def get(self, key: str, default: Any = None) -> Any:
        return self.call(lambda cache: cache.get(key, default))

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        keys = list(keys)
        return self.call(lambda cache: cache.get_many(keys))

    def get_or_set(self, key: str, default: Any, timeout: float | None) -> Any:
        return self.call(lambda cache: cache.get_or_set(key, default, timeout))

    def add(self, key: str, value: Any, timeout: float | None) -> bool:
        return self.call(lambda cache: cache.add(key, value, timeout))

    def set(self, key: str, value: Any, timeout: float | None) -> None:
        self.call(lambda cache: cache.set(key, value, timeout))

    def incr(self, key: str, delta: int = 1) -> int:
        return self.call(lambda cache: cache.incr(key, delta))

    def delete(self, key: str) -> bool:
        return self.call(lambda cache: cache.delete(key), deletes=[key])

    def delete_many(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        self.call(lambda cache: cache.delete_many(keys), deletes=keys)
