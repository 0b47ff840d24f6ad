"""Sweeps at once (two beat instances, a manual run beside the scheduled one) on PostgreSQL:
each missed deadline opens once and each climb happens once, with one event and one message.

The advisory lock lets one sweep through and the others skip; the climb is a conditional
update, so even sweeps that bypass the lock change each escalation once.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from applications.models import Escalation, EscalationEvent
from applications.services import escalations, sla_sweep
from applications.services.escalations import SweepResult
from notifications.constants import Channel, EventType
from notifications.models import Delivery
from notifications.services import facts_process
from tests.applications.test_concurrency import _race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

BASE_DIR = Path(__file__).resolve().parents[2]
CST = ZoneInfo("Asia/Shanghai")
CASES = 6


def at(m, d, h=10):
    return dt.datetime(2025, m, d, h, tzinfo=CST)


OPEN_AT = at(10, 10, 9)  # the cases of 30 September missed their deadline: tier 1
CLIMB_AT = at(10, 13, 8)  # two working days later: tier 2; the later cases are overdue now


@pytest.fixture
def escalating(submit):
    """CASES escalations at tier 1 due to climb, and CASES overdue cases not yet escalated."""
    with time_machine.travel(at(9, 30), tick=False):
        early = [submit(["electricity"]).services.get() for _ in range(CASES)]
    assert sla_sweep(now=OPEN_AT).opened == CASES
    with time_machine.travel(at(10, 10, 10), tick=False):
        late = [submit(["electricity"]).services.get() for _ in range(CASES)]
    assert all(sa.due_at < CLIMB_AT for sa in late)
    facts_process()
    return early, late


def assert_each_once(early, late):
    events = Counter(EscalationEvent.objects.values_list("escalation_id", "kind", "tier"))
    assert set(events.values()) == {1}, [e for e, n in events.items() if n > 1]
    assert Counter(kind for _, kind, _ in events) == {"opened": 2 * CASES, "climbed": CASES}
    tiers = dict(Escalation.objects.values_list("service_application_id", "tier"))
    assert [tiers[sa.pk] for sa in early] == [2] * CASES
    assert [tiers[sa.pk] for sa in late] == [1] * CASES
    # The leadership office hears of each climb once.
    facts_process()
    told = Counter(
        Delivery.objects.filter(event_type=EventType.ESCALATION, channel=Channel.IN_APP)
        .values_list("payload__tier", "recipient_organization__code")
        .order_by()
    )
    assert told[(2, "leadership-office")] == CASES


def test_two_sweeps_at_once_climb_each_escalation_once(escalating):
    assert connection.vendor == "postgresql"

    outcomes = _race([lambda: sla_sweep(now=CLIMB_AT), lambda: sla_sweep(now=CLIMB_AT)])

    assert all(isinstance(o, SweepResult) for o in outcomes), outcomes
    assert sum(o.climbed for o in outcomes) == CASES
    assert sum(o.opened for o in outcomes) == CASES
    assert_each_once(*escalating)


def test_sweeps_past_the_lock_still_climb_each_escalation_once(escalating, monkeypatch):
    monkeypatch.setattr(escalations, "_sweep_lock_taken", lambda: True)

    outcomes = _race([lambda: sla_sweep(now=CLIMB_AT) for _ in range(3)])

    assert all(isinstance(o, SweepResult) for o in outcomes), outcomes
    assert not any(o.skipped for o in outcomes)
    assert sum(o.climbed for o in outcomes) == CASES
    assert sum(o.opened for o in outcomes) == CASES
    assert_each_once(*escalating)


# Each process sleeps until the same moment after Django has started, then sweeps.
SWEEP = """
import datetime as dt, json, os, time
import applications.services.escalations as escalations
if os.environ["BYPASS_LOCK"] == "1":
    escalations._sweep_lock_taken = lambda: True
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
result = escalations.sla_sweep(now=dt.datetime.fromisoformat(os.environ["SWEEP_NOW"]))
print(json.dumps({"opened": result.opened, "climbed": result.climbed, "skipped": result.skipped}))
"""


def test_sweeping_processes_climb_each_escalation_once(escalating):
    """Two processes sweep as beat would (one skips, or runs after the other); a third bypasses
    the lock and meets the conditional updates."""
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings.test",
        DATABASE_URL=f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}",
        START_AT=str(time.time() + 5),
        SWEEP_NOW=CLIMB_AT.isoformat(),
    )
    processes = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "shell", "-c", SWEEP],
            cwd=BASE_DIR,
            env={**env, "BYPASS_LOCK": bypass},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for bypass in ("0", "0", "1")
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [err for _, err in outputs]
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

    assert sum(r["climbed"] for r in results) == CASES, results
    assert sum(r["opened"] for r in results) == CASES, results
    assert_each_once(*escalating)
