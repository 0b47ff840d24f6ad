"""/healthz is a liveness check that needs nothing; /readyz names each dependency that fails."""

import datetime as dt
import logging
import socket
import time

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from notifications.constants import Channel, DeliveryStatus
from notifications.models import Delivery
from portal.models import PeriodicTaskRun
from portal.observability.periodic import periodic_task_names
from workgroups.models import Organization

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# A day the installed holiday calendar covers, far from the year's end.
MIDSUMMER = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _world(reference):
    """Readiness reads the working-day calendar: the tests' world, loaded again when a
    transactional test (a browser walk) has flushed the database before."""


@pytest.fixture
def database_down(monkeypatch, django_db_blocker):
    """The default database pointed at a closed port, for the length of the test."""
    with django_db_blocker.unblock():
        connection.close()
        monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(connection.settings_dict, "PORT", str(closed_port()))
        yield
        connection.close()
    monkeypatch.undo()


@pytest.fixture
def now(time_machine):
    time_machine.move_to(MIDSUMMER, tick=True)
    return timezone.now()


@pytest.fixture
def beat_on_time(db, now):
    """Every periodic task finished a run just now."""
    for task in periodic_task_names():
        PeriodicTaskRun.objects.update_or_create(
            task=task,
            defaults={"first_seen_at": now, "last_sent_at": now, "last_finished_at": now},
        )


def readyz(client: Client):
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_healthz_answers_json_while_the_database_is_unreachable(database_down, client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_answers_any_host_over_plain_http(settings, client):
    """Probes come by container address, not through the TLS proxy."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.gov.cn"]

    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == 200


@pytest.mark.usefixtures("beat_on_time")
def test_ready_when_every_dependency_answers(client):
    status, body = readyz(client)

    assert (status, body["status"], body["failing"]) == (200, "ok", [])
    assert set(body["checks"]) == {
        "postgres",
        "redis",
        "worker",
        "beat",
        "fact_reader",
        "calendar",
    }


def test_readyz_names_postgres_when_the_database_is_unreachable(database_down, client, now):
    started = time.monotonic()
    status, body = readyz(client)

    assert status == 503
    assert body["failing"] == ["postgres"]
    assert body["checks"]["postgres"] == {"ok": False, "error": "OperationalError"}
    assert body["skipped"] == ["worker", "beat", "fact_reader", "calendar"]
    assert body["checks"]["redis"]["ok"] is True
    assert time.monotonic() - started < 5


@pytest.mark.usefixtures("beat_on_time")
def test_readyz_names_redis_when_it_is_unreachable(settings, client):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    status, body = readyz(client)

    assert status == 503
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}


@pytest.mark.usefixtures("beat_on_time")
def test_readyz_names_the_worker_when_a_due_delivery_waits_too_long(settings, client, now):
    settings.HEALTH_MAX_DELIVERY_DELAY_SECONDS = 120
    org = Organization.objects.first()
    fresh = dict(
        event_type="work_item.assigned", channel=Channel.IN_APP, recipient_organization=org
    )
    Delivery.objects.create(
        **fresh, event_id="00000000-0000-0000-0000-000000000001", idempotency_key="fresh",
        next_attempt_at=now - dt.timedelta(seconds=60),
    )  # fmt: skip
    assert readyz(client)[0] == 200

    Delivery.objects.create(
        **fresh, event_id="00000000-0000-0000-0000-000000000002", idempotency_key="stale",
        next_attempt_at=now - dt.timedelta(seconds=600),
    )  # fmt: skip
    status, body = readyz(client)

    assert status == 503
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["oldest_due_age_seconds"] >= 600


@pytest.mark.usefixtures("beat_on_time")
def test_a_parked_or_future_delivery_does_not_count_as_a_stalled_worker(client, now):
    org = Organization.objects.first()
    for key, status, due in [
        ("later", DeliveryStatus.PENDING, now + dt.timedelta(hours=1)),
        ("parked", DeliveryStatus.FAILED, now - dt.timedelta(days=3)),
    ]:
        Delivery.objects.create(
            event_id="00000000-0000-0000-0000-000000000003", event_type="work_item.assigned",
            channel=Channel.IN_APP, recipient_organization=org, idempotency_key=key,
            status=status, next_attempt_at=due,
        )  # fmt: skip

    assert readyz(client)[0] == 200


@pytest.mark.usefixtures("beat_on_time")
def test_readyz_names_beat_when_a_periodic_task_has_not_run_for_too_long(settings, client, now):
    settings.HEALTH_PERIODIC_GRACE_SECONDS = 120
    sweep_every = settings.CELERY_BEAT_SCHEDULE["sla-sweep"]["schedule"]
    PeriodicTaskRun.objects.filter(task="applications.sla_sweep").update(
        last_finished_at=now - dt.timedelta(seconds=sweep_every + 60)
    )
    assert readyz(client)[0] == 200

    PeriodicTaskRun.objects.filter(task="applications.sla_sweep").update(
        last_finished_at=now - dt.timedelta(seconds=sweep_every + 600)
    )
    status, body = readyz(client)

    assert status == 503
    assert body["failing"] == ["beat"]
    late = body["checks"]["beat"]["late"]
    assert list(late) == ["applications.sla_sweep"]
    # The clock ticks (tick=True): on a loaded machine a second or two passes before the probe.
    assert 600 <= late["applications.sla_sweep"]["seconds_late"] < 610


@pytest.mark.usefixtures("beat_on_time")
def test_readyz_names_beat_when_it_never_scheduled_a_task(client):
    PeriodicTaskRun.objects.filter(task="notifications.dispatch").delete()

    status, body = readyz(client)

    assert status == 503
    assert body["failing"] == ["beat"]
    assert body["checks"]["beat"]["late"]["notifications.dispatch"]["seconds_late"] is None


@pytest.mark.usefixtures("beat_on_time")
def test_a_task_disabled_in_the_admin_is_not_expected_to_run(client):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = IntervalSchedule.objects.create(every=300, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="sla-sweep", task="applications.sla_sweep", interval=every, enabled=False
    )
    PeriodicTaskRun.objects.filter(task="applications.sla_sweep").delete()

    assert readyz(client)[0] == 200


def test_readyz_names_the_calendar_when_it_lacks_this_years_holidays(db, client, time_machine):
    time_machine.move_to(dt.datetime(2099, 6, 15, 10, tzinfo=SHANGHAI), tick=True)
    for task in periodic_task_names():
        PeriodicTaskRun.objects.create(
            task=task, first_seen_at=timezone.now(), last_finished_at=timezone.now()
        )

    status, body = readyz(client)

    assert status == 503
    assert body["failing"] == ["calendar"]
    assert body["checks"]["calendar"]["years_missing"] == [2099]


def test_readyz_warns_from_november_while_next_year_is_missing(db, client, time_machine):
    from workgroups.calendar import forget_cached_years
    from workgroups.models import CalendarDay

    time_machine.move_to(dt.datetime(2026, 11, 2, 10, tzinfo=SHANGHAI), tick=True)
    for task in periodic_task_names():
        PeriodicTaskRun.objects.create(
            task=task, first_seen_at=timezone.now(), last_finished_at=timezone.now()
        )
    assert readyz(client)[1]["checks"]["calendar"]["warning"] is False
    CalendarDay.objects.filter(day__year=2027).delete()
    forget_cached_years()

    status, body = readyz(client)

    # A warning, not a failure: the site keeps serving, deadlines into 2027 are refused.
    assert status == 200
    assert body["checks"]["calendar"] == {
        "ok": True,
        "years_missing": [],
        "warning": True,
        "next_year_missing": 2027,
    }


def test_readyz_names_the_fact_reader_when_facts_wait_unread(
    settings, client, submit, time_machine, now
):
    from notifications.services import facts_process

    settings.HEALTH_MAX_FACT_LAG_SECONDS = 120
    submit(["water"])  # one StateChange (submitted) and a Project, both unread
    time_machine.move_to(now + dt.timedelta(minutes=10), tick=True)
    for task in periodic_task_names():
        PeriodicTaskRun.objects.update_or_create(
            task=task, defaults={"first_seen_at": now, "last_finished_at": timezone.now()}
        )

    status, body = readyz(client)

    assert status == 503
    assert body["failing"] == ["fact_reader"]
    cursors = body["checks"]["fact_reader"]["cursors"]
    assert cursors["state_changes"]["unread"] >= 1
    assert cursors["state_changes"]["oldest_unread_age_seconds"] >= 600

    facts_process()

    assert readyz(client)[0] == 200


@pytest.mark.usefixtures("beat_on_time")
def test_a_failing_probe_logs_warnings_not_errors(settings, client, caplog):
    """A probe every 15 s must not turn into an error report every 15 s."""
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    assert readyz(client)[0] == 503

    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("readiness check redis failed" in r.getMessage() for r in caplog.records)
