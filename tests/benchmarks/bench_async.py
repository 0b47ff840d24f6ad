"""`make bench` part: the SLA sweep, demand fan-out and webhook delivery throughput.

Run: .venv/bin/python -m tests.benchmarks.bench_async
Loads 1,000,000 service applications (10,000 overdue) into a scratch PostgreSQL database,
then reports, in one run, the sweep next to a bare indexed count of the overdue rows, the
fan-out of one demand signal to every operator, and 10,000 webhook deliveries through a real
Celery worker to a local HTTP receiver.
"""

import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

TOTAL = int(os.environ.get("BENCH_SERVICE_APPLICATIONS", "1000000"))
OVERDUE = int(os.environ.get("BENCH_OVERDUE", "10000"))
WEBHOOKS = int(os.environ.get("BENCH_WEBHOOKS", "10000"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
BASE_DIR = Path(__file__).resolve().parents[2]


def setup_django() -> None:
    from tests.benchmarks.data import bench_database_url, recreate_database

    recreate_database()
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["WEBHOOKS_ALLOW_LOOPBACK"] = "true"  # its receiver listens on 127.0.0.1
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.local"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_reference", verbosity=0)


def median_seconds(fn, runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_sweep() -> None:
    from django.db import connection

    from applications.constants import CLOCKED_STATES
    from applications.models import Escalation
    from applications.services import sla_sweep
    from tests.benchmarks.data import load_service_applications, timed
    from tests.factories import company, member_of

    member_of(company("bench", "基准测试公司"), username="bench")
    print(f"Loading {TOTAL:,} service applications ({OVERDUE:,} overdue)...")
    with timed("load"):
        load_service_applications(total=TOTAL, overdue=OVERDUE)

    states = ",".join(f"'{s}'" for s in sorted(CLOCKED_STATES))

    def bare_count():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM applications_serviceapplication "
                f"WHERE status IN ({states}) AND due_at < now()"
            )
            return cursor.fetchone()[0]

    assert bare_count() == OVERDUE
    count_s = median_seconds(bare_count)
    start = time.perf_counter()
    first = sla_sweep()
    first_s = time.perf_counter() - start
    assert first.opened == OVERDUE, first
    steady_s = median_seconds(sla_sweep, runs=3)
    assert Escalation.objects.count() == OVERDUE
    print()
    print("SLA sweep over", f"{TOTAL:,}", "service applications,", f"{OVERDUE:,}", "overdue")
    print(f"  bare SELECT count(*) of overdue rows : {count_s * 1000:8.1f} ms")
    print(
        f"  first sweep (opens {first.opened:,} escalations): {first_s * 1000:8.1f} ms"
        f"  = {first_s / count_s:6.1f} x count"
    )
    print(
        f"  re-run sweep (finds them, opens none): {steady_s * 1000:8.1f} ms"
        f"  = {steady_s / count_s:6.1f} x count"
    )


def bench_fanout_and_delivery() -> None:
    import redis
    from django.db import connection

    from notifications.constants import Channel, DeliveryStatus, EventType
    from notifications.models import Delivery, WebhookEndpoint
    from notifications.services import demand_signal_record
    from tests.receiver import Receiver, running
    from workgroups.models import Organization, Town

    redis.Redis.from_url(REDIS_URL).flushdb()
    with running(Receiver("bench-secret")) as receiver:
        operators = list(Organization.objects.filter(kind="operator"))
        for operator in operators:
            WebhookEndpoint.objects.create(
                organization=operator, url=receiver.url, secret="bench-secret"
            )
        start = time.perf_counter()
        signal_ = demand_signal_record(
            source_organization=Organization.objects.get(code="natural-resources"),
            kind="land_sale",
            title="基准测试地块",
            town=Town.objects.get(code="shiqi"),
            expected_utilities=["electricity", "water", "gas", "network", "cable_tv"],
        )
        fanout_s = time.perf_counter() - start
        notices = signal_.notices.count()
        print()
        print(f"Demand signal fan-out to {notices} operators: {fanout_s * 1000:.1f} ms")

        Delivery.objects.all().delete()
        # Spread over the operators' endpoints: one endpoint alone gets at most
        # NOTIFICATIONS_WEBHOOK_ENDPOINT_CONCURRENCY tasks at a time.
        endpoints = list(WebhookEndpoint.objects.order_by("pk"))
        Delivery.objects.bulk_create(
            [
                Delivery(
                    event_id=uuid.uuid4(),
                    event_type=EventType.STATE_CHANGED,
                    channel=Channel.WEBHOOK,
                    idempotency_key=f"bench:{n}",
                    recipient_organization_id=endpoints[n % len(endpoints)].organization_id,
                    endpoint=endpoints[n % len(endpoints)],
                    subject=f"bench {n}",
                    payload={"n": n},
                )
                for n in range(WEBHOOKS)
            ],
            batch_size=2000,
        )
        db = connection.settings_dict
        env = dict(
            os.environ,
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db['NAME']}",
            REDIS_URL=REDIS_URL,
        )
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--queues",
                "celery,webhooks",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "4",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            from notifications.tasks import dispatch

            time.sleep(6)  # let the worker start before the clock does
            start = time.perf_counter()
            pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
            while pending.exists():
                dispatch.delay(limit=WEBHOOKS)
                time.sleep(0.5)
            elapsed = time.perf_counter() - start
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(30)
        delivered = len(receiver.delivered_event_ids())
        print(
            f"Webhook delivery through a real worker (4 processes): {delivered:,} events in "
            f"{elapsed:.1f} s = {delivered / elapsed:,.0f} events/s"
        )


def main() -> None:
    setup_django()
    bench_sweep()
    bench_fanout_and_delivery()


if __name__ == "__main__":
    main()
