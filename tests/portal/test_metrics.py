"""/metrics: only for the token's bearer or an allowed network; after some traffic it exposes
every series the operations runbook and the alert rules rely on."""

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY, Counter
from prometheus_client.parser import text_string_to_metric_families

from applications.models import Escalation, ServiceApplication
from notifications.constants import Channel, DeliveryStatus, NoticeStatus
from notifications.models import Delivery, DemandNotice, DemandSignal, WebhookEndpoint
from notifications.services import facts_process
from portal.models import PeriodicTaskRun
from portal.observability.periodic import periodic_task_names
from workgroups.models import Organization, Town

TOKEN = "metrics-test-token-5d1f"
BASE_DIR = Path(__file__).resolve().parents[2]
# Counted by other modules into the default registry once they have something to count.
COUNTED_ELSEWHERE = {"portal_redis_fallbacks_total"}


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.ROOT_URLCONF = "tests.portal.urls"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scrape(client) -> list:
    """Every sample /metrics exposes."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    # The classic text format: Prometheus 2.x (Debian's) and 3.x both read it.
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    families = text_string_to_metric_families(response.content.decode())
    return [sample for family in families for sample in family.samples]


def names(samples) -> set[str]:
    return {sample.name for sample in samples}


def value(samples, name: str, **labels) -> float:
    matching = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert matching, f"no {name} sample with {labels}"
    return sum(matching)


def test_metrics_are_off_without_a_token_or_network(settings, client):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_metrics_refuse_a_caller_without_the_token(metrics_on, client, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    assert client.get("/metrics", **headers).status_code == 403


def test_metrics_answer_an_allowed_network_without_a_token(settings, client):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.0/8"]

    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.9").status_code == 403


@pytest.fixture
def busy(metrics_on, client, submit, reference):
    """Some traffic and one of everything the metrics count; returns the objects involved."""
    # Requests: a page, an API error, a failing view.
    client.get("/")
    client.get("/api/v1/no-such-endpoint/")
    client.raise_request_exception = False
    assert client.get("/test-boom").status_code == 500
    # Data: an overdue case, an open escalation, an unacknowledged notice, deliveries.
    combined = submit(["water"])
    case = ServiceApplication.objects.get(combined=combined)
    now = timezone.now()
    ServiceApplication.objects.filter(pk=case.pk).update(due_at=now - dt.timedelta(days=1))
    Escalation.objects.create(
        service_application=case, stage="submitted", breached_due_at=now - dt.timedelta(days=1)
    )
    operator = case.operator
    signal = DemandSignal.objects.create(
        kind="land_sale", source_organization=operator, title="地块", town=Town.objects.first()
    )
    DemandNotice.objects.create(signal=signal, operator=operator, status=NoticeStatus.NEW)
    endpoint = WebhookEndpoint.objects.create(
        organization=operator, url="https://hooks.example.cn/portal", secret="s"
    )
    for key, status, attempts in [
        ("retrying", DeliveryStatus.PENDING, 2),
        ("parked", DeliveryStatus.FAILED, 8),
    ]:
        Delivery.objects.create(
            event_id=uuid.uuid4(), event_type="work_item.assigned", channel=Channel.WEBHOOK,
            recipient_organization=operator, endpoint=endpoint, idempotency_key=key,
            status=status, attempts=attempts, next_attempt_at=now - dt.timedelta(minutes=5),
        )  # fmt: skip
    for task in periodic_task_names():
        PeriodicTaskRun.objects.create(
            task=task,
            first_seen_at=now,
            last_sent_at=now,
            last_finished_at=now,
            runs=3,
            duration_total=1.5,
            last_duration=0.5,
            last_result={"opened": 1, "climbed": 0} if task == "applications.sla_sweep" else {},
            result_totals={"opened": 4, "climbed": 2} if task == "applications.sla_sweep" else {},
        )

    return {"endpoint": endpoint, "operator": operator}


def test_metrics_expose_each_series_after_traffic(busy, client):
    endpoint, operator = busy["endpoint"], busy["operator"]
    s = scrape(client)

    # Requests by route (the URL pattern's name), 5xx counted.
    assert value(s, "portal_http_request_duration_seconds_count", route="home") >= 1
    assert value(s, "portal_http_requests_total", route="test-boom", status="5xx") == 1
    routes = {x.labels["route"] for x in s if x.name == "portal_http_requests_total"}
    assert not [route for route in routes if "/" in route], "raw paths leak into labels"
    # The outbox.
    webhook = {"channel": "webhook", "endpoint": str(endpoint.uuid)}
    assert value(s, "portal_deliveries", state="pending", **webhook) == 1
    assert value(s, "portal_deliveries", state="failed", **webhook) == 1
    assert value(s, "portal_deliveries_retrying", **webhook) == 1
    assert value(s, "portal_deliveries_parked") == 1
    assert value(s, "portal_delivery_oldest_due_age_seconds") >= 300
    assert value(s, "portal_delivery_oldest_pending_age_seconds") >= 0
    # The fact reader: behind until it runs.
    assert value(s, "portal_fact_reader_unread_facts", cursor="state_changes") >= 1
    assert value(s, "portal_fact_reader_lag_seconds", cursor="state_changes") >= 0
    # Cases.
    assert value(s, "portal_escalations_open", tier="1", status="open") == 1
    assert value(s, "portal_cases_overdue", workgroup="water") == 1
    assert value(s, "portal_cases_overdue", workgroup="gas") == 0
    assert value(s, "portal_demand_notices_unacknowledged", operator=operator.code) == 1
    assert value(s, "portal_demand_notice_oldest_unacknowledged_age_seconds") >= 0
    # Periodic tasks, the sweep's duration and counts among them.
    sweep = {"task": "applications.sla_sweep"}
    assert value(s, "portal_periodic_task_duration_seconds_count", **sweep) == 3
    assert value(s, "portal_periodic_task_duration_seconds_sum", **sweep) == 1.5
    assert value(s, "portal_periodic_task_results_total", key="opened", **sweep) == 4
    assert value(s, "portal_periodic_task_last_result", key="opened", **sweep) == 1
    assert value(s, "portal_periodic_task_last_duration_seconds", **sweep) == 0.5
    assert value(s, "portal_periodic_task_interval_seconds", **sweep) == 300
    assert value(s, "portal_periodic_task_seconds_late", **sweep) < 0
    assert value(s, "portal_periodic_task_failures_total", **sweep) == 0
    assert {
        "portal_periodic_task_last_run_timestamp_seconds",
        "portal_periodic_task_last_sent_timestamp_seconds",
    } <= names(s)
    # Redis: up, and the Celery queue lengths; the database; the holiday calendar.
    assert value(s, "portal_redis_up") == 1
    assert value(s, "portal_celery_queue_length", queue="celery") >= 0
    assert value(s, "portal_database_up") == 1
    assert value(s, "portal_calendar_covered_until_year") >= 2026

    facts_process()

    assert value(scrape(client), "portal_fact_reader_unread_facts") == 0


def test_every_series_the_alert_rules_use_is_exposed(busy, client):
    rules = (BASE_DIR / "deploy" / "prometheus" / "alerts.yml").read_text()
    used = set(re.findall(r"\bportal_[a-z_]+", rules))
    assert used - names(scrape(client)) - COUNTED_ELSEWHERE == set()


def test_counters_of_the_default_registry_are_exposed(metrics_on, client, db):
    """Other modules count into the default registry (the Redis fallbacks, say)."""
    counter = Counter("portal_test_fallbacks", "A counter registered by another module.")
    try:
        counter.inc(3)
        samples = scrape(client)
    finally:
        REGISTRY.unregister(counter)

    assert value(samples, "portal_test_fallbacks_total") == 3


def test_metrics_report_redis_down_and_keep_the_rest(metrics_on, settings, client, db):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    samples = scrape(client)

    assert value(samples, "portal_redis_up") == 0
    assert "portal_celery_queue_length" not in names(samples)
    assert value(samples, "portal_database_up") == 1


def test_the_collector_runs_a_fixed_number_of_queries(
    metrics_on, client, submit, django_assert_max_num_queries
):
    for utilities in (["water"], ["gas", "electricity"]):
        submit(utilities)
    scrape(client)  # warm: the first scrape may read the beat schedule's tables lazily
    from portal.observability.queries import FACT_SOURCES

    # A fixed handful, plus one look-up per fact table the reader follows.
    with django_assert_max_num_queries(13 + len(FACT_SOURCES)):
        scrape(client)


def test_the_fact_sources_match_the_cursors_of_the_reader(submit):
    from notifications.models import FactCursor
    from portal.observability.queries import FACT_SOURCES

    submit(["water"])
    facts_process()

    assert {name for name, _, _ in FACT_SOURCES} == set(
        FactCursor.objects.values_list("name", flat=True)
    )


def test_only_the_organization_label_names_an_endpoint_owner(metrics_on, client, reference):
    """Labels carry codes and public ids, never names or URLs (they end up in alert e-mails)."""
    operator = Organization.objects.first()
    endpoint = WebhookEndpoint.objects.create(
        organization=operator, url="https://secret-host.example.cn/x", secret="s"
    )
    Delivery.objects.create(
        event_id=uuid.uuid4(), event_type="work_item.assigned", channel=Channel.WEBHOOK,
        recipient_organization=operator, endpoint=endpoint, idempotency_key="k",
    )  # fmt: skip

    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    assert "secret-host" not in text
    assert f'organization="{operator.code}"' in text


def test_gunicorn_workers_add_up_their_counts_in_multiprocess_mode(db, tmp_path):
    """The compose file's web service: gunicorn's processes count into one exposition. One
    worker replaced every 5 requests: the scrape is answered by a process that served none of
    the counted requests, which only the shared folder can tell it about."""
    from django.db import connection

    port = free_port()
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings.test",
        DATABASE_URL=database_url,
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
    )
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--max-requests", "5", "--preload", "--no-control-socket"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:  # knocking on /metrics without the token: 403 once up
            try:
                urllib.request.urlopen(f"{base}/metrics", timeout=10).close()  # noqa: S310
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)

        for _ in range(12):
            urllib.request.urlopen(f"{base}/healthz", timeout=10).close()  # noqa: S310
        scrapes = []
        for _ in range(3):
            request = urllib.request.Request(  # noqa: S310 - local server
                f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                text = response.read().decode()
            families = text_string_to_metric_families(text)
            scrapes.append([sample for family in families for sample in family.samples])
    finally:
        server.terminate()
        server.wait(20)

    assert len(list(multiproc.glob("counter_*.db"))) >= 3  # one file per process
    for samples in scrapes:
        assert value(samples, "portal_http_requests_total", route="healthz") == 12
        assert value(samples, "portal_database_up") == 1


def test_a_token_with_odd_characters_is_refused_not_an_error(metrics_on, client):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t\u00f6ken\u00ff")

    assert response.status_code == 403


def test_queue_lengths_cover_the_queues_tasks_are_routed_to(settings):
    from portal.celery import app
    from portal.observability.collector import celery_queues

    routes = {"notifications.deliver": {"queue": "webhooks"}}
    with_routes = app.conf.task_routes
    app.conf.task_routes = routes
    try:
        assert celery_queues() == ["celery", "webhooks"]
        app.conf.task_routes = (routes, lambda *args, **kwargs: None)
        assert celery_queues() == ["celery", "webhooks"]
    finally:
        app.conf.task_routes = with_routes
