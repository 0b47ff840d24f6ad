"""One Celery beat at a time, however many are started (two hosts, a rolling deploy, a second
`celery beat` by mistake): the others wait on standby and the first of them takes over when the
active one dies.

The lock is a redis-py `Lock` on the broker's Redis with a time to live (BEAT_LOCK_TTL_SECONDS),
renewed by the active beat on its ticks. A beat stopped cleanly releases it at once; one killed
(SIGKILL, a lost host) leaves it to expire, so a standby takes over within the TTL plus one retry
(BEAT_LOCK_RETRY_SECONDS). A beat whose lock expired under it (paused longer than the TTL) takes
it back if nobody has; one that finds another beat holding it, or cannot reach Redis for longer
than the TTL, stops sending and exits; its supervisor starts it again, as a standby.

The periodic tasks are idempotent anyway (the sweep has its own advisory lock): the lock keeps
the schedule from being sent twice, it is not what keeps data right.

Without Redis (the embedded `make run` mode starts exactly one beat) there is no lock.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler
from redis.exceptions import LockError
from redis.lock import Lock

logger = logging.getLogger(__name__)

LOCK_NAME = "portal:celery-beat-lock"


class BeatLock:
    """The lock one beat holds while it sends the schedule."""

    def __init__(self, client: redis.Redis, *, ttl: float, retry: float) -> None:
        self.ttl = ttl
        self.retry = retry
        # Who holds it, readable with `redis-cli GET portal:celery-beat-lock`.
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lock = Lock(client, LOCK_NAME, timeout=ttl, thread_local=False)
        self._renewed_at = 0.0

    def wait(self) -> None:
        """Block until this beat holds the lock (standby until then)."""
        told = False
        while True:
            try:
                if self._lock.acquire(blocking=False, token=self.token):
                    self._renewed_at = time.monotonic()
                    logger.info("beat lock acquired: this beat sends the schedule (%s)", self.token)
                    return
            except redis.RedisError:
                logger.warning("beat lock: Redis does not answer; trying again", exc_info=True)
            if not told:
                holder = self.holder()
                logger.info(
                    "beat lock held by %s: this beat (%s) stands by and takes over when it stops",
                    holder or "another beat",
                    self.token,
                )
                told = True
            time.sleep(self.retry)

    def holder(self) -> str | None:
        try:
            value = self._lock.redis.get(LOCK_NAME)
        except redis.RedisError:
            return None
        return value.decode() if isinstance(value, bytes) else value

    def renew(self, *, now: bool = False) -> None:
        """Extend the lock (at most every third of the TTL, unless `now`). Exits the beat when
        another beat holds it."""
        started = time.monotonic()
        if not now and started - self._renewed_at < self.ttl / 3:
            return
        try:
            try:
                self._lock.extend(self.ttl, replace_ttl=True)
            except LockError:
                # Expired (this beat was slower than the TTL): take it again if nobody has.
                if not self._lock.acquire(blocking=False, token=self.token):
                    logger.error(
                        "beat lock lost to %s: this beat stops sending and exits",
                        self.holder() or "another beat",
                    )
                    raise SystemExit(1) from None
                logger.warning("beat lock had expired before its renewal; taken again")
        except redis.RedisError:
            if started - self._renewed_at > self.ttl:
                logger.error("beat lock: Redis unreachable for longer than the TTL; exiting")
                raise SystemExit(1) from None
            logger.warning("beat lock: could not renew; trying again", exc_info=True)
            return
        self._renewed_at = started

    def release(self) -> None:
        try:
            self._lock.release()
        except (LockError, redis.RedisError):
            return  # expired, taken over, or Redis gone: nothing of ours to release
        logger.info("beat lock released (%s)", self.token)


def beat_lock_from_settings() -> BeatLock | None:
    if not settings.REDIS_URL:
        return None
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=5, socket_timeout=5, health_check_interval=30
    )
    return BeatLock(
        client, ttl=settings.BEAT_LOCK_TTL_SECONDS, retry=settings.BEAT_LOCK_RETRY_SECONDS
    )


class LockedDatabaseScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler, run only by the beat holding the lock."""

    _standing_by = False

    def __init__(self, *args, lazy: bool = False, **kwargs) -> None:
        if LockedDatabaseScheduler._standing_by:
            # SIGTERM/SIGINT to a standby: celery's handler asks the service for its scheduler
            # (to save it), which is this one still waiting. Nothing to save: stop now.
            raise SystemExit(0)
        # Before the scheduler reads or writes its tables: a standby touches nothing. A lazy
        # instance (the start-up banner's) sets up nothing and sends nothing: no lock.
        self._beat_lock = None if lazy else beat_lock_from_settings()
        if self._beat_lock is not None:
            LockedDatabaseScheduler._standing_by = True
            try:
                self._beat_lock.wait()
            finally:
                LockedDatabaseScheduler._standing_by = False
        super().__init__(*args, lazy=lazy, **kwargs)
        if self._beat_lock is not None:
            self._beat_lock.renew(now=True)  # reading the schedule may have taken a while
        if settings.REDIS_URL:
            # Tick (and so renew) well within the TTL even when nothing is due.
            longest: float = self.max_interval  # type: ignore[has-type]  # celery is untyped
            self.max_interval = min(longest, settings.BEAT_LOCK_TTL_SECONDS / 3)

    def tick(self, *args, **kwargs):
        if self._beat_lock is not None:
            self._beat_lock.renew()
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._beat_lock is not None:
                self._beat_lock.release()
