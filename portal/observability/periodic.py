"""The periodic tasks (CELERY_BEAT_SCHEDULE, as adjusted in the admin) and their last runs.

Beat records when it sends each one and a worker when it finishes it (portal/celery.py connects
the signals to `task_sent` and `task_finished`), one small row per task in `PeriodicTaskRun`.
Readiness and the metrics compare those moments with the schedule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from celery.schedules import BaseSchedule, maybe_schedule
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ..models import PeriodicTaskRun


def periodic_task_names() -> set[str]:
    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def schedules() -> dict[str, BaseSchedule]:
    """Task name -> its schedule now: the beat table's row when beat has written it (staff may
    change the interval in the admin), the settings' default otherwise; disabled tasks are left
    out, since nobody expects them to run."""
    configured = settings.CELERY_BEAT_SCHEDULE
    rows = {row.name: row for row in PeriodicTask.objects.filter(name__in=list(configured))}
    found: dict[str, BaseSchedule] = {}
    for name, entry in configured.items():
        row = rows.get(name)
        if row is not None and not row.enabled:
            continue
        found[entry["task"]] = (
            row.schedule if row is not None else maybe_schedule(entry["schedule"])
        )
    return found


def interval_seconds(schedule: BaseSchedule) -> float | None:
    every = getattr(schedule, "run_every", None)
    return every.total_seconds() if isinstance(every, dt.timedelta) else None


def seconds_late(schedule: BaseSchedule, last: dt.datetime, now: dt.datetime) -> float:
    """How long past its next due moment a task whose last run was `last` is (<= 0: not late)."""
    every = interval_seconds(schedule)
    if every is not None:
        return (now - last).total_seconds() - every
    return -schedule.remaining_estimate(last).total_seconds()


@dataclass(frozen=True)
class TaskLateness:
    task: str
    every: float | None
    last_run: dt.datetime | None
    last_sent: dt.datetime | None
    seconds_late: float


def lateness(
    *, now: dt.datetime, runs: dict[str, PeriodicTaskRun] | None = None
) -> list[TaskLateness]:
    """Each scheduled task with how late its next run is; a task beat never recorded is late
    without end (inf)."""
    if runs is None:
        runs = {run.task: run for run in PeriodicTaskRun.objects.all()}
    result = []
    for task, schedule in sorted(schedules().items()):
        run = runs.get(task)
        last = (run.last_finished_at or run.first_seen_at) if run is not None else None
        late = seconds_late(schedule, last, now) if last is not None else float("inf")
        result.append(
            TaskLateness(
                task=task,
                every=interval_seconds(schedule),
                last_run=run.last_finished_at if run is not None else None,
                last_sent=run.last_sent_at if run is not None else None,
                seconds_late=late,
            )
        )
    return result


def beat_started(*, now: dt.datetime | None = None) -> None:
    """Beat has started: a task it has never sent is measured from now, not from the epoch."""
    now = now or timezone.now()
    for task in periodic_task_names():
        PeriodicTaskRun.objects.get_or_create(task=task, defaults={"first_seen_at": now})


def task_sent(*, task: str, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    if not PeriodicTaskRun.objects.filter(task=task).update(last_sent_at=now):
        PeriodicTaskRun.objects.get_or_create(
            task=task, defaults={"first_seen_at": now, "last_sent_at": now}
        )


def result_counts(result: object) -> dict[str, int]:
    """The counts a task returned: an int, or a dict of ints (the sweep's opened/climbed)."""
    if isinstance(result, int) and not isinstance(result, bool):
        return {"value": result}
    if isinstance(result, dict):
        return {
            str(key): value
            for key, value in result.items()
            if isinstance(value, int) and not isinstance(value, bool)
        }
    return {}


@transaction.atomic
def task_finished(
    *, task: str, state: str, duration: float, result: object, now: dt.datetime | None = None
) -> None:
    now = now or timezone.now()
    counts = result_counts(result)
    run, _ = PeriodicTaskRun.objects.select_for_update().get_or_create(
        task=task, defaults={"first_seen_at": now}
    )
    totals = dict(run.result_totals)
    for key, value in counts.items():
        totals[key] = totals.get(key, 0) + value
    PeriodicTaskRun.objects.filter(pk=run.pk).update(
        last_finished_at=now,
        last_state=state[:20],
        last_duration=duration,
        last_result=counts,
        runs=F("runs") + 1,
        failures=F("failures") + (0 if state == "SUCCESS" else 1),
        duration_total=F("duration_total") + duration,
        result_totals=totals,
    )


def last_beat_send() -> dt.datetime | None:
    """When beat last sent any periodic task."""
    return PeriodicTaskRun.objects.aggregate(last=Max("last_sent_at"))["last"]
