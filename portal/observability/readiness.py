"""Readiness: can this portal do its work right now? Each check is small and time-limited;
the answer names every failing one (docs/operations.md, "Health and readiness").

Details returned to the caller are counts, ages and exception class names, never messages:
those can contain host names, so they go to the log.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.retry import Retry

from workgroups.calendar import holiday_data_covers, local_date

from . import periodic, queries

logger = logging.getLogger(__name__)

Result = dict[str, object]


def report(*, now: dt.datetime | None = None) -> dict[str, object]:
    """{"status": "ok"|"fail", "failing": [...], "skipped": [...], "checks": {name: {...}}}"""
    now = now or timezone.now()
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    checks: dict[str, Result] = {"postgres": _run("postgres", _postgres)}
    checks["redis"] = _run("redis", lambda: _redis(timeout))
    database_checks: dict[str, Callable[[], Result]] = {
        "worker": lambda: _worker(now),
        "beat": lambda: _beat(now),
        "fact_reader": lambda: _fact_reader(now),
    }
    if checks["postgres"]["ok"]:
        try:
            with queries.time_limited(timeout):
                for name, check in database_checks.items():
                    checks[name] = _run(name, check, savepoint=True)
        except Exception as exc:  # the transaction itself failed (the connection dropped)
            logger.warning("readiness: database checks failed: %s: %s", type(exc).__name__, exc)
            for name in database_checks:
                checks.setdefault(name, {"ok": False, "error": type(exc).__name__})
    else:
        for name in database_checks:
            checks[name] = {"ok": False, "skipped": "postgres unavailable"}
    checks["calendar"] = _run("calendar", lambda: _calendar(now))
    failing = [
        name for name, result in checks.items() if not result["ok"] and "skipped" not in result
    ]
    skipped = [name for name, result in checks.items() if "skipped" in result]
    return {
        "status": "fail" if failing or skipped else "ok",
        "failing": failing,
        "skipped": skipped,
        "checks": checks,
    }


def _run(name: str, check: Callable[[], Result], *, savepoint: bool = False) -> Result:
    try:
        if savepoint:
            with transaction.atomic():
                return check()
        return check()
    except Exception as exc:
        logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
        return {"ok": False, "error": type(exc).__name__}


def _postgres() -> Result:
    with queries.time_limited(settings.HEALTH_CHECK_TIMEOUT_SECONDS), connection.cursor() as cur:
        cur.execute("SELECT 1")
    return {"ok": True}


def redis_client(url: str, timeout: float) -> redis.Redis:
    """A client that gives up after `timeout` seconds, without retrying."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def _redis(timeout: float) -> Result:
    if not settings.REDIS_URL:
        return {"ok": True, "configured": False}
    client = redis_client(settings.REDIS_URL, timeout)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def _worker(now: dt.datetime) -> Result:
    """The outbox moves: no delivery has been due for longer than the limit."""
    limit = settings.HEALTH_MAX_DELIVERY_DELAY_SECONDS
    oldest = queries.oldest_due_delivery(now=now)
    age = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    return {"ok": age <= limit, "oldest_due_age_seconds": round(age, 1), "limit_seconds": limit}


def _beat(now: dt.datetime) -> Result:
    """Every periodic task finished a run within its interval plus the grace period."""
    grace = settings.HEALTH_PERIODIC_GRACE_SECONDS
    late = {}
    for task in periodic.lateness(now=now):
        if task.seconds_late > grace:
            late[task.task] = {
                "every_seconds": task.every,
                "last_run": task.last_run.isoformat() if task.last_run else None,
                "last_sent_by_beat": task.last_sent.isoformat() if task.last_sent else None,
                "seconds_late": None if math.isinf(task.seconds_late) else round(task.seconds_late),
            }
    return {"ok": not late, "late": late, "grace_seconds": grace}


def _fact_reader(now: dt.datetime) -> Result:
    """The notifications engine turns facts into messages within the limit."""
    limit = settings.HEALTH_MAX_FACT_LAG_SECONDS
    lags = {}
    for lag in queries.fact_reader_lag():
        age = (now - lag.oldest_unread_at).total_seconds() if lag.oldest_unread_at else 0.0
        lags[lag.cursor] = {"unread": lag.unread, "oldest_unread_age_seconds": round(max(age, 0))}
    worst = max((entry["oldest_unread_age_seconds"] for entry in lags.values()), default=0)
    return {"ok": worst <= limit, "cursors": lags, "limit_seconds": limit}


def _calendar(now: dt.datetime) -> Result:
    """chinese_calendar knows this year's holidays, and next year's once it is near."""
    today = local_date(now)
    needed = [today.year]
    if today.month >= settings.HEALTH_CALENDAR_NEXT_YEAR_FROM_MONTH:
        needed.append(today.year + 1)
    missing = [year for year in needed if not holiday_data_covers(year)]
    return {"ok": not missing, "years_needed": needed, "years_missing": missing}
