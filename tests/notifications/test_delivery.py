"""Delivery through a real local HTTP receiver: signatures, backoff, parking, staff retry."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications.constants import Channel, DeliveryStatus, EventType
from notifications.models import Delivery, WebhookEndpoint
from notifications.services import delivery_attempt, delivery_batches_reserve, delivery_retry
from tests.factories import staff_of
from tests.receiver import Receiver, running
from workgroups.models import Organization

SECRET = "whsec-test-3f9a"


@pytest.fixture
def hook(reference):
    def make(receiver):
        endpoint = WebhookEndpoint.objects.create(
            organization=Organization.objects.get(code="csg-zhongshan"),
            url=receiver.url,
            secret=SECRET,
        )
        return Delivery.objects.create(
            event_id=uuid.uuid4(),
            event_type=EventType.WORK_ITEM_ASSIGNED,
            channel=Channel.WEBHOOK,
            idempotency_key=f"test:{uuid.uuid4()}",
            recipient_organization=endpoint.organization,
            endpoint=endpoint,
            subject="新工单",
            payload={"work_item": "abc", "utility": "electricity"},
        )

    return make


def deliveries_reserve():
    """The ids a dispatch would hand out now, in every batch and lane."""
    return [pk for batch in delivery_batches_reserve() for pk in batch.ids]


def _attempt_when_due(delivery):
    delivery.refresh_from_db()
    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1)):
        return delivery_attempt(delivery_id=delivery.pk)


def test_a_webhook_is_signed_and_carries_the_event_id(hook):
    with running(Receiver(SECRET)) as receiver:
        delivery = hook(receiver)
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SENT
    request = receiver.requests[0]
    assert request["valid_signature"]
    assert request["event_id"] == str(delivery.event_id)
    assert request["json"]["data"] == {"work_item": "abc", "utility": "electricity"}


def test_three_failures_then_success_delivers_on_the_fourth_try_with_growing_waits(hook):
    with running(Receiver(SECRET, script=[500, 500, 500])) as receiver:
        delivery = hook(receiver)
        waits = []
        for _ in range(3):
            before = timezone.now()
            assert _attempt_when_due(delivery) == DeliveryStatus.PENDING
            delivery.refresh_from_db()
            waits.append(delivery.next_attempt_at - before)
        assert _attempt_when_due(delivery) == DeliveryStatus.SENT
    delivery.refresh_from_db()
    assert delivery.attempts == 4
    assert [r["status"] for r in receiver.requests] == [500, 500, 500, 200]
    assert waits[0] < waits[2]  # exponential: the third wait is at least twice the first's floor


def test_a_receiver_that_always_fails_is_parked_then_staff_retry_works(hook, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    with running(Receiver(SECRET, default=503)) as receiver:
        delivery = hook(receiver)
        statuses = [_attempt_when_due(delivery) for _ in range(3)]
        assert statuses == ["pending", "pending", "failed"]
        delivery.refresh_from_db()
        assert "HTTP 503" in delivery.last_error
        # Parked rows are not handed out again by the dispatcher...
        with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
            assert delivery.pk not in deliveries_reserve()
        # ...until staff fix the receiver and press retry.
        receiver.default = 200
        delivery_retry(actor=staff_of("leadership-office", is_staff=True), delivery=delivery)
        assert deliveries_reserve() == [delivery.pk]
        assert _attempt_when_due(delivery) == DeliveryStatus.SENT


def test_a_delivered_row_is_never_sent_again(hook):
    with running(Receiver(SECRET)) as receiver:
        delivery = hook(receiver)
        delivery_attempt(delivery_id=delivery.pk)
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert len(receiver.requests) == 1


def test_a_reserved_row_is_handed_out_again_only_after_its_lease(hook, settings):
    settings.NOTIFICATIONS_ENQUEUE_LEASE_SECONDS = 60
    with running(Receiver(SECRET)) as receiver:
        delivery = hook(receiver)
    assert deliveries_reserve() == [delivery.pk]
    assert deliveries_reserve() == []
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        assert deliveries_reserve() == [delivery.pk]


def test_email_goes_to_the_person(reference):
    user = staff_of("csg-zhongshan", email="dispatch@csg.example")
    delivery = Delivery.objects.create(
        event_id=uuid.uuid4(),
        event_type=EventType.DEMAND_NOTICE,
        channel=Channel.EMAIL,
        idempotency_key="mail-1",
        recipient_user=user,
        subject="提前告知:小榄镇工业用地",
        body="预计需要用电",
    )
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert mail.outbox[0].to == ["dispatch@csg.example"]
    assert mail.outbox[0].subject == "提前告知:小榄镇工业用地"


def test_only_staff_may_retry(hook, applicant):
    from django.core.exceptions import PermissionDenied

    with running(Receiver(SECRET)) as receiver:
        delivery = hook(receiver)
    with pytest.raises(PermissionDenied):
        delivery_retry(actor=applicant, delivery=delivery)


def test_every_attempt_is_kept_with_its_outcome_status_and_duration(hook):
    with running(Receiver(SECRET, script=[500, 503])) as receiver:
        delivery = hook(receiver)
        for _ in range(3):
            _attempt_when_due(delivery)
    history = list(delivery.attempt_history.order_by("at", "pk"))
    assert [(a.outcome, a.status_code) for a in history] == [
        ("http_error", 500),
        ("http_error", 503),
        ("delivered", 200),
    ]
    assert [a.error for a in history] == [
        f"HTTP 500 from {receiver.url}",
        f"HTTP 503 from {receiver.url}",
        "",
    ]
    assert all(a.endpoint_id == delivery.endpoint_id and a.target == receiver.url for a in history)
    assert all(a.duration_ms < 5000 and not a.probe for a in history)
    assert history[0].at < history[1].at < history[2].at


def test_a_staff_retry_records_who_and_keeps_the_earlier_attempts(hook, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    staff = staff_of("leadership-office", is_staff=True)
    with running(Receiver(SECRET, script=[503, 503])) as receiver:
        delivery = hook(receiver)
        assert [_attempt_when_due(delivery) for _ in range(2)] == ["pending", "failed"]
        delivery_retry(actor=staff, delivery=delivery)
        assert _attempt_when_due(delivery) == DeliveryStatus.SENT
    [retry] = delivery.retries.all()
    assert (retry.actor, retry.attempts_before) == (staff, 2)
    assert retry.error_before == f"HTTP 503 from {receiver.url}"
    # (by id: the clock was moved to each due time, and the retry made the row due at once)
    assert [a.outcome for a in delivery.attempt_history.order_by("pk")] == [
        "http_error",
        "http_error",
        "delivered",
    ]
