"""The circuit breaker of webhook endpoints, against real local receivers: paused after
consecutive failures (its rows wait, its organisation is told, staff see it), probed after a
cool-down, delivering again when the probe is accepted; short, configurable timeouts."""

import datetime as dt
import socket
import time
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from notifications.constants import AttemptOutcome, Channel, CircuitState, EventType
from notifications.models import Delivery, DeliveryAttempt, WebhookEndpoint, WebhookEndpointEvent
from notifications.services import delivery_attempt, delivery_batches_reserve
from notifications.services.delivery import HELD
from tests.factories import UserFactory
from tests.receiver import Receiver, running
from workgroups.models import Organization

SECRET = "whsec-circuit-test-41c9"


@pytest.fixture
def breaker(settings, reference):
    settings.NOTIFICATIONS_CIRCUIT_FAILURES = 3
    settings.NOTIFICATIONS_CIRCUIT_COOLDOWN_SECONDS = 60
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 8
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 1
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 1


def _lanes():
    """The webhook lanes a dispatch hands out now (the organisation's inbox messages aside)."""
    return [batch for batch in delivery_batches_reserve() if batch.endpoint_id is not None]


def _endpoint(receiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organization=Organization.objects.get(code="csg-zhongshan"), url=receiver.url, secret=SECRET
    )


def _rows(endpoint, count: int) -> list[Delivery]:
    return Delivery.objects.bulk_create(
        [
            Delivery(
                event_id=uuid.uuid4(),
                event_type=EventType.WORK_ITEM_ASSIGNED,
                channel=Channel.WEBHOOK,
                idempotency_key=f"circuit:{uuid.uuid4()}",
                recipient_organization=endpoint.organization,
                endpoint=endpoint,
                subject=f"新工单 {n}",
            )
            for n in range(count)
        ]
    )


def _paused_messages(endpoint):
    return Delivery.objects.filter(
        recipient_organization=endpoint.organization,
        channel=Channel.IN_APP,
        event_type=EventType.WEBHOOK_PAUSED,
    )


def test_consecutive_failures_pause_the_endpoint_and_its_rows_wait(breaker):
    with running(Receiver(SECRET, default=503)) as receiver:
        endpoint = _endpoint(receiver)
        rows = _rows(endpoint, 5)
        for row in rows[:3]:
            assert delivery_attempt(delivery_id=row.pk) == "pending"
        endpoint.refresh_from_db()
        assert endpoint.circuit == CircuitState.PAUSED
        assert endpoint.consecutive_failures == 3
        assert "HTTP 503" in endpoint.circuit_error
        assert endpoint.probe_after == endpoint.paused_at + dt.timedelta(seconds=60)
        # Nothing more is sent there, nothing is lost.
        assert delivery_attempt(delivery_id=rows[3].pk) == HELD
        assert _lanes() == []
    assert len(receiver.requests) == 3
    waiting = Delivery.objects.filter(endpoint=endpoint, status="pending")
    assert waiting.count() == 5
    # They wait for the probe: none of them is due before it (monitoring sees no stalled row).
    assert {row.next_attempt_at for row in waiting} == {endpoint.probe_after}

    [message] = _paused_messages(endpoint)
    assert receiver.url in message.subject
    assert "HTTP 503" in message.body
    assert message.payload["state"] == "paused"
    [event] = WebhookEndpointEvent.objects.filter(endpoint=endpoint, action="paused")
    assert event.actor is None
    assert event.detail.startswith("after 3 consecutive failures: HTTP 503")


def test_a_delivered_event_resets_the_count(breaker):
    with running(Receiver(SECRET, script=[503, 503, 200, 503, 503])) as receiver:
        endpoint = _endpoint(receiver)
        for row in _rows(endpoint, 5):
            delivery_attempt(delivery_id=row.pk)
    endpoint.refresh_from_db()
    assert (endpoint.circuit, endpoint.consecutive_failures) == (CircuitState.DELIVERING, 2)
    assert not _paused_messages(endpoint).exists()


def test_after_the_cool_down_one_probe_resumes_the_endpoint(breaker):
    with running(Receiver(SECRET, script=[503, 503, 503])) as receiver:
        endpoint = _endpoint(receiver)
        rows = _rows(endpoint, 6)
        for row in rows[:3]:
            delivery_attempt(delivery_id=row.pk)
        endpoint.refresh_from_db()
        with time_machine.travel(endpoint.probe_after + dt.timedelta(seconds=1)):
            [probe] = _lanes()
            assert len(probe.ids) == 1
            endpoint.refresh_from_db()
            assert endpoint.circuit == CircuitState.PROBING
            assert _lanes() == []  # one probe at a time
            assert delivery_attempt(delivery_id=probe.ids[0], lease_token=probe.token) == "sent"
            endpoint.refresh_from_db()
            assert (endpoint.circuit, endpoint.consecutive_failures) == ("delivering", 0)
            assert endpoint.paused_at is None
            # Delivering again: every waiting row is handed out.
            reserved = {pk for b in _lanes() for pk in b.ids}
            assert reserved == {row.pk for row in rows} - {probe.ids[0]}
    assert WebhookEndpointEvent.objects.filter(endpoint=endpoint, action="resumed").exists()
    assert Delivery.objects.filter(event_type=EventType.WEBHOOK_RESUMED).count() == 1
    assert DeliveryAttempt.objects.get(delivery_id=probe.ids[0], outcome="delivered").probe


def test_a_failed_probe_pauses_again_without_spending_the_rows_attempts(breaker):
    with running(Receiver(SECRET, default=503)) as receiver:
        endpoint = _endpoint(receiver)
        rows = _rows(endpoint, 4)
        for row in rows[:3]:
            delivery_attempt(delivery_id=row.pk)
        endpoint.refresh_from_db()
        first_pause = endpoint.paused_at
        with time_machine.travel(endpoint.probe_after + dt.timedelta(seconds=1)):
            [probe] = _lanes()
            row = Delivery.objects.get(pk=probe.ids[0])
            attempts = row.attempts
            assert delivery_attempt(delivery_id=row.pk, lease_token=probe.token) == "pending"
            row.refresh_from_db()
            assert row.attempts == attempts
            endpoint.refresh_from_db()
            assert endpoint.circuit == CircuitState.PAUSED
            assert endpoint.paused_at == first_pause
            assert endpoint.probe_after > timezone.now() + dt.timedelta(seconds=59)
    probe_attempt = DeliveryAttempt.objects.get(delivery=row, probe=True)
    assert (probe_attempt.outcome, probe_attempt.status_code) == ("http_error", 503)
    assert _paused_messages(endpoint).count() == 1  # told once, not at every probe


def test_staff_see_paused_endpoints_and_may_ask_for_an_early_probe(breaker, client):
    with running(Receiver(SECRET, default=503)) as receiver:
        endpoint = _endpoint(receiver)
        rows = _rows(endpoint, 4)  # the last one waits, due, for the probe
        for row in rows[:3]:
            delivery_attempt(delivery_id=row.pk)
    assert _lanes() == []  # paused: the rows wait for the probe
    assert not Delivery.objects.filter(endpoint=endpoint, next_attempt_at__lte=timezone.now())
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:notifications_webhookendpoint_changelist"))
    assert str(CircuitState.PAUSED.label) in listing.content.decode()  # in the page's language
    response = client.post(
        reverse("admin:notifications_webhookendpoint_changelist"),
        {"action": "probe_now", "_selected_action": [endpoint.pk]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.probe_after <= timezone.now()
    assert WebhookEndpointEvent.objects.get(endpoint=endpoint, action="probe_requested").actor
    [probe] = _lanes()
    assert probe.endpoint_id == endpoint.pk and len(probe.ids) == 1


def test_a_receiver_that_hangs_costs_the_read_timeout_only(breaker, settings):
    settings.NOTIFICATIONS_WEBHOOK_READ_TIMEOUT = 0.3
    with running(Receiver(SECRET, delay=30)) as receiver:
        [row] = _rows(_endpoint(receiver), 1)
        start = time.monotonic()
        assert delivery_attempt(delivery_id=row.pk) == "pending"
        assert time.monotonic() - start < 2
    attempt = DeliveryAttempt.objects.get(delivery=row)
    assert attempt.outcome == AttemptOutcome.TIMEOUT
    assert 250 <= attempt.duration_ms < 2000


def test_a_receiver_that_never_accepts_costs_the_connect_timeout_only(breaker, settings):
    settings.NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT = 0.3
    # A listener that never accepts, its backlog full: further connections are never answered.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        endpoint = WebhookEndpoint.objects.create(
            organization=Organization.objects.get(code="csg-zhongshan"),
            url=f"http://127.0.0.1:{port}/hooks",
            secret=SECRET,
        )
        [row] = _rows(endpoint, 1)
        start = time.monotonic()
        delivery_attempt(delivery_id=row.pk)
        elapsed = time.monotonic() - start
        for filler in fillers:
            filler.close()
    assert elapsed < 2
    attempt = DeliveryAttempt.objects.get(delivery=row)
    assert attempt.outcome == AttemptOutcome.TIMEOUT, attempt.error
