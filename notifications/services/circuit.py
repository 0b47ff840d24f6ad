"""The circuit breaker of webhook endpoints: one partner's outage costs the others nothing.

After NOTIFICATIONS_CIRCUIT_FAILURES consecutive failed attempts (error status, timeout,
connection failure) an endpoint is paused: its rows wait, the dispatcher hands none of them
out, and its organisation finds a message in its inbox. After the cool-down
(NOTIFICATIONS_CIRCUIT_COOLDOWN_SECONDS) the dispatcher sends one row as a probe; if it is
accepted the endpoint delivers again (and the organisation is told), if not it stays paused
for another cool-down. A failed probe is charged to the endpoint, not to the row used for it.
"""

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.workflow import apply
from workgroups.models import User

from ..constants import Channel, CircuitState, DeliveryStatus, EventType, WebhookAuditAction
from ..models import Delivery, WebhookEndpoint, WebhookEndpointEvent
from ..texts import compose
from ..workflow import ENDPOINT
from .recipients import save_deliveries

logger = logging.getLogger("notifications.circuit")


def _tell_organization(endpoint: WebhookEndpoint, event_type: str, moment: dt.datetime) -> None:
    """An in-portal message to the endpoint's organisation, through the outbox (never a
    webhook: that is what is failing)."""
    if event_type == EventType.WEBHOOK_PAUSED:
        message = compose(
            "webhook.paused",
            {
                "url": endpoint.url,
                "failures": endpoint.consecutive_failures,
                "error": endpoint.circuit_error[:300],
                "probe_at": endpoint.probe_after.isoformat() if endpoint.probe_after else None,
            },
        )
    else:
        message = compose("webhook.resumed", {"url": endpoint.url})
    event_id = uuid.uuid5(endpoint.uuid, f"{event_type}:{moment.isoformat()}")
    org_id = endpoint.organization_id
    payload = {
        "endpoint": str(endpoint.uuid),
        "url": endpoint.url,
        "state": endpoint.circuit,
        "paused_at": endpoint.paused_at.isoformat() if endpoint.paused_at else None,
        "next_probe_at": endpoint.probe_after.isoformat() if endpoint.probe_after else None,
        "last_error": endpoint.circuit_error,
    }
    save_deliveries(
        [
            Delivery(
                event_id=event_id,
                event_type=event_type,
                channel=Channel.IN_APP,
                idempotency_key=f"{event_id}:in_app:org{org_id}",
                recipient_organization_id=org_id,
                subject=message["subject"][:200],
                body=message["body"],
                code=message["code"],
                params=message["params"],
                payload=payload,
            )
        ]
    )


def webhook_circuit_record(
    *, endpoint_id: int, delivered: bool, probe: bool, error: str = ""
) -> str:
    """Count one finished attempt against the endpoint's circuit breaker (after the attempt's
    own transaction: the endpoint row is locked only briefly). Returns the circuit state."""
    if delivered and not probe:
        # The common case costs one UPDATE that matches nothing.
        WebhookEndpoint.objects.filter(
            pk=endpoint_id, circuit=CircuitState.DELIVERING, consecutive_failures__gt=0
        ).update(consecutive_failures=0)
        return CircuitState.DELIVERING
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        now = timezone.now()
        if delivered:
            if endpoint.circuit == CircuitState.PROBING:
                apply(ENDPOINT, endpoint, "resume", actor=None, now=now, locked=True)
                _tell_organization(endpoint, EventType.WEBHOOK_RESUMED, now)
                logger.warning("webhook endpoint %s resumed after a probe", endpoint.uuid)
            return endpoint.circuit
        if endpoint.circuit == CircuitState.PROBING:
            # Paused again for another cool-down; the organisation was told at the first pause.
            data = {"error": error}
            apply(ENDPOINT, endpoint, "pause", actor=None, data=data, now=now, locked=True)
        elif endpoint.circuit == CircuitState.DELIVERING:
            endpoint.consecutive_failures += 1
            endpoint.save(update_fields=["consecutive_failures"])
            if endpoint.consecutive_failures >= max(1, settings.NOTIFICATIONS_CIRCUIT_FAILURES):
                data = {"error": error}
                apply(ENDPOINT, endpoint, "pause", actor=None, data=data, now=now, locked=True)
                _tell_organization(endpoint, EventType.WEBHOOK_PAUSED, now)
                logger.warning(
                    "webhook endpoint %s paused after %s consecutive failures: %s",
                    endpoint.uuid,
                    endpoint.consecutive_failures,
                    error,
                )
        return endpoint.circuit


@transaction.atomic
def webhook_endpoint_probe_now(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Staff (told the receiver is fixed) end a paused endpoint's cool-down: the next dispatch
    sends the probe. Recorded in the endpoint's audit trail; nothing changes otherwise."""
    if not (actor.is_active and actor.is_staff):
        raise PermissionDenied(_("Only staff may ask for a probe."))
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.circuit != CircuitState.PAUSED:
        return endpoint
    held_until, now = endpoint.probe_after, timezone.now()
    endpoint.probe_after = now
    endpoint.save(update_fields=["probe_after"])
    if held_until is not None:
        # The rows waiting for the probe are due now.
        Delivery.objects.filter(
            endpoint=endpoint,
            status=DeliveryStatus.PENDING,
            next_attempt_at__gt=now,
            next_attempt_at__lte=held_until,
        ).update(next_attempt_at=now)
    WebhookEndpointEvent.objects.create(
        endpoint=endpoint,
        organization_id=endpoint.organization_id,
        action=WebhookAuditAction.PROBE_REQUESTED,
        url=endpoint.url,
        actor=actor,
        detail="staff site",
    )
    return endpoint
