"""The Prometheus collector run at each scrape: the outbox, the fact reader, escalations,
overdue cases, demand notices and periodic tasks from PostgreSQL (queries.py: a fixed number of
aggregate queries), Celery's queue lengths from Redis, and the holiday calendar's coverage.

These live in the database and Redis, not in one process, so every web process reports the same
values and nothing is lost when a worker restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)

from applications.constants import Utility
from workgroups.calendar import local_date

from ..models import PeriodicTaskRun
from . import periodic, queries
from .readiness import redis_client

logger = logging.getLogger(__name__)

# kombu's Redis transport keeps messages sent with a priority in sibling lists.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)


def celery_queues() -> list[str]:
    """The queues the workers consume: the default one and any the settings route to."""
    from portal.celery import app

    conf = app.conf
    names = {conf.task_default_queue or "celery"}
    names.update(queue.name for queue in conf.task_queues or ())
    routes = conf.task_routes or ()
    for table in [routes] if isinstance(routes, dict) else routes:
        if isinstance(table, dict):
            names.update(
                route["queue"]
                for route in table.values()
                if isinstance(route, dict) and isinstance(route.get("queue"), str)
            )
    return sorted(names)


class PortalCollector:
    """Collected at scrape time; see the module docstring."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield from self._database(now)
        yield from self._redis()
        covered = GaugeMetricFamily(
            "portal_calendar_covered_until_year",
            "Last year (from the current one on) the installed holiday calendar covers.",
        )
        covered.add_metric([], queries.calendar_covered_until(local_date(now).year))
        yield covered

    def _database(self, now) -> Iterator[Metric]:
        up = GaugeMetricFamily("portal_database_up", "1 if the metrics queries ran.")
        try:
            with queries.time_limited(settings.METRICS_QUERY_TIMEOUT_SECONDS):
                families = [
                    *_deliveries(now),
                    *_fact_reader(now),
                    *_cases(now),
                    *_periodic(now),
                ]
        except Exception:
            logger.warning("metrics: database queries failed", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _redis(self) -> Iterator[Metric]:
        url = settings.CELERY_BROKER_URL
        if not str(url).startswith(("redis://", "rediss://")):
            return
        up = GaugeMetricFamily("portal_redis_up", "1 if the Celery broker (Redis) answered.")
        lengths = GaugeMetricFamily(
            "portal_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        queues = celery_queues()
        client = redis_client(url, settings.HEALTH_CHECK_TIMEOUT_SECONDS)
        try:
            pipe = client.pipeline(transaction=False)
            for queue in queues:
                pipe.llen(queue)
                for step in _PRIORITY_STEPS:
                    pipe.llen(f"{queue}{_PRIORITY_SEPARATOR}{step}")
            counts = pipe.execute()
        except Exception:
            logger.warning("metrics: Redis did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        finally:
            client.close()
        up.add_metric([], 1)
        per_queue = len(_PRIORITY_STEPS) + 1
        for index, queue in enumerate(queues):
            lengths.add_metric([queue], sum(counts[index * per_queue : (index + 1) * per_queue]))
        yield up
        yield lengths


def _age(now, moment) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0


def _deliveries(now) -> list[Metric]:
    by_state = GaugeMetricFamily(
        "portal_deliveries",
        "Deliveries not delivered yet (pending, parked), by state, channel and webhook endpoint.",
        labels=["state", "channel", "endpoint", "organization"],
    )
    retrying = GaugeMetricFamily(
        "portal_deliveries_retrying",
        "Pending deliveries that have failed at least once, by channel and webhook endpoint.",
        labels=["channel", "endpoint", "organization"],
    )
    parked = GaugeMetricFamily(
        "portal_deliveries_parked", "Deliveries parked as failed after the allowed attempts."
    )
    oldest_due = GaugeMetricFamily(
        "portal_delivery_oldest_due_age_seconds",
        "How long the longest-waiting due delivery has been due (0: none waiting).",
    )
    oldest_pending = GaugeMetricFamily(
        "portal_delivery_oldest_pending_age_seconds",
        "Age of the oldest pending delivery, retries included (0: none pending).",
    )
    groups = queries.unsent_deliveries()
    for group in groups:
        labels = [group.channel, group.endpoint, group.organization]
        by_state.add_metric([group.state, *labels], group.count)
        if group.retrying:
            retrying.add_metric(labels, group.retrying)
    next_due = min((g.next_due for g in groups if g.next_due), default=None)
    created = min((g.oldest_created for g in groups if g.oldest_created), default=None)
    parked.add_metric([], sum(g.count for g in groups if g.state == "failed"))
    oldest_due.add_metric([], _age(now, next_due))
    oldest_pending.add_metric([], _age(now, created))
    return [by_state, retrying, parked, oldest_due, oldest_pending]


def _fact_reader(now) -> list[Metric]:
    unread = GaugeMetricFamily(
        "portal_fact_reader_unread_facts",
        "Facts the notifications engine has not turned into messages yet, by fact table.",
        labels=["cursor"],
    )
    lag = GaugeMetricFamily(
        "portal_fact_reader_lag_seconds",
        "Age of the oldest fact not turned into messages yet, by fact table (0: none).",
        labels=["cursor"],
    )
    for entry in queries.fact_reader_lag():
        unread.add_metric([entry.cursor], entry.unread)
        lag.add_metric([entry.cursor], _age(now, entry.oldest_unread_at))
    return [unread, lag]


def _cases(now) -> list[Metric]:
    escalations = GaugeMetricFamily(
        "portal_escalations_open",
        "Unresolved escalations, by tier and status (open, acknowledged).",
        labels=["tier", "status"],
    )
    for row in queries.open_escalations():
        escalations.add_metric([str(row["tier"]), row["status"]], row["count"])
    overdue = GaugeMetricFamily(
        "portal_cases_overdue",
        "Cases past their working-day deadline in a running stage, by workgroup.",
        labels=["workgroup"],
    )
    counts = queries.overdue_cases(now=now)
    for code in sorted(set(Utility.values) | set(counts)):
        overdue.add_metric([code], counts.get(code, 0))
    notices = GaugeMetricFamily(
        "portal_demand_notices_unacknowledged",
        "Early demand notices no one at the operator has acknowledged, by operator.",
        labels=["operator"],
    )
    oldest_notice = GaugeMetricFamily(
        "portal_demand_notice_oldest_unacknowledged_age_seconds",
        "Age of the oldest unacknowledged demand notice (0: none).",
    )
    rows = queries.unacknowledged_notices()
    for row in rows:
        notices.add_metric([row["operator"]], row["count"])
    oldest = min((row["oldest"] for row in rows), default=None)
    oldest_notice.add_metric([], _age(now, oldest))
    return [escalations, overdue, notices, oldest_notice]


def _periodic(now) -> list[Metric]:
    labels = ["task"]
    last_run = GaugeMetricFamily(
        "portal_periodic_task_last_run_timestamp_seconds",
        "When a worker last finished the periodic task (Unix time).",
        labels=labels,
    )
    last_sent = GaugeMetricFamily(
        "portal_periodic_task_last_sent_timestamp_seconds",
        "When beat last sent the periodic task (Unix time).",
        labels=labels,
    )
    interval = GaugeMetricFamily(
        "portal_periodic_task_interval_seconds", "The task's schedule interval.", labels=labels
    )
    late = GaugeMetricFamily(
        "portal_periodic_task_seconds_late",
        "Seconds past the moment the task's next run should have finished (negative: on time).",
        labels=labels,
    )
    duration = SummaryMetricFamily(
        "portal_periodic_task_duration_seconds",
        "Run time of the periodic task (the SLA sweep's among them).",
        labels=labels,
    )
    last_duration = GaugeMetricFamily(
        "portal_periodic_task_last_duration_seconds",
        "Run time of the task's last run.",
        labels=labels,
    )
    failures = CounterMetricFamily(
        "portal_periodic_task_failures", "Runs of the task that failed.", labels=labels
    )
    results = CounterMetricFamily(
        "portal_periodic_task_results",
        "Sums of the counts the task returned (sla_sweep: opened, climbed, skipped; "
        "process_facts: messages written; dispatch: deliveries handed out).",
        labels=["task", "key"],
    )
    last_result = GaugeMetricFamily(
        "portal_periodic_task_last_result",
        "The counts the task's last run returned.",
        labels=["task", "key"],
    )
    runs = {run.task: run for run in PeriodicTaskRun.objects.all()}
    for entry in periodic.lateness(now=now, runs=runs):
        task = [entry.task]
        if entry.every is not None:
            interval.add_metric(task, entry.every)
        late.add_metric(task, entry.seconds_late)  # +Inf: beat has never scheduled it
    for name, run in sorted(runs.items()):
        task = [name]
        if run.last_finished_at:
            last_run.add_metric(task, run.last_finished_at.timestamp())
        if run.last_sent_at:
            last_sent.add_metric(task, run.last_sent_at.timestamp())
        duration.add_metric(task, count_value=run.runs, sum_value=run.duration_total)
        if run.last_duration is not None:
            last_duration.add_metric(task, run.last_duration)
        failures.add_metric(task, run.failures)
        for key, value in sorted(run.result_totals.items()):
            results.add_metric([name, key], value)
        for key, value in sorted(run.last_result.items()):
            last_result.add_metric([name, key], value)
    return [
        last_run,
        last_sent,
        interval,
        late,
        duration,
        last_duration,
        failures,
        results,
        last_result,
    ]
