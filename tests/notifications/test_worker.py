"""The outbox with a real Celery worker process, a real Redis and a real HTTP receiver.

Each test runs its own redis-server on a free port, so it can stop and start it without
touching the machine's Redis, and starts `celery worker` as a separate process group that it
can SIGKILL. Delivery guarantee under test: every message is delivered at least once, with
its event id, and none is left undelivered; receivers dedupe by event id. Where timing is the
point, beat's own periods (CELERY_BEAT_SCHEDULE) drive process_facts and dispatch.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from applications.services import combined_application_submit
from notifications.constants import Channel, DeliveryStatus, EventType
from notifications.models import Delivery, WebhookEndpoint
from portal.celery import app as celery_app
from tests.factories import ProjectFactory, submission
from tests.receiver import Receiver, running
from workgroups.models import Organization

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

BASE_DIR = Path(__file__).resolve().parents[2]
SECRET = "whsec-worker-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, step: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class RedisServer:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is required for the worker tests"
        self.process = subprocess.Popen(  # noqa: S603
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, what="redis-server to start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Worker:
    """`celery -A portal worker` against the test database, in its own process group; by
    default one worker serving both queues (the default one and webhooks)."""

    def __init__(
        self,
        broker_url: str,
        log: Path,
        *,
        queues: str = "celery,webhooks",
        concurrency: int = 4,
        env: dict[str, str] | None = None,
    ) -> None:
        db = connection.settings_dict
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}",
            "REDIS_URL": broker_url,
            "NOTIFICATIONS_ENQUEUE_LEASE_SECONDS": "2",
            "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.3",
            "NOTIFICATIONS_RETRY_MAX_SECONDS": "1",
            "NOTIFICATIONS_MAX_ATTEMPTS": "6",
            **(env or {}),
        }
        self.queues = queues
        self.concurrency = concurrency
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--loglevel",
                "WARNING",
                "--queues",
                self.queues,
                "--concurrency",
                str(self.concurrency),
                "--prefetch-multiplier",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole worker: the parent and its pool processes, mid-flight."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _use_broker(url: str) -> None:
    celery_app.conf.broker_url = url
    # Drop cached connections and producers (what Celery itself does after a fork).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_server, settings):
    """Point this process's Celery producer at the private Redis."""
    previous = celery_app.conf.broker_url
    settings.NOTIFICATIONS_ENQUEUE_LEASE_SECONDS = 2
    _use_broker(redis_server.url)
    yield redis_server
    _use_broker(previous)


@pytest.fixture
def worker(broker, tmp_path):
    started = []

    def start(**options):
        w = Worker(broker.url, tmp_path / "worker.log", **options)
        w.start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


@contextmanager
def beat():
    """Celery beat's schedule for the outbox, from a thread of the test: process_facts and
    dispatch at their production periods, the first of each at once."""
    schedule = settings.CELERY_BEAT_SCHEDULE
    periods = {
        entry["task"]: float(entry["schedule"])
        for key, entry in schedule.items()
        if key in ("process-facts", "dispatch-deliveries")
    }
    stop = threading.Event()

    def tick():
        due = dict.fromkeys(periods, time.monotonic())
        while not stop.is_set():
            for name, period in periods.items():
                if time.monotonic() >= due[name]:
                    celery_app.send_task(name)
                    due[name] += period
            stop.wait(0.1)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def _webhook_rows(endpoints: list[WebhookEndpoint], count: int, tag: str) -> list[Delivery]:
    return Delivery.objects.bulk_create(
        [
            Delivery(
                event_id=uuid.uuid4(),
                event_type=EventType.STATE_CHANGED,
                channel=Channel.WEBHOOK,
                idempotency_key=f"{tag}:{n}",
                recipient_organization=endpoints[n % len(endpoints)].organization,
                endpoint=endpoints[n % len(endpoints)],
                subject=f"event {n}",
                payload={"n": n},
            )
            for n in range(count)
        ]
    )


def dispatch_until_done(timeout: float) -> None:
    """Beat's job in production: hand out due rows until none is pending."""
    from notifications.tasks import dispatch

    def done():
        if not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists():
            return True
        dispatch.delay()
        return False

    wait_for(done, timeout, step=1.0, what="every delivery to be made")


def test_sigkill_mid_delivery_loses_nothing(worker, reference):
    """With the production lease and beat's periods: every row is delivered within a minute of
    the restart, and none is ever sent twice at the same time."""
    production_lease = {"NOTIFICATIONS_ENQUEUE_LEASE_SECONDS": "20"}
    with running(Receiver(SECRET, delay=0.005)) as receiver:
        endpoints = [
            WebhookEndpoint.objects.create(
                organization=Organization.objects.get(code=code), url=receiver.url, secret=SECRET
            )
            for code in ("csg-zhongshan", "zs-water")
        ]
        rows = _webhook_rows(endpoints, 1000, "kill-test")
        expected = sorted(str(r.event_id) for r in rows)

        with beat():
            first = worker(env=production_lease)
            wait_for(lambda: len(receiver.requests) >= 150, 60, what="deliveries to start")
            first.kill()
            sent_before_restart = Delivery.objects.filter(status=DeliveryStatus.SENT).count()
            assert sent_before_restart < 1000, "the kill came too late to test anything"

            worker(env=production_lease)
            restarted = time.monotonic()
            wait_for(
                lambda: not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists(),
                60,
                step=0.5,
                what="every delivery to be made within a minute of the restart",
            )
            recovered_in = time.monotonic() - restarted

    assert receiver.delivered_event_ids() == expected
    assert all(r["valid_signature"] for r in receiver.requests)
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 1000
    assert receiver.concurrent_duplicates == []
    print(f"killed after {sent_before_restart} of 1000; all delivered {recovered_in:.1f} s after")


def test_a_receiver_failing_three_times_gets_it_on_the_fourth_try(worker, reference):
    operator = Organization.objects.get(code="zs-water")
    with running(Receiver(SECRET, script=[500, 500, 500])) as receiver:
        endpoint = WebhookEndpoint.objects.create(
            organization=operator, url=receiver.url, secret=SECRET
        )
        delivery = Delivery.objects.create(
            event_id=uuid.uuid4(),
            event_type=EventType.WORK_ITEM_ASSIGNED,
            channel=Channel.WEBHOOK,
            idempotency_key="retry-test",
            recipient_organization=operator,
            endpoint=endpoint,
            subject="新工单",
        )
        worker()
        dispatch_until_done(timeout=60)
    delivery.refresh_from_db()
    assert delivery.attempts == 4
    assert [r["status"] for r in receiver.requests] == [500, 500, 500, 200]


def test_submissions_succeed_while_redis_is_down_and_are_delivered_after(
    broker, worker, reference, applicant, applicant_org
):
    power = Organization.objects.get(code="csg-zhongshan")
    with running(Receiver(SECRET)) as receiver:
        WebhookEndpoint.objects.create(organization=power, url=receiver.url, secret=SECRET)
        broker.stop()
        combined = []
        for _ in range(5):
            project = ProjectFactory(owner=applicant_org)
            data = submission(applicant, applicant_org, ["electricity", "water"])
            combined.append(
                combined_application_submit(
                    actor=applicant, applicant=applicant_org, project=project, data=data
                )
            )
        assert len(combined) == 5
        broker.start()
        worker()
        from notifications.tasks import process_facts

        wait_for(
            lambda: (
                process_facts.delay()
                and Delivery.objects.filter(
                    event_type=EventType.WORK_ITEM_ASSIGNED, channel=Channel.WEBHOOK
                ).count()
                == 5
            ),
            60,
            step=1.0,
            what="facts to become deliveries",
        )
        dispatch_until_done(timeout=60)
    by_type = {}
    for request in receiver.requests:
        by_type.setdefault(request["json"]["type"], []).append(request["json"]["data"])
    assert {d["reference"] for d in by_type["work_item.assigned"]} == {
        c.reference for c in combined
    }
    # The five new projects reached the operator as early demand notices too (关口前移).
    assert len(by_type["demand_notice.created"]) == 5
    inbox = Delivery.objects.filter(
        recipient_organization=applicant_org, channel=Channel.IN_APP, status=DeliveryStatus.SENT
    )
    assert inbox.count() == 10


def test_a_hanging_endpoint_delays_neither_the_inbox_nor_other_endpoints(
    worker, reference, applicant, applicant_org
):
    """Webhooks on their own workers and at most two lanes per endpoint: with one receiver
    hanging (the circuit breaker kept out of it), a new applicant's inbox message arrives
    within 10 s and another operator's endpoint gets its event as fast as ever."""
    env = {
        "NOTIFICATIONS_ENQUEUE_LEASE_SECONDS": "20",
        # Longer than the test: a lane stays in its first hanging call, so the receiver's
        # count of calls in progress is the number of lanes (a timed-out call would leave the
        # receiver's handler busy after the portal has moved on).
        "NOTIFICATIONS_WEBHOOK_READ_TIMEOUT": "60",
        "NOTIFICATIONS_WEBHOOK_ENDPOINT_CONCURRENCY": "2",
        "NOTIFICATIONS_CIRCUIT_FAILURES": "1000",
    }
    power = Organization.objects.get(code="csg-zhongshan")
    water = Organization.objects.get(code="zs-water")
    with running(Receiver(SECRET)) as healthy, running(Receiver(SECRET, delay=600)) as hanging:
        WebhookEndpoint.objects.create(organization=power, url=healthy.url, secret=SECRET)
        stuck = WebhookEndpoint.objects.create(organization=water, url=hanging.url, secret=SECRET)
        _webhook_rows([stuck], 60, "hanging")
        workers = [
            worker(queues="celery", concurrency=2, env=env),
            worker(queues="webhooks", concurrency=3, env=env),
        ]
        with beat():
            wait_for(lambda: hanging.busy >= 2, 60, what="the hanging endpoint to hold its lanes")
            project = ProjectFactory(owner=applicant_org)
            data = submission(applicant, applicant_org, ["electricity"])
            combined_application_submit(
                actor=applicant, applicant=applicant_org, project=project, data=data
            )
            submitted = time.time()
            inbox = Delivery.objects.filter(
                recipient_organization=applicant_org,
                channel=Channel.IN_APP,
                status=DeliveryStatus.SENT,
            )
            wait_for(inbox.exists, 10, step=0.1, what="the applicant's inbox message")
            inbox_after = inbox.get().sent_at.timestamp() - submitted

            assigned = Delivery.objects.filter(
                endpoint__organization=power, event_type=EventType.WORK_ITEM_ASSIGNED
            )
            wait_for(
                lambda: any(r["json"]["type"] == "work_item.assigned" for r in healthy.requests),
                10,
                step=0.1,
                what="the other operator's webhook",
            )
            received = next(
                r for r in healthy.requests if r["json"]["type"] == "work_item.assigned"
            )
            webhook_after = received["received_at"] - assigned.get().created_at.timestamp()
            hanging_lanes = hanging.max_busy
        for w in workers:
            w.kill()  # its lanes would hang a warm shutdown

    assert inbox_after < 10
    assert webhook_after < 3
    assert hanging_lanes == 2
    assert not Delivery.objects.filter(endpoint=stuck).exclude(status="pending").exists()
    print(
        f"inbox message {inbox_after:.2f} s after the submission; other endpoint "
        f"{webhook_after:.2f} s after its row was written; hanging endpoint held {hanging_lanes}"
    )
