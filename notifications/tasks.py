"""Celery tasks of the notifications engine: thin, idempotent, primitive arguments.

- `process_facts` turns new facts into Delivery rows (every few seconds, from beat).
- `dispatch` leases due Delivery rows and enqueues them: in-portal and e-mail rows in batches
  for `deliver` on the default queue, webhooks in per-endpoint lanes for `deliver_webhooks`
  on the `webhooks` queue (CELERY_TASK_ROUTES), served by their own workers, so a receiver
  that hangs never delays the inbox. Rows of a task that died are handed out again once their
  short lease, which a running task renews, has run out.
- `deliver` / `deliver_webhooks` attempt each row once; a failed row is rescheduled by its own
  backoff and handed out again by a later dispatch.
"""

from celery import shared_task
from django.db import transaction

from .services import (
    deliveries_send,
    delivery_batches_reserve,
    demand_notices_remind,
    facts_process,
    webhook_lane_run,
)


@shared_task(name="notifications.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_ids: list[int], lease_token: str | None = None) -> int:
    return deliveries_send(delivery_ids=delivery_ids, lease_token=lease_token)


@shared_task(name="notifications.deliver_webhooks", acks_late=True, ignore_result=True)
def deliver_webhooks(endpoint_id: int, lease_token: str, delivery_ids: list[int]) -> int:
    lane = webhook_lane_run(
        endpoint_id=endpoint_id, lease_token=lease_token, delivery_ids=delivery_ids
    )
    if lane.out_of_time:
        dispatch.delay()  # the endpoint may have more: the next lanes start now
    return lane.sent


@shared_task(name="notifications.dispatch", acks_late=True, ignore_result=True)
def dispatch(limit: int = 5000) -> int:
    batches = delivery_batches_reserve(limit=limit)
    for batch in batches:
        if batch.endpoint_id is None:
            deliver.delay(batch.ids, batch.token)
        else:
            deliver_webhooks.delay(batch.endpoint_id, batch.token, batch.ids)
    return sum(len(batch.ids) for batch in batches)


@shared_task(name="notifications.process_facts", acks_late=True, ignore_result=True)
def process_facts() -> int:
    written = facts_process()
    if written:
        transaction.on_commit(lambda: dispatch.delay(), robust=True)
    return written


@shared_task(name="notifications.remind_demand_notices", acks_late=True, ignore_result=True)
def remind_demand_notices() -> int:
    return demand_notices_remind()
