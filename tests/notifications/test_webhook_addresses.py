"""SSRF guard: a webhook host is judged by the addresses it resolves to, at registration and
again right before every delivery (DNS can change: rebinding), and the request goes to the
address that was checked. Real local receivers; only DNS answers for made-up names are faked.
"""

import socket
import uuid
from types import SimpleNamespace

import pytest

from notifications.constants import Channel, DeliveryStatus, EventType
from notifications.models import Delivery, WebhookEndpoint
from notifications.services import delivery_attempt
from notifications.services.webhooks import webhook_url_errors
from tests.receiver import Receiver, running
from tests.webhook_addresses import NON_PUBLIC
from workgroups.models import Organization

SECRET = "whsec-address-test-51c0"
real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    return settings


@pytest.fixture
def dns(monkeypatch):
    """Answers for made-up names (the outside world); every other name resolves for real."""
    answers: dict[str, list[str]] = {}
    answers_given: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            answers_given.append(host)
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in answers[host]
            ]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return SimpleNamespace(answers=answers, given=answers_given)


def _delivery_to(url: str) -> Delivery:
    endpoint = WebhookEndpoint.objects.create(
        organization=Organization.objects.get(code="csg-zhongshan"), url=url, secret=SECRET
    )
    return Delivery.objects.create(
        event_id=uuid.uuid4(),
        event_type=EventType.WORK_ITEM_ASSIGNED,
        channel=Channel.WEBHOOK,
        idempotency_key=f"test:{uuid.uuid4()}",
        recipient_organization=endpoint.organization,
        endpoint=endpoint,
        subject="新工单",
        payload={"work_item": "abc"},
    )


def test_a_name_that_resolves_to_loopback_is_refused_at_registration(production):
    # "localhost" resolves to 127.0.0.1 through the system resolver (/etc/hosts).
    [error] = webhook_url_errors("https://localhost/hooks/portal")
    assert "127.0.0.1" in error or "::1" in error


def test_a_name_resolving_to_any_private_address_is_refused(production, dns):
    dns.answers["hooks.csg.example.cn"] = ["93.184.216.34", "10.8.0.5"]
    [error] = webhook_url_errors("https://hooks.csg.example.cn/portal")
    assert "10.8.0.5" in error and "93.184.216.34" not in error
    dns.answers["hooks.csg.example.cn"] = ["93.184.216.34"]
    assert webhook_url_errors("https://hooks.csg.example.cn/portal") == []
    dns.answers["meta.example.cn"] = ["169.254.169.254"]
    assert webhook_url_errors("https://meta.example.cn/latest") != []


def test_a_name_that_does_not_resolve_yet_may_be_registered(production):
    # Nothing can be sent to it; each delivery resolves it again.
    assert webhook_url_errors("https://dispatch.csg.example.invalid/hooks") == []


def test_delivery_is_refused_when_the_name_now_resolves_to_loopback(reference, settings):
    with running(Receiver(SECRET)) as receiver:
        url = receiver.url.replace("127.0.0.1", "localhost")
        delivery = _delivery_to(url)  # registered where loopback was allowed
        settings.DEBUG = False
        settings.WEBHOOKS_ALLOW_LOOPBACK = False

        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        assert delivery.attempts == 1
        assert delivery.last_error.startswith("refused: localhost resolves to a non-public")
        assert receiver.requests == []

        settings.WEBHOOKS_ALLOW_LOOPBACK = True  # the same setting lets local receivers work
        delivery.next_attempt_at = delivery.created_at
        delivery.save(update_fields=["next_attempt_at"])
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert [r["valid_signature"] for r in receiver.requests] == [True]


def test_dns_rebinding_after_registration_does_not_reach_the_internal_network(
    reference, production, dns
):
    dns.answers["hooks.csg.example.cn"] = ["93.184.216.34"]
    assert webhook_url_errors("https://hooks.csg.example.cn/portal") == []
    delivery = _delivery_to("https://hooks.csg.example.cn/portal")
    dns.answers["hooks.csg.example.cn"] = ["169.254.169.254"]  # the name now points inside

    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert "169.254.169.254" in delivery.last_error
    assert delivery.last_error.startswith("refused:")


def test_the_request_goes_to_the_address_that_was_checked(reference, dns):
    # One look-up per attempt: the connection uses the checked answer instead of asking DNS
    # a second time (which a rebinding attacker would answer differently).
    dns.answers["hooks.csg.example.cn"] = ["127.0.0.1"]
    with running(Receiver(SECRET)) as receiver:
        delivery = _delivery_to(receiver.url.replace("127.0.0.1", "hooks.csg.example.cn"))
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert dns.given == ["hooks.csg.example.cn"]
    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed(reference):
    with running(Receiver(SECRET, script=[302])) as receiver:
        delivery = _delivery_to(receiver.url)
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert "HTTP 302" in delivery.last_error
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(("host", "address"), NON_PUBLIC)
def test_a_name_resolving_to_any_spelling_of_a_non_public_address_is_refused(
    production, dns, host, address
):
    dns.answers["hooks.csg.example.cn"] = ["93.184.216.34", address]
    [error] = webhook_url_errors("https://hooks.csg.example.cn/portal")
    assert address in error and "93.184.216.34" not in error


@pytest.mark.parametrize(
    "answer", ["::ffff:a9fe:a9fe", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "::a00:1"]
)
def test_delivery_refuses_a_name_that_now_resolves_to_a_translated_private_address(
    reference, production, dns, answer
):
    dns.answers["hooks.csg.example.cn"] = ["2001:4860:4860::8888"]
    assert webhook_url_errors("https://hooks.csg.example.cn/portal") == []
    delivery = _delivery_to("https://hooks.csg.example.cn/portal")
    dns.answers["hooks.csg.example.cn"] = [answer]

    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("refused: hooks.csg.example.cn resolves to a non-public")
    assert answer in delivery.last_error


def test_delivery_refuses_a_literal_nat64_address_registered_before_the_guard_knew_it(
    reference, production
):
    delivery = _delivery_to("https://[64:ff9b::10.0.0.1]/hooks")
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("refused:") and "64:ff9b::a00:1" in delivery.last_error
