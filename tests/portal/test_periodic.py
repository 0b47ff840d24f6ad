"""Each periodic task's last send (by beat) and last run (by a worker) are recorded, with its
duration and the counts it returned; `manage.py beat_alive` is beat's health check."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.tasks import process_facts
from portal.models import PeriodicTaskRun
from portal.observability import celery_signals
from portal.observability.periodic import periodic_task_names

pytestmark = pytest.mark.django_db


def test_a_worker_run_of_a_periodic_task_is_recorded(submit):
    submit(["water"])

    process_facts.apply()

    run = PeriodicTaskRun.objects.get(task="notifications.process_facts")
    assert (run.runs, run.failures, run.last_state) == (1, 0, "SUCCESS")
    assert run.last_finished_at is not None and run.last_duration >= 0
    assert run.last_result["value"] > 0  # messages written


def run_signals(task_name: str, *, retval=None, state: str = "SUCCESS") -> None:
    """What a worker's task_prerun and task_postrun signals do around one run."""
    task = _Task(task_name)
    celery_signals.restore_request_id(task_id="t-1", task=task)
    celery_signals.clear_request_id(task_id="t-1", task=task, retval=retval, state=state)


def test_the_sweeps_counts_add_up_over_runs():
    run_signals("applications.sla_sweep", retval={"opened": 2, "climbed": 1})
    run_signals("applications.sla_sweep", retval={"opened": 1, "climbed": 0})

    run = PeriodicTaskRun.objects.get(task="applications.sla_sweep")
    assert run.runs == 2
    assert run.result_totals == {"opened": 3, "climbed": 1}
    assert run.last_result == {"opened": 1, "climbed": 0}


def test_a_failed_run_counts_as_run_and_as_failure():
    run_signals("applications.sla_sweep", retval=RuntimeError("sweep broke"), state="FAILURE")

    run = PeriodicTaskRun.objects.get(task="applications.sla_sweep")
    assert (run.runs, run.failures, run.last_state, run.last_result) == (1, 1, "FAILURE", {})


def test_a_task_that_is_not_periodic_is_not_recorded():
    run_signals("notifications.deliver", retval=3)

    assert not PeriodicTaskRun.objects.exists()


def test_beat_records_its_start_and_each_periodic_task_it_sends(monkeypatch):
    monkeypatch.setattr(celery_signals, "_in_beat", False)
    celery_signals.beat_started()
    assert set(PeriodicTaskRun.objects.values_list("task", flat=True)) == periodic_task_names()
    assert not PeriodicTaskRun.objects.filter(last_sent_at__isnull=False).exists()

    celery_signals.add_request_id(sender="notifications.dispatch", headers={})
    celery_signals.add_request_id(sender="notifications.deliver", headers={})

    sent = PeriodicTaskRun.objects.exclude(last_sent_at=None).values_list("task", flat=True)
    assert list(sent) == ["notifications.dispatch"]


def test_only_beat_records_sends(monkeypatch):
    monkeypatch.setattr(celery_signals, "_in_beat", False)

    celery_signals.add_request_id(sender="notifications.dispatch", headers={})

    assert not PeriodicTaskRun.objects.exists()


def test_beat_alive_fails_until_beat_has_sent_recently():
    with pytest.raises(CommandError, match="not sent"):
        call_command("beat_alive")

    now = timezone.now()
    PeriodicTaskRun.objects.create(
        task="notifications.process_facts",
        first_seen_at=now,
        last_sent_at=now - dt.timedelta(seconds=90),
    )
    with pytest.raises(CommandError, match="90s ago"):
        call_command("beat_alive", "--max-age", "60")

    PeriodicTaskRun.objects.filter().update(last_sent_at=now)
    call_command("beat_alive", "--max-age", "60")


class _Task:
    def __init__(self, name: str) -> None:
        self.name = name
        self.request = type("Request", (), {})()


@pytest.fixture(autouse=True)
def _monkeypatch_in_beat_restored(monkeypatch):
    monkeypatch.setattr(celery_signals, "_in_beat", celery_signals._in_beat)
