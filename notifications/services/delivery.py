"""Delivering outbox rows: in-app, email, signed webhook; backoff, parking, retry, history.

Guarantee: every Delivery row is attempted until it succeeds or is parked as failed after
NOTIFICATIONS_MAX_ATTEMPTS; a webhook may arrive more than once (at-least-once), always with
the same event id, so receivers dedupe by it. Never twice at the same time: a row is attempted
under its row lock, by the holder of its lease only (leases.py). Every attempt is kept as a
DeliveryAttempt row.
"""

import datetime as dt
import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.workflow import apply, apply_many
from workgroups.models import User

from ..constants import (
    RECEIVER_FAILURES,
    AttemptOutcome,
    Channel,
    CircuitState,
    DeliveryStatus,
    EventType,
)
from ..errors import DeliveryError
from ..models import Delivery, DeliveryAttempt
from ..selectors import inbox_for
from ..signing import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from ..sms import SmsError, SmsMessage, get_backend
from ..workflow import DELIVERY
from .circuit import webhook_circuit_record
from .leases import Lease, webhook_lane_next
from .webhooks import refused_addresses, resolve

# What an attempt that did not try answers besides a status: the row is locked by someone
# else, leased to another task now, or waiting for its paused endpoint.
BUSY = "busy"
TAKEN = "taken"
HELD = "held"
LEASE = ("leased_until", "lease_token")


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
            f"refused: {host} resolves to a non-public address ({', '.join(refused)})",
            outcome=AttemptOutcome.REFUSED,
        )
    return addresses


def _pinned_opener(addresses: list[str]) -> urllib.request.OpenerDirector:
    """An opener that connects only to the addresses just checked (the name is not looked up
    a second time), keeps the host name for TLS verification and the Host header, uses no
    proxy and follows no redirect (a redirect could point anywhere). Connecting may take
    NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT; then each read, NOTIFICATIONS_WEBHOOK_READ_TIMEOUT."""
    connect_timeout = settings.NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT
    read_timeout = settings.NOTIFICATIONS_WEBHOOK_READ_TIMEOUT

    def connect(address, timeout, source_address=None):  # http.client passes its own timeout
        error: OSError = OSError(f"no address to connect to for {address[0]}")
        for ip in addresses:
            try:
                sock = socket.create_connection((ip, address[1]), connect_timeout, source_address)
            except OSError as exc:
                error = exc
                continue
            sock.settimeout(read_timeout)  # the TLS handshake and the answer
            return sock
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


def _timed_out(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", None)  # URLError wraps what happened while connecting
    return isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError)


def _send_webhook(delivery: Delivery) -> int | None:
    endpoint = delivery.endpoint
    if endpoint is None or not endpoint.is_active:
        raise DeliveryError(
            "webhook endpoint removed or disabled", outcome=AttemptOutcome.UNDELIVERABLE
        )
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
        with opener.open(request, timeout=settings.NOTIFICATIONS_WEBHOOK_READ_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(
            f"HTTP {exc.code} from {endpoint.url}",
            outcome=AttemptOutcome.HTTP_ERROR,
            status_code=exc.code,
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        outcome = AttemptOutcome.TIMEOUT if _timed_out(exc) else AttemptOutcome.CONNECTION_ERROR
        raise DeliveryError(f"{type(exc).__name__}: {exc}", outcome=outcome) from exc
    if not 200 <= status < 300:
        raise DeliveryError(
            f"HTTP {status} from {endpoint.url}",
            outcome=AttemptOutcome.HTTP_ERROR,
            status_code=status,
        )
    return status


def _email_address(delivery: Delivery) -> str:
    """The user's address, or the one given without an account (a demand's submitter)."""
    if delivery.recipient_address:
        return delivery.recipient_address
    return delivery.recipient_user.email if delivery.recipient_user else ""


def _send_email(delivery: Delivery) -> int | None:
    address = _email_address(delivery)
    if not address:
        raise DeliveryError("no email address", outcome=AttemptOutcome.UNDELIVERABLE)
    try:
        text = "\n\n".join(part for part in (delivery.subject, delivery.body) if part)
        send_mail(delivery.subject, text, None, [address], fail_silently=False)
    except OSError as exc:
        outcome = AttemptOutcome.TIMEOUT if _timed_out(exc) else AttemptOutcome.CONNECTION_ERROR
        raise DeliveryError(f"{type(exc).__name__}: {exc}", outcome=outcome) from exc
    return None


def _sms_number(delivery: Delivery) -> str:
    # A confirmation code goes to the number being confirmed; anything else to the person's
    # confirmed number.
    user = delivery.recipient_user
    return str(delivery.payload.get("to") or (user.mobile if user is not None else ""))


def _send_sms(delivery: Delivery) -> int | None:
    number = _sms_number(delivery)
    if not number:
        raise DeliveryError("no mobile number", outcome=AttemptOutcome.UNDELIVERABLE)
    text = delivery.body if delivery.event_type == EventType.MOBILE_CODE else delivery.subject
    try:
        get_backend().send_messages([SmsMessage(to=number, text=text)])
    except (SmsError, OSError) as exc:
        outcome = AttemptOutcome.TIMEOUT if _timed_out(exc) else AttemptOutcome.CONNECTION_ERROR
        raise DeliveryError(f"{type(exc).__name__}: {exc}", outcome=outcome) from exc
    return None


_SENDERS: dict[str, Callable[[Delivery], int | None]] = {
    Channel.WEBHOOK: _send_webhook,
    Channel.EMAIL: _send_email,
    Channel.SMS: _send_sms,
}


def _target(delivery: Delivery) -> str:
    if delivery.channel == Channel.WEBHOOK:
        return delivery.endpoint.url if delivery.endpoint else ""
    if delivery.channel == Channel.EMAIL:
        return _email_address(delivery)
    if delivery.channel == Channel.SMS:
        return _sms_number(delivery)
    return ""


def delivery_attempt(*, delivery_id: int, lease_token: str | None = None) -> str:
    """Try one delivery once; returns its status afterwards (or BUSY, TAKEN, HELD when it was
    not tried). Safe to call twice at once: the row is locked (SKIP LOCKED), a delivered row is
    never sent again, and with `lease_token` only the task holding the row's lease tries it.

    The attempt is recorded (DeliveryAttempt); a webhook's outcome then counts towards its
    endpoint's circuit breaker. While the endpoint is paused its rows are not tried; while it
    is probed, a failure is not counted against the row."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "recipient_user")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return BUSY
        if delivery.status != DeliveryStatus.PENDING:
            return delivery.status
        if lease_token is not None and delivery.lease_token != lease_token:
            return TAKEN
        endpoint = delivery.endpoint if delivery.channel == Channel.WEBHOOK else None
        if endpoint is not None and endpoint.circuit == CircuitState.PAUSED:
            # Waits for the endpoint's probe (leases._hold_for_paused_endpoints).
            due = max(delivery.next_attempt_at, endpoint.probe_after or delivery.next_attempt_at)
            Delivery.objects.filter(pk=delivery.pk).update(
                leased_until=None, lease_token="", next_attempt_at=due
            )
            return HELD
        probe = endpoint is not None and endpoint.circuit == CircuitState.PROBING
        now = timezone.now()
        started = time.monotonic()
        failure: DeliveryError | None = None
        status_code = None
        try:
            sender = _SENDERS.get(delivery.channel)
            if sender is not None:
                status_code = sender(delivery)
        except DeliveryError as exc:
            failure, status_code = exc, exc.status_code
        error = str(failure)[:2000] if failure else ""
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            endpoint=endpoint,
            target=_target(delivery)[:500],
            outcome=failure.outcome if failure else AttemptOutcome.DELIVERED,
            status_code=status_code,
            error=error,
            duration_ms=round((time.monotonic() - started) * 1000),
            probe=probe,
        )
        if failure is None:
            delivery.attempts += 1
            apply(DELIVERY, delivery, "deliver", actor=None, now=now, locked=True)
        elif probe and failure.outcome in RECEIVER_FAILURES:
            # Charged to the endpoint: the row waits with the others for the next probe.
            delivery.last_error, delivery.next_attempt_at = error, now
            delivery.leased_until, delivery.lease_token = None, ""
            delivery.save(update_fields=["last_error", "next_attempt_at", *LEASE])
        else:
            delivery.attempts += 1
            if delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                park = {"error": error}
                apply(DELIVERY, delivery, "park", actor=None, data=park, now=now, locked=True)
            else:
                delivery.last_error = error
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                delivery.leased_until, delivery.lease_token = None, ""
                delivery.save(update_fields=["attempts", "last_error", "next_attempt_at", *LEASE])
    if endpoint is None:
        return delivery.status
    if failure is not None:
        counts = failure.outcome in RECEIVER_FAILURES
    else:
        # A success changes nothing unless it ends a probe or a run of failures (as read with
        # the row: a failure of another lane meanwhile is not reset by it).
        counts = probe or endpoint.consecutive_failures > 0
    if counts:
        webhook_circuit_record(
            endpoint_id=endpoint.pk, delivered=failure is None, probe=probe, error=error
        )
    return delivery.status


def deliveries_send(*, delivery_ids: list[int], lease_token: str | None = None) -> int:
    """One batch of in-portal and e-mail rows, each tried once, the lease renewed on the way.
    Returns how many were delivered."""
    sent = 0
    lease = Lease(delivery_ids, lease_token) if lease_token is not None else None
    try:
        for pk in delivery_ids:
            if lease is not None:
                lease.keep()
            sent += delivery_attempt(delivery_id=pk, lease_token=lease_token) == "sent"
            if lease is not None:
                lease.done(pk)
    finally:
        if lease is not None:
            lease.give_back()
    return sent


@dataclass(frozen=True)
class LaneRun:
    sent: int
    out_of_time: bool


def webhook_lane_run(*, endpoint_id: int, lease_token: str, delivery_ids: list[int]) -> LaneRun:
    """One lane of one webhook endpoint: its rows in turn, then the endpoint's next batches
    while there are any and time is left (NOTIFICATIONS_WEBHOOK_LANE_SECONDS, checked before
    each attempt). Stops at once when the endpoint is paused; untried rows are handed back."""
    deadline = time.monotonic() + settings.NOTIFICATIONS_WEBHOOK_LANE_SECONDS
    sent = tried = 0
    ids = list(delivery_ids)
    while ids:
        lease = Lease(ids, lease_token)
        try:
            for pk in ids:
                if tried and time.monotonic() >= deadline:
                    return LaneRun(sent, out_of_time=True)
                lease.keep()
                status = delivery_attempt(delivery_id=pk, lease_token=lease_token)
                lease.done(pk)
                tried += 1
                if status == HELD:
                    return LaneRun(sent, out_of_time=False)
                sent += status == "sent"
        finally:
            lease.give_back()
        ids = webhook_lane_next(endpoint_id=endpoint_id, token=lease_token)
    return LaneRun(sent, out_of_time=False)


@transaction.atomic
def delivery_retry(*, actor: User, delivery: Delivery) -> Delivery:
    """Staff put a parked delivery back in the queue (after fixing the endpoint, say). Who
    retried is recorded (DeliveryRetry); the earlier attempts stay in the history."""
    if not DELIVERY.may(actor, "retry", delivery):
        raise PermissionDenied(_("Only staff may retry deliveries."))
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.FAILED:
        return delivery
    return apply(DELIVERY, delivery, "retry", actor=actor, locked=True)


@transaction.atomic
def deliveries_retry(*, actor: User, deliveries: QuerySet[Delivery] | Iterable[Delivery]) -> int:
    """Staff put many parked deliveries back in the queue at once (say, every parked row of an
    endpoint that works again). Rows not parked are left as they are. Returns how many."""
    if not (actor.is_active and actor.is_staff):
        raise PermissionDenied(_("Only staff may retry deliveries."))
    ids = (
        deliveries.values_list("pk", flat=True)
        if isinstance(deliveries, QuerySet)
        else [d.pk for d in deliveries]
    )
    parked = list(
        Delivery.objects.select_for_update(of=("self",))
        .filter(pk__in=list(ids), status=DeliveryStatus.FAILED)
        .order_by("pk")
    )
    apply_many(DELIVERY, parked, "retry", actor=actor)
    return len(parked)


@transaction.atomic
def inbox_mark_read(*, user: User, delivery_ids: list[int] | None = None) -> int:
    """Mark the user's own in-portal messages read (every unread one when `delivery_ids` is
    None); others' ids are silently ignored. Returns how many were unread."""
    unread = inbox_for(user=user).filter(read_at__isnull=True)
    if delivery_ids is not None:
        unread = unread.filter(pk__in=delivery_ids)
    # The inbox query joins memberships: update by primary key.
    return Delivery.objects.filter(pk__in=list(unread.values_list("pk", flat=True))).update(
        read_at=timezone.now()
    )
