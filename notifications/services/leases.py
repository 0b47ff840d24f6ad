"""Handing out due deliveries: leases, batches and the per-endpoint lanes of webhooks.

A row handed to a task is leased to it: `lease_token` names the holder and `leased_until` says
until when nobody else may take it. The task renews the lease of its remaining rows while it
runs (`Lease.keep`), so a short lease is enough and the rows of a task that died are handed out
again soon after it stopped renewing. A row is attempted only by the holder of its current
token, under its row lock (`delivery_attempt`): two tasks never send one row at the same time.

Webhooks go out in lanes: one task per lane sends to one endpoint, and an endpoint has at most
NOTIFICATIONS_WEBHOOK_ENDPOINT_CONCURRENCY lanes at a time (one while its circuit breaker
probes it, none while it is paused). A lane is counted while any row carries its token.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.workflow import apply

from ..constants import Channel, CircuitState, DeliveryStatus
from ..models import Delivery, WebhookEndpoint
from ..workflow import ENDPOINT


@dataclass(frozen=True)
class Batch:
    """Rows leased to one task: a webhook lane names its endpoint, other batches do not."""

    token: str
    ids: list[int]
    endpoint_id: int | None = None


def lease_seconds() -> float:
    return float(settings.NOTIFICATIONS_ENQUEUE_LEASE_SECONDS)


def _new_token() -> str:
    return uuid.uuid4().hex


def _due(now: dt.datetime) -> QuerySet[Delivery]:
    """Pending rows whose time has come and that nobody holds."""
    return Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(leased_until__isnull=True) | Q(leased_until__lte=now)
    )


def _lease(ids: list[int], token: str, now: dt.datetime) -> None:
    until = now + dt.timedelta(seconds=lease_seconds())
    Delivery.objects.filter(pk__in=ids).update(leased_until=until, lease_token=token)


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def lanes_in_flight(*, endpoint_id: int, now: dt.datetime, besides: str = "") -> int:
    """How many tasks hold rows of the endpoint now (a lane holds its rows until each is done)."""
    return (
        Delivery.objects.filter(
            endpoint_id=endpoint_id, status=DeliveryStatus.PENDING, leased_until__gt=now
        )
        .exclude(lease_token=besides)
        .order_by()
        .values("lease_token")
        .distinct()
        .count()
    )


def _reserve_messages(now: dt.datetime, limit: int) -> list[Batch]:
    """In-portal and e-mail rows (and webhooks without an endpoint, which fail at once):
    one lease for the lot, handed out in batches on the default queue."""
    with transaction.atomic():
        ids = list(
            _due(now)
            .filter(~Q(channel=Channel.WEBHOOK) | Q(endpoint__isnull=True))
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        token = _new_token()
        _lease(ids, token, now)
    size = settings.NOTIFICATIONS_BATCH_SIZE
    return [Batch(token, chunk) for chunk in _chunks(ids, size)]


def _reserve_lanes(endpoint_id: int, now: dt.datetime, limit: int) -> list[Batch]:
    """New lanes for one endpoint, as many as it has free (a probe only when its circuit
    breaker's cool-down is over)."""
    with transaction.atomic():
        # One dispatcher at a time per endpoint, so the count of lanes holds.
        endpoint = (
            WebhookEndpoint.objects.select_for_update(skip_locked=True)
            .filter(pk=endpoint_id)
            .first()
        )
        if endpoint is None:
            return []
        if endpoint.circuit == CircuitState.PAUSED:
            if endpoint.probe_after is not None and endpoint.probe_after > now:
                return []
            apply(ENDPOINT, endpoint, "probe", actor=None, now=now, locked=True)
        if endpoint.circuit == CircuitState.PROBING:
            lanes, size = 1, 1
        else:
            lanes = settings.NOTIFICATIONS_WEBHOOK_ENDPOINT_CONCURRENCY
            size = settings.NOTIFICATIONS_BATCH_SIZE
        free = lanes - lanes_in_flight(endpoint_id=endpoint.pk, now=now)
        if free <= 0:
            return []
        ids = list(
            _due(now)
            .filter(endpoint=endpoint, channel=Channel.WEBHOOK)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[: min(free * size, limit)]
        )
        batches = []
        for chunk in _chunks(ids, size):
            token = _new_token()
            _lease(chunk, token, now)
            batches.append(Batch(token, chunk, endpoint.pk))
    return batches


def _hold_for_paused_endpoints(now: dt.datetime) -> int:
    """Rows of a paused endpoint wait for its probe: they are due at `probe_after`, not now
    (those written or handed back since the pause included), so that "due" keeps meaning
    "should be sent now" for dispatch and monitoring alike. Rows being attempted are left."""
    held = 0
    paused = WebhookEndpoint.objects.filter(circuit=CircuitState.PAUSED, probe_after__gt=now)
    for endpoint_id, probe_after in paused.values_list("pk", "probe_after"):
        with transaction.atomic():
            ids = list(
                Delivery.objects.filter(
                    endpoint_id=endpoint_id,
                    status=DeliveryStatus.PENDING,
                    next_attempt_at__lt=probe_after,
                )
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)
            )
            held += Delivery.objects.filter(pk__in=ids).update(next_attempt_at=probe_after)
    return held


def delivery_batches_reserve(*, limit: int = 1000) -> list[Batch]:
    """Lease due rows, at most `limit`: in-portal and e-mail in batches, webhooks in lanes."""
    now = timezone.now()
    _hold_for_paused_endpoints(now)
    batches = _reserve_messages(now, limit)
    left = limit - sum(len(b.ids) for b in batches)
    endpoint_ids = sorted(
        _due(now)
        .filter(channel=Channel.WEBHOOK, endpoint__isnull=False)
        .order_by()
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    for endpoint_id in endpoint_ids:
        if left <= 0:
            break
        lanes = _reserve_lanes(endpoint_id, now, left)
        left -= sum(len(b.ids) for b in lanes)
        batches += lanes
    return batches


def webhook_lane_next(*, endpoint_id: int, token: str) -> list[int]:
    """The next batch of a lane that has finished its rows, if the endpoint is delivering and
    no other lanes have taken its place meanwhile (a probe lane continues once the probe has
    resumed the endpoint)."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update(skip_locked=True)
            .filter(pk=endpoint_id, circuit=CircuitState.DELIVERING)
            .first()
        )
        if endpoint is None:
            return []
        others = lanes_in_flight(endpoint_id=endpoint_id, now=now, besides=token)
        if others >= settings.NOTIFICATIONS_WEBHOOK_ENDPOINT_CONCURRENCY:
            return []
        ids = list(
            _due(now)
            .filter(endpoint_id=endpoint_id, channel=Channel.WEBHOOK)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[: settings.NOTIFICATIONS_BATCH_SIZE]
        )
        _lease(ids, token, now)
    return ids


def delivery_leases_renew(*, ids: list[int], token: str) -> int:
    """Extend the lease of the rows the task still holds (a row taken over meanwhile stays
    with its new holder)."""
    until = timezone.now() + dt.timedelta(seconds=lease_seconds())
    return Delivery.objects.filter(
        pk__in=ids, lease_token=token, status=DeliveryStatus.PENDING
    ).update(leased_until=until)


def delivery_leases_return(*, ids: list[int], token: str) -> int:
    """A task stops early (its endpoint was paused, an error): its untried rows are due again
    at once instead of after the lease."""
    return Delivery.objects.filter(
        pk__in=ids, lease_token=token, status=DeliveryStatus.PENDING
    ).update(leased_until=None, lease_token="")


def delivery_leases_release(*, endpoint: WebhookEndpoint | None = None) -> int:
    """Runbook (after a Redis flush, a lost queue): hand every reserved pending row out again
    at the next dispatch. A row being attempted right now (locked) keeps its lease, and a task
    still running finds its other rows taken from it and skips them, so nothing is sent twice
    at once."""
    now = timezone.now()
    with transaction.atomic():
        rows = Delivery.objects.filter(status=DeliveryStatus.PENDING, leased_until__gt=now)
        if endpoint is not None:
            rows = rows.filter(endpoint=endpoint)
        ids = list(
            rows.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)
        )
        return Delivery.objects.filter(pk__in=ids).update(leased_until=None, lease_token="")


class Lease:
    """The lease of one task's rows, renewed as the task goes so that it covers the attempt
    about to start (renewed once a third of it has passed: an attempt must fit in the rest,
    so the lease is to be at least three times the longest attempt)."""

    def __init__(self, ids: Iterable[int], token: str) -> None:
        self.token = token
        self.left = list(dict.fromkeys(ids))
        self.renewed_at: float | None = None

    def keep(self) -> None:
        now = time.monotonic()
        if self.renewed_at is None or now - self.renewed_at >= lease_seconds() / 3:
            delivery_leases_renew(ids=self.left, token=self.token)
            self.renewed_at = now

    def done(self, pk: int) -> None:
        self.left.remove(pk)

    def give_back(self) -> None:
        if self.left:
            delivery_leases_return(ids=self.left, token=self.token)
            self.left = []
