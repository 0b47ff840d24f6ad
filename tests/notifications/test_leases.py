"""Handing out due deliveries: webhook lanes per endpoint apart from the inbox and e-mail, short
leases renewed by the task holding them, and no row attempted by a task that lost its lease."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from notifications.constants import Channel, DeliveryStatus, EventType
from notifications.models import Delivery, WebhookEndpoint
from notifications.services import (
    deliveries_send,
    delivery_attempt,
    delivery_batches_reserve,
    webhook_lane_run,
)
from notifications.services.delivery import TAKEN
from notifications.services.leases import Lease, lanes_in_flight
from tests.receiver import Receiver, running
from workgroups.models import Organization

SECRET = "whsec-lease-test-5b2e"


@pytest.fixture
def lanes(settings, reference):
    settings.NOTIFICATIONS_WEBHOOK_ENDPOINT_CONCURRENCY = 2
    settings.NOTIFICATIONS_BATCH_SIZE = 5
    settings.NOTIFICATIONS_ENQUEUE_LEASE_SECONDS = 20


def _endpoint(code: str, url: str) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organization=Organization.objects.get(code=code), url=url, secret=SECRET
    )


def _rows(count: int, *, channel: str = Channel.WEBHOOK, endpoint=None, org=None) -> list[int]:
    if org is None:
        org = endpoint.organization if endpoint else Organization.objects.get(code="towngas-zs")
    rows = Delivery.objects.bulk_create(
        [
            Delivery(
                event_id=uuid.uuid4(),
                event_type=EventType.STATE_CHANGED,
                channel=channel,
                idempotency_key=f"lease:{uuid.uuid4()}",
                recipient_organization=org,
                endpoint=endpoint,
                subject=f"event {n}",
            )
            for n in range(count)
        ]
    )
    return [row.pk for row in rows]


def test_an_endpoint_gets_at_most_its_concurrency_in_lanes_and_messages_go_apart(lanes):
    power = _endpoint("csg-zhongshan", "https://hooks.csg.example.cn/a")
    water = _endpoint("zs-water", "https://hooks.water.example.cn/a")
    power_rows = set(_rows(30, endpoint=power))
    water_rows = set(_rows(3, endpoint=water))
    inbox_rows = set(_rows(7, channel=Channel.IN_APP))

    batches = delivery_batches_reserve()

    messages = [b for b in batches if b.endpoint_id is None]
    assert {pk for b in messages for pk in b.ids} == inbox_rows
    assert [len(b.ids) for b in messages] == [5, 2]
    power_lanes = [b for b in batches if b.endpoint_id == power.pk]
    assert [len(b.ids) for b in power_lanes] == [5, 5]
    assert {pk for b in power_lanes for pk in b.ids} <= power_rows
    assert len({b.token for b in power_lanes}) == 2
    water_lanes = [b for b in batches if b.endpoint_id == water.pk]
    assert [set(b.ids) for b in water_lanes] == [water_rows]
    assert lanes_in_flight(endpoint_id=power.pk, now=timezone.now()) == 2

    # Both lanes of the busy endpoint are in flight: nothing more for it until one ends.
    assert delivery_batches_reserve() == []


def test_a_lane_takes_its_endpoints_next_batches_without_exceeding_the_limit(lanes, settings):
    with running(Receiver(SECRET)) as receiver:
        endpoint = _endpoint("csg-zhongshan", receiver.url)
        _rows(12, endpoint=endpoint)
        first, second = delivery_batches_reserve()
        # The second lane is still in flight, so the first carries on alone, batch after batch.
        run = webhook_lane_run(
            endpoint_id=endpoint.pk, lease_token=first.token, delivery_ids=first.ids
        )
        assert run.sent == 7
        assert not set(second.ids) & {
            pk for pk in Delivery.objects.filter(status="sent").values_list("pk", flat=True)
        }
        run = webhook_lane_run(
            endpoint_id=endpoint.pk, lease_token=second.token, delivery_ids=second.ids
        )
        assert run.sent == 5
    assert len(receiver.delivered_event_ids()) == 12
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()
    assert not Delivery.objects.exclude(lease_token="").exists()


def test_a_row_handed_out_again_after_its_lease_is_never_attempted_by_the_old_holder(lanes):
    with running(Receiver(SECRET)) as receiver:
        endpoint = _endpoint("csg-zhongshan", receiver.url)
        [pk] = _rows(1, endpoint=endpoint)
        [old] = delivery_batches_reserve()
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=21)):
            [new] = delivery_batches_reserve()
            assert new.ids == [pk] and new.token != old.token
            assert delivery_attempt(delivery_id=pk, lease_token=old.token) == TAKEN
            assert receiver.requests == []
            assert delivery_attempt(delivery_id=pk, lease_token=new.token) == "sent"
    assert len(receiver.requests) == 1


def test_a_running_task_renews_its_lease_and_keeps_its_rows(lanes):
    ids = _rows(3, channel=Channel.IN_APP)
    [batch] = delivery_batches_reserve()
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(seconds=15)):
        Lease(batch.ids, batch.token).keep()
    with time_machine.travel(start + dt.timedelta(seconds=25)):
        assert delivery_batches_reserve() == []  # renewed at +15 s: held until +35 s
        assert deliveries_send(delivery_ids=batch.ids, lease_token=batch.token) == 3
    assert set(Delivery.objects.filter(status="sent").values_list("pk", flat=True)) == set(ids)


def test_a_task_that_dies_gives_its_rows_up_within_the_lease(lanes):
    ids = _rows(3, channel=Channel.IN_APP)
    [lost] = delivery_batches_reserve()  # its task never runs: the broker lost it, say
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=21)):
        [again] = delivery_batches_reserve()
    assert sorted(again.ids) == sorted(ids) and again.token != lost.token


def test_released_leases_are_handed_out_at_the_next_dispatch(lanes, capsys):
    endpoint = _endpoint("csg-zhongshan", "https://hooks.csg.example.cn/a")
    ids = _rows(3, endpoint=endpoint) + _rows(2, channel=Channel.IN_APP)
    first = delivery_batches_reserve()
    assert sorted(pk for b in first for pk in b.ids) == sorted(ids)
    assert delivery_batches_reserve() == []

    call_command("release_delivery_leases")

    assert "5 deliveries released" in capsys.readouterr().out
    again = delivery_batches_reserve()
    assert sorted(pk for b in again for pk in b.ids) == sorted(ids)
    old_tokens = {b.token for b in first}
    assert not old_tokens & {b.token for b in again}


def test_an_endpoint_release_leaves_the_others_reserved(lanes):
    power = _endpoint("csg-zhongshan", "https://hooks.csg.example.cn/a")
    water = _endpoint("zs-water", "https://hooks.water.example.cn/a")
    _rows(1, endpoint=power)
    _rows(1, endpoint=water)
    delivery_batches_reserve()
    call_command("release_delivery_leases", endpoint=str(power.uuid))
    [again] = delivery_batches_reserve()
    assert again.endpoint_id == power.pk


def test_a_lane_out_of_time_hands_its_untried_rows_back(lanes, settings):
    settings.NOTIFICATIONS_WEBHOOK_LANE_SECONDS = 0
    with running(Receiver(SECRET)) as receiver:
        endpoint = _endpoint("csg-zhongshan", receiver.url)
        _rows(5, endpoint=endpoint)
        [lane, *_others] = delivery_batches_reserve()
        run = webhook_lane_run(
            endpoint_id=endpoint.pk, lease_token=lane.token, delivery_ids=lane.ids
        )
    assert (run.sent, run.out_of_time) == (1, True)
    assert len(receiver.requests) == 1
    untried = Delivery.objects.filter(pk__in=lane.ids[1:])
    assert [row.lease_token for row in untried] == [""] * 4
