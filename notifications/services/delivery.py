"""Delivering outbox rows: in-app, email, signed webhook; backoff, parking, retry.

Guarantee: every Delivery row is attempted until it succeeds or is parked as failed after
NOTIFICATIONS_MAX_ATTEMPTS; a webhook may arrive more than once (at-least-once), always with
the same event id, so receivers dedupe by it.
"""

import datetime as dt
import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.workflow import apply
from workgroups.models import User

from ..constants import Channel, DeliveryStatus
from ..errors import DeliveryError
from ..models import Delivery
from ..selectors import inbox_for
from ..signing import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from ..workflow import DELIVERY
from .webhooks import refused_addresses, resolve


def backoff(attempts: int) -> dt.timedelta:
    """Exponential backoff with full jitter: up to base * 2^(attempts-1), capped."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    cap = settings.NOTIFICATIONS_RETRY_MAX_SECONDS
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter


def webhook_body(delivery: Delivery) -> bytes:
    envelope = {
        "id": str(delivery.event_id),
        "type": delivery.event_type,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, sort_keys=True).encode()


def _checked_addresses(url: str) -> list[str]:
    """Resolve the endpoint's host now and refuse it unless every address is public
    (loopback too when allowed): registration checked it once, but DNS can change since,
    maliciously so (DNS rebinding), and the request must not reach the internal network."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError, ValueError) as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc}") from exc
    if refused := refused_addresses(addresses):
        raise DeliveryError(
            f"refused: {host} resolves to a non-public address ({', '.join(refused)})"
        )
    return addresses


def _pinned_opener(addresses: list[str]) -> urllib.request.OpenerDirector:
    """An opener that connects only to the addresses just checked (the name is not looked up
    a second time), keeps the host name for TLS verification and the Host header, uses no
    proxy and follows no redirect (a redirect could point anywhere)."""

    def connect(address, timeout, source_address=None):  # http.client passes the timeout
        error: OSError = OSError(f"no address to connect to for {address[0]}")
        for ip in addresses:
            try:
                return socket.create_connection((ip, address[1]), timeout, source_address)
            except OSError as exc:
                error = exc
        raise error

    def pinned(connection_class):
        def build(host, **kwargs):
            connection = connection_class(host, **kwargs)
            connection._create_connection = connect
            return connection

        return build

    class PinnedHTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(pinned(http.client.HTTPConnection), req)

    class PinnedHTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            # HTTPSConnection's default context: the certificate and host name are verified.
            return self.do_open(pinned(http.client.HTTPSConnection), req)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # the 3xx is then an HTTPError: a failed attempt

    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), PinnedHTTPHandler, PinnedHTTPSHandler, NoRedirect
    )


def _send_webhook(delivery: Delivery) -> None:
    endpoint = delivery.endpoint
    if endpoint is None or not endpoint.is_active:
        raise DeliveryError("webhook endpoint removed or disabled")
    opener = _pinned_opener(_checked_addresses(endpoint.url))
    body = webhook_body(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - operator-registered http(s) URL
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "zhongshan-utility-portal/1",
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_ID_HEADER: str(delivery.event_id),
            EVENT_TYPE_HEADER: delivery.event_type,
        },
    )
    try:
        with opener.open(request, timeout=settings.NOTIFICATIONS_WEBHOOK_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from {endpoint.url}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from {endpoint.url}")


def _send_email(delivery: Delivery) -> None:
    user = delivery.recipient_user
    if user is None or not user.email:
        raise DeliveryError("no email address")
    try:
        text = "\n\n".join(part for part in (delivery.subject, delivery.body) if part)
        send_mail(delivery.subject, text, None, [user.email], fail_silently=False)
    except OSError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


_SENDERS: dict[str, Callable[[Delivery], None]] = {
    Channel.WEBHOOK: _send_webhook,
    Channel.EMAIL: _send_email,
}


def delivery_attempt(*, delivery_id: int) -> str:
    """Try one delivery once; returns its status afterwards. Safe to call twice at once:
    the row is locked (SKIP LOCKED) and a delivered row is never sent again."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "recipient_user")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "busy"
        if delivery.status != DeliveryStatus.PENDING:
            return delivery.status
        now = timezone.now()
        delivery.attempts += 1
        try:
            sender = _SENDERS.get(delivery.channel)
            if sender is not None:
                sender(delivery)
        except DeliveryError as exc:
            error = str(exc)[:2000]
            if delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                park = {"error": error}
                apply(DELIVERY, delivery, "park", actor=None, data=park, now=now, locked=True)
                return delivery.status
            delivery.last_error = error
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            delivery.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            return delivery.status
        apply(DELIVERY, delivery, "deliver", actor=None, now=now, locked=True)
        return delivery.status


def deliveries_reserve(*, limit: int = 1000) -> list[int]:
    """Pending rows that are due, reserved for ENQUEUED_LEASE so they are handed out once."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        # Reserved for a while: if the worker dies or the broker loses the message, the row
        # becomes due again and the next dispatch hands it out again.
        lease = dt.timedelta(seconds=settings.NOTIFICATIONS_ENQUEUE_LEASE_SECONDS)
        Delivery.objects.filter(pk__in=ids).update(next_attempt_at=now + lease)
    return ids


@transaction.atomic
def delivery_retry(*, actor: User, delivery: Delivery) -> Delivery:
    """Staff put a parked delivery back in the queue (after fixing the endpoint, say)."""
    if not DELIVERY.may(actor, "retry", delivery):
        raise PermissionDenied(_("Only staff may retry deliveries."))
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.FAILED:
        return delivery
    return apply(DELIVERY, delivery, "retry", actor=actor, locked=True)


def inbox_mark_read(*, user: User, delivery_ids: list[int]) -> int:
    """Mark the user's own in-portal messages read; others' ids are silently ignored."""
    return (
        inbox_for(user=user)
        .filter(pk__in=delivery_ids, read_at__isnull=True)
        .update(read_at=timezone.now())
    )
