"""Idempotency-Keys are kept for their retention, then beat's hourly task forgets them."""

import datetime as dt

import pytest
from django.utils import timezone

from portal.celery import app
from workgroups.models import IdempotencyRecord
from workgroups.services import IDEMPOTENCY_KEEP_FOR
from workgroups.tasks import idempotency_records_purge_task


def _record(key: str, *, age: dt.timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        scope="org:test",
        key=key,
        method="POST",
        path="/api/v1/projects/",
        request_hash="0" * 64,
        status_code=201,
        response_body={"ok": True},
        created_at=timezone.now() - age,
    )


@pytest.mark.django_db
def test_the_purge_task_deletes_records_past_the_retention_and_keeps_newer_ones():
    _record("expired", age=IDEMPOTENCY_KEEP_FOR + dt.timedelta(minutes=1))
    _record("long-expired", age=IDEMPOTENCY_KEEP_FOR * 4)
    _record("almost-expired", age=IDEMPOTENCY_KEEP_FOR - dt.timedelta(minutes=1))
    _record("fresh", age=dt.timedelta(seconds=1))

    assert idempotency_records_purge_task.apply().get() == 2
    kept = set(IdempotencyRecord.objects.values_list("key", flat=True))
    assert kept == {"almost-expired", "fresh"}
    assert idempotency_records_purge_task.apply().get() == 0  # idempotent


def test_beat_runs_the_purge_task_every_hour(settings):
    app.loader.import_default_modules()
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == idempotency_records_purge_task.name
    ]
    assert entries == [{"task": "workgroups.idempotency_records_purge", "schedule": 3600.0}]
    assert idempotency_records_purge_task.name in app.tasks
