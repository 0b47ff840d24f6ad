"""Several machines: the web tier, the workers and beat as separate processes sharing one
PostgreSQL database, one Redis and one file storage.

- Two gunicorn web processes and two Celery workers: every message is delivered once and every
  missed deadline is escalated once, whichever process took the request or ran the task.
- Two `celery beat` processes: one sends the schedule, the other stands by and takes over when
  the first is killed (portal/beat_lock.py).
- The file storage: the shared file system by default, an S3-compatible bucket when configured.

Each test runs its own redis-server (tests/notifications/test_worker.py) so that nothing else
consumes its queues; the processes use the suite's test database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse

from applications.models import Escalation, EscalationEvent
from notifications.constants import Channel, DeliveryStatus, EventType
from notifications.models import Delivery, DemandNotice, WebhookEndpoint
from portal.beat_lock import LOCK_NAME
from portal.celery import app as celery_app
from portal.settings.base import _file_storage_from_env
from tests.notifications.test_worker import RedisServer, _use_broker, free_port, wait_for
from tests.receiver import Receiver, running
from workgroups.api_tokens import api_token_create
from workgroups.constants import OrganizationKind
from workgroups.models import Organization

BASE_DIR = Path(__file__).resolve().parents[2]
SECRET = "whsec-several-machines"
CST = ZoneInfo("Asia/Shanghai")
SIGNALS = 8  # demand signals posted, alternating between the two web processes
OVERDUE_CASES = 4  # cases past their deadline, for the sweeps


def _process_env(redis_url: str, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "LOG_FORMAT": "plain",
        "LOG_LEVEL": "INFO",
        **extra,
    }


class Process:
    """A server process in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = folder / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv
            self.argv,
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def terminate(self) -> None:
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local test URL
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def machines(django_db_setup, tmp_path_factory):
    """A private Redis, two gunicorn web processes and two Celery workers (each also serving a
    queue of its own, so the test can make both sweep at once)."""
    folder = tmp_path_factory.mktemp("machines")
    redis = RedisServer(folder)
    redis.start()
    env = _process_env(redis.url)
    webs = []
    for n in (1, 2):
        port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "portal.wsgi", f"--bind=127.0.0.1:{port}"]
        # --preload: Django starts once per web process, then its two workers fork.
        argv += ["--workers=2", "--preload", "--no-control-socket", "--graceful-timeout=5"]
        web = Process(f"web{n}", argv, env, folder).start()
        web.url = f"http://127.0.0.1:{port}"
        webs.append(web)
    workers = [
        Process(
            f"worker{n}",
            [sys.executable, "-m", "celery", "-A", "portal", "worker", f"--hostname=worker{n}@%h"]
            + [f"--queues=celery,webhooks,sweep-{n}", "--concurrency=2", "--loglevel=INFO"]
            + ["--prefetch-multiplier=1", "--without-gossip", "--without-mingle"],
            env,
            folder,
        ).start()
        for n in (1, 2)
    ]
    previous = celery_app.conf.broker_url
    _use_broker(redis.url)
    try:
        for web in webs:
            wait_for(lambda w=web: _answers(f"{w.url}/healthz"), 120, what=f"{web.name} to answer")
        for worker in workers:
            wait_for(lambda w=worker: " ready." in w.log(), 120, what=f"{worker.name} to start")
        yield SimpleNamespace(webs=webs, workers=workers, redis=redis, folder=folder)
    finally:
        _use_broker(previous)
        # Drained by the test (nothing queued or running): no need to wait for a warm stop.
        for process in (*webs, *workers):
            process.kill()
        redis.stop()


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - local test URL
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        return response.status, json.loads(response.read())


class Ticker:
    """What beat does in production, from a thread of the test, faster: facts every second,
    dispatch and the SLA sweep every two seconds, the sweep three times at once on each
    worker's own queue."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            celery_app.send_task("notifications.process_facts")
            if n % 2 == 0:
                celery_app.send_task("notifications.dispatch")
                for _ in range(3):
                    for queue in ("sweep-1", "sweep-2"):
                        celery_app.send_task("applications.sla_sweep", queue=queue)
            n += 1
            self.stop.wait(1.0)

    def __enter__(self) -> Ticker:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(5)


def _drain(machines) -> None:
    """No task left queued or running: the test database is flushed next, and a worker
    transaction beside the flush could deadlock it."""
    import redis as redis_client

    redis_client.Redis.from_url(machines.redis.url).delete(
        "celery", "webhooks", "sweep-1", "sweep-2"
    )

    def idle() -> bool:
        active = celery_app.control.inspect(timeout=1.0).active() or {}
        return len(active) == 2 and not any(active.values())

    wait_for(idle, 30, step=0.5, what="the workers to finish their tasks")


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_two_web_and_two_worker_processes_deliver_each_message_once_and_sweep_once(
    machines, reference, submit, django_user_model
):
    # Cases filed on 30 September 2025 and never accepted: long past their deadline.
    with time_machine.travel(dt.datetime(2025, 9, 30, 10, tzinfo=CST), tick=False):
        overdue = [submit(["electricity"]).services.get() for _ in range(OVERDUE_CASES)]
    admin = django_user_model.objects.create_superuser("machines-admin", "a@example.cn", "x")
    _token, provider_token = api_token_create(
        actor=admin,
        organization=Organization.objects.get(code="investment"),
        name="several machines",
        scopes=["demand_signals:read", "demand_signals:write"],
    )

    with running(Receiver(SECRET)) as receiver:
        for operator in Organization.objects.filter(kind=OrganizationKind.OPERATOR):
            WebhookEndpoint.objects.create(organization=operator, url=receiver.url, secret=SECRET)

        with contextlib.ExitStack() as stack:
            stack.callback(_drain, machines)
            stack.enter_context(Ticker())
            # Early demand signals through both web processes, in turn.
            for n in range(SIGNALS):
                web = machines.webs[n % 2]
                status, body = _post(
                    f"{web.url}/api/v1/demand-signals/",
                    provider_token,
                    {
                        "kind": "land_sale",
                        "title": f"小榄镇工业用地挂牌出让 XL2026-{n}",
                        "town": "xiaolan",
                        "expected_utilities": ["electricity", "water", "gas"],
                    },
                )
                assert status == 201, body
                assert body["notices"] == 3

            def everything_told():
                # Notices of the signals, and of the cases' project (a new project is a demand).
                told = Delivery.objects.filter(channel=Channel.WEBHOOK)
                notices = DemandNotice.objects.count()
                return (
                    Escalation.objects.count() == OVERDUE_CASES
                    and notices >= 3 * SIGNALS
                    and told.filter(event_type=EventType.DEMAND_NOTICE).count() == notices
                    and Delivery.objects.filter(event_type=EventType.ESCALATION).exists()
                    and not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()
                )

            try:
                wait_for(everything_told, 45, step=0.5, what="every message to be delivered")
            except AssertionError as exc:
                state = Counter(Delivery.objects.values_list("channel", "event_type", "status"))
                raise AssertionError(
                    f"{exc}: escalations {Escalation.objects.count()}, notices "
                    f"{DemandNotice.objects.count()}, deliveries {dict(state)}"
                ) from None
            # A few more rounds of sweeps and dispatches: nothing is sent or opened again.
            time.sleep(3)

    # Every webhook message reached its receiver once, signed, in one attempt.
    webhooks = Delivery.objects.filter(channel=Channel.WEBHOOK)
    received = Counter(r["event_id"] for r in receiver.requests)
    assert received, "no webhook arrived"
    assert set(received.values()) == {1}, [e for e, n in received.items() if n > 1]
    assert set(received) == {str(e) for e in webhooks.values_list("event_id", flat=True)}
    assert all(r["valid_signature"] for r in receiver.requests)
    assert receiver.concurrent_duplicates == []
    # Every message on every channel (inbox, webhook) was sent, each in one attempt.
    assert set(Delivery.objects.values_list("status", "attempts").distinct()) == {
        (DeliveryStatus.SENT, 1)
    }
    # Each overdue case was escalated once, with one "opened" event.
    assert sorted(Escalation.objects.values_list("service_application_id", flat=True)) == sorted(
        sa.pk for sa in overdue
    )
    events = Counter(EscalationEvent.objects.values_list("escalation_id", "kind", "tier"))
    assert set(events.values()) == {1}
    assert Counter(kind for _, kind, _ in events) == {"opened": OVERDUE_CASES}
    # Both workers swept, many times; the escalations were opened by the sweeps together once.
    opened = 0
    for worker in machines.workers:
        sweeps = re.findall(
            r"applications\.sla_sweep\[\S+\] succeeded .*'opened': (\d+)", worker.log()
        )
        assert len(sweeps) >= 3, worker.name
        opened += sum(int(n) for n in sweeps)
    assert opened == OVERDUE_CASES


# --- beat ------------------------------------------------------------------------------------

SENDING = "Sending due task"


def _beat(name: str, redis_url: str, folder: Path) -> Process:
    env = _process_env(redis_url, BEAT_LOCK_TTL_SECONDS="5", BEAT_LOCK_RETRY_SECONDS="0.3")
    argv = [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO"]
    return Process(name, argv, env, folder)


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_second_beat_stands_by_and_takes_over_when_the_first_is_killed(reference, tmp_path):
    import redis as redis_client

    server = RedisServer(tmp_path)
    server.start()
    first = _beat("beat-a", server.url, tmp_path)
    second = _beat("beat-b", server.url, tmp_path)
    try:
        first.start()
        wait_for(lambda: SENDING in first.log(), 30, what="the first beat to send")
        second.start()
        wait_for(lambda: "stands by" in second.log(), 30, what="the second beat to stand by")
        sent_by_first = first.log().count(SENDING)
        # process-facts is due every 5 s: the active beat sends it again, the standby never.
        wait_for(lambda: first.log().count(SENDING) > sent_by_first, 15, what="the first to go on")
        assert SENDING not in second.log()
        holder = redis_client.Redis.from_url(server.url).get(LOCK_NAME).decode()
        assert f":{first.pid}:" in holder

        first.kill()
        killed = time.monotonic()
        wait_for(lambda: SENDING in second.log(), 40, step=0.1, what="the standby to take over")
        took_over_in = time.monotonic() - killed
        holder = redis_client.Redis.from_url(server.url).get(LOCK_NAME).decode()
        assert f":{second.pid}:" in holder
    finally:
        first.kill()
        second.stop()
        server.stop()
    # The lock's TTL (5 s) and a retry, then the new beat reads its schedule and sends (a few
    # seconds more on a loaded machine).
    assert took_over_in < 20, took_over_in
    assert "beat lock released" in second.log()  # a clean stop hands over at once


def test_a_beat_that_lost_its_lock_exits_and_cannot_release_the_new_holders(settings):
    """Its lock expired (a long pause, a partition) and another beat took it: the old one stops
    sending at its next renewal, and its release on the way out leaves the new lock alone. A
    lock that merely expired, with no other beat, is taken again."""
    import redis as redis_client

    from portal.beat_lock import BeatLock

    client = redis_client.Redis.from_url(settings.REDIS_URL)
    client.delete(LOCK_NAME)
    old, new = (BeatLock(client, ttl=30, retry=0.1) for _ in range(2))
    try:
        old.wait()
        client.delete(LOCK_NAME)  # what expiry does
        new.wait()
        with pytest.raises(SystemExit):
            old.renew(now=True)
        old.release()
        assert client.get(LOCK_NAME).decode() == new.token
        new.renew(now=True)
        assert 25 < client.ttl(LOCK_NAME) <= 30
        # Expired with nobody waiting (the holder was slow): its renewal takes it again.
        client.delete(LOCK_NAME)
        new.renew(now=True)
        assert client.get(LOCK_NAME).decode() == new.token
    finally:
        client.delete(LOCK_NAME)


# --- file storage ----------------------------------------------------------------------------

STORAGE_VARIABLES = (
    "STORAGE_BACKEND",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_LOCATION",
    "AWS_S3_ADDRESSING_STYLE",
)

SHOW_STORAGE = """
import json
from django.conf import settings
from django.utils.module_loading import import_string
# What django.core.files.storage.storages["default"] builds (without loading every app).
conf = settings.STORAGES["default"]
s = import_string(conf["BACKEND"])(**conf.get("OPTIONS", {}))
print(json.dumps({
    "class": type(s).__module__ + "." + type(s).__name__,
    "bucket": s.bucket_name,
    "acl": s.default_acl,
    "endpoint": s.connection.meta.client.meta.endpoint_url,
    "region": s.connection.meta.client.meta.region_name,
    "signed": s.querystring_auth,
    "overwrite": s.file_overwrite,
    "location": s.location,
}))
"""


def test_production_keeps_documents_in_a_private_s3_bucket_when_configured():
    """Production settings imported with the variables an operator sets for MinIO / OSS / OBS;
    the storage is built (boto3 contacts no server until a file is read or written)."""
    env = {k: v for k, v in os.environ.items() if k not in STORAGE_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        DJANGO_SECRET_KEY="ci-only-9f4c2a7e1b6d8350c4e2f7a9b1d3c5e7f0a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0",
        DJANGO_ALLOWED_HOSTS="portal.example.gov.cn",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal",
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="portal-documents",
        AWS_S3_ENDPOINT_URL="https://minio.internal.example:9000",
        AWS_S3_REGION_NAME="cn-south-1",
        AWS_ACCESS_KEY_ID="placeholder-key",
        AWS_SECRET_ACCESS_KEY="placeholder-secret",  # noqa: S106 - not a secret
        AWS_LOCATION="portal",
    )
    shown = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", SHOW_STORAGE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout.strip().splitlines()[-1]) == {
        "class": "storages.backends.s3.S3Storage",
        "bucket": "portal-documents",
        "acl": "private",
        "endpoint": "https://minio.internal.example:9000",
        "region": "cn-south-1",
        "signed": True,
        "overwrite": False,
        "location": "portal",
    }


@pytest.fixture
def storage_env(monkeypatch):
    for name in STORAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_documents_stay_on_the_shared_file_system_by_default(storage_env):
    assert _file_storage_from_env() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    storage_env.setenv("STORAGE_BACKEND", "filesystem")
    storage_env.setenv("AWS_STORAGE_BUCKET_NAME", "ignored")
    assert _file_storage_from_env()["BACKEND"].endswith("FileSystemStorage")


def test_a_bucket_name_alone_selects_s3_and_a_wrong_backend_is_refused(storage_env):
    storage_env.setenv("AWS_STORAGE_BUCKET_NAME", "portal-documents")
    chosen = _file_storage_from_env()
    assert chosen["BACKEND"] == "storages.backends.s3.S3Storage"
    assert chosen["OPTIONS"]["default_acl"] == "private"
    assert chosen["OPTIONS"]["endpoint_url"] is None  # AWS itself

    storage_env.setenv("STORAGE_BACKEND", "ftp")
    with pytest.raises(ImproperlyConfigured, match="STORAGE_BACKEND"):
        _file_storage_from_env()
    storage_env.setenv("STORAGE_BACKEND", "s3")
    storage_env.delenv("AWS_STORAGE_BUCKET_NAME")
    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        _file_storage_from_env()


@pytest.mark.django_db
def test_documents_go_to_the_private_bucket_and_come_back_only_through_the_portal(
    storage_env, settings, submit, applicant, client
):
    """With S3 configured (moto plays the object storage, in this process) an applicant's
    uploads land in the bucket as private objects and are streamed back by the portal's own
    permission-checked view; a file missing from the bucket is a 404, not an error page."""
    import boto3
    from moto import mock_aws

    from applications.models import Document

    storage_env.setenv("STORAGE_BACKEND", "s3")
    storage_env.setenv("AWS_STORAGE_BUCKET_NAME", "portal-documents")
    storage_env.setenv("AWS_S3_REGION_NAME", "us-east-1")
    storage_env.setenv("AWS_ACCESS_KEY_ID", "moto-key")
    storage_env.setenv("AWS_SECRET_ACCESS_KEY", "moto-secret")
    storage_env.setenv("AWS_LOCATION", "portal")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="portal-documents")
        settings.STORAGES = {**settings.STORAGES, "default": _file_storage_from_env()}

        submit(["electricity"])

        documents = list(Document.objects.exclude(file=""))
        assert documents
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="portal-documents")["Contents"]}
        assert {f"portal/{d.file.name}" for d in documents} == keys
        for key in keys:
            grants = s3.get_object_acl(Bucket="portal-documents", Key=key)["Grants"]
            assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner only

        client.force_login(applicant)
        document = documents[0]
        url = reverse("applications:document_download", args=[document.uuid])
        response = client.get(url)
        assert response.status_code == 200
        stored = s3.get_object(Bucket="portal-documents", Key=f"portal/{document.file.name}")
        assert b"".join(response.streaming_content) == stored["Body"].read()

        s3.delete_object(Bucket="portal-documents", Key=f"portal/{document.file.name}")
        assert client.get(url).status_code == 404
