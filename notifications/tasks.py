"""Celery tasks of the notifications engine: thin, idempotent, primitive arguments.

- `process_facts` turns new facts into Delivery rows (every few seconds, from beat).
- `dispatch` reserves due Delivery rows and enqueues them in small batches; rows never picked
  up (broker down, worker killed) become due again after a lease and are handed out again.
- `deliver` attempts each row of its batch once; a failed row is rescheduled by its own
  backoff and handed out again by a later dispatch.
"""

from celery import shared_task
from django.conf import settings
from django.db import transaction

from .services import (
    deliveries_reserve,
    delivery_attempt,
    demand_notices_remind,
    facts_process,
)


@shared_task(name="notifications.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_ids: list[int]) -> int:
    return sum(delivery_attempt(delivery_id=pk) == "sent" for pk in delivery_ids)


@shared_task(name="notifications.dispatch", acks_late=True, ignore_result=True)
def dispatch(limit: int = 5000) -> int:
    ids = deliveries_reserve(limit=limit)
    size = settings.NOTIFICATIONS_BATCH_SIZE
    for start in range(0, len(ids), size):
        deliver.delay(ids[start : start + size])
    return len(ids)


@shared_task(name="notifications.process_facts", acks_late=True, ignore_result=True)
def process_facts() -> int:
    written = facts_process()
    if written:
        transaction.on_commit(lambda: dispatch.delay(), robust=True)
    return written


@shared_task(name="notifications.remind_demand_notices", acks_late=True, ignore_result=True)
def remind_demand_notices() -> int:
    return demand_notices_remind()
