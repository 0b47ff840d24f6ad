"""Signing up in tests as a person would: the form, then the code from the SMS (delivered by
the outbox to the LocMem SMS backend, as tests/notifications/test_sms.py reads it)."""

import re

from django.test import Client

from notifications import sms
from notifications.constants import Channel, DeliveryStatus
from notifications.models import Delivery
from notifications.services import deliveries_send
from workgroups.validators import normalize_mobile

CONFIRM = "/accounts/signup/confirm/"


def sms_code(mobile: str) -> str:
    """Deliver the pending SMS rows as the worker would; the last code sent to `mobile`."""
    pending = Delivery.objects.filter(channel=Channel.SMS, status=DeliveryStatus.PENDING)
    deliveries_send(delivery_ids=list(pending.values_list("pk", flat=True)))
    texts = [message.text for message in sms.outbox if message.to == normalize_mobile(mobile)]
    assert texts, f"no SMS to {mobile}"
    found = re.search(r"(?<!\d)\d{6}(?!\d)", texts[-1])
    assert found, texts[-1]
    return found.group(0)


def sign_up(client: Client, path: str, data: dict, *, follow: bool = False):
    """Post the sign-up form at `path`, then the code received; the answer to the code."""
    response = client.post(path, data)
    assert response.status_code == 302 and response.url.endswith(CONFIRM), response
    return client.post(
        response.url, {"action": "confirm", "code": sms_code(data["mobile"])}, follow=follow
    )
