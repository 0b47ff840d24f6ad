"""The transition tables of the notifications engine: demand notices and deliveries.

Same idiom as the cases (core.workflow): the status is a protected FSM field, each move is a
model method, and this table says who may perform it and how it is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.workflow import Machine, PermissionSource, Step, Transition, register
from workgroups.models import Membership

from .constants import CircuitState, EventType, WebhookAuditAction
from .models import (
    Delivery,
    DeliveryRetry,
    DemandNotice,
    WebhookEndpoint,
    WebhookEndpointEvent,
)

# Not an object permission: being a member of the notice's operator.
OPERATOR_MEMBER = "operator_member"
# Not an object permission: a staff account of the platform.
PLATFORM_STAFF = "platform_staff"


def _member(user: Any, organization_id: int) -> bool:
    return Membership.objects.filter(user=user, organization_id=organization_id).exists()


class NoticeMachine(Machine[DemandNotice]):
    """An operator's copy of an early demand signal (关口前移), acknowledged once."""

    model = DemandNotice
    not_found = gettext_lazy("No such demand notice.")
    forbidden = gettext_lazy("No such demand notice.")

    def visible(self, user: Any, obj: DemandNotice, perms: PermissionSource) -> bool:
        return _member(user, obj.operator_id)

    def may(
        self, user: Any, name: str, obj: DemandNotice, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        if transition is None or transition.system_only or user is None:
            return False
        return _member(user, obj.operator_id)

    def refusal(self, transition: Transition, obj: DemandNotice) -> str:
        return _("This notice is already acknowledged.")

    def record(self, obj: DemandNotice, transition: Transition, step: Step) -> None:
        obj.acknowledged_at = step.now
        obj.acknowledged_by = step.actor
        obj.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])


NOTICE = register(
    NoticeMachine(
        [
            Transition(
                "acknowledge",
                gettext_lazy("Acknowledge"),
                gettext_lazy("Acknowledged"),
                (OPERATOR_MEMBER,),
            )
        ]
    )
)


class ErrorInput(forms.Form):
    error = forms.CharField(max_length=2000, required=False, strip=False)


# What each delivery move writes besides the status, the attempt count and the lease.
_CHANGED = {
    "deliver": ["sent_at", "last_error"],
    "park": ["last_error"],
    "retry": ["next_attempt_at"],
}


class DeliveryMachine(Machine[Delivery]):
    """One message over one channel: delivered, or parked after its attempts for staff."""

    model = Delivery
    not_found = gettext_lazy("No such delivery.")
    forbidden = gettext_lazy("Only staff may retry deliveries.")

    def may(
        self, user: Any, name: str, obj: Delivery, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        if transition is None or transition.system_only or user is None:
            return False
        return bool(user.is_active and user.is_staff)

    def refusal(self, transition: Transition, obj: Delivery) -> str:
        return _("This delivery is %(status)s.") % {"status": obj.get_status_display()}

    def record(self, obj: Delivery, transition: Transition, step: Step) -> None:
        self.record_many([(obj, step)], transition)

    def record_many(self, moved: Sequence[tuple[Delivery, Step]], transition: Transition) -> None:
        # Every move ends the row's lease: a delivered or parked row is nobody's work, and a
        # retried one waits for the next dispatch.
        fields = ["status", "leased_until", "lease_token", "attempts", *_CHANGED[transition.name]]
        retries = []
        for delivery, step in moved:
            delivery.leased_until, delivery.lease_token = None, ""
            if delivery.event_type == EventType.MOBILE_CODE and transition.name != "retry":
                # Sent or given up: the one-time code in the text is nobody's business now.
                delivery.body = _("(one-time code removed after sending)")
                if "body" not in fields:
                    fields.append("body")
            if transition.name == "deliver":
                delivery.sent_at, delivery.last_error = step.now, ""
            elif transition.name == "park":
                delivery.last_error = step.data.get("error", "")[:2000]
            else:
                # The earlier attempts stay in the history; the count starts again.
                retries.append(
                    DeliveryRetry(
                        delivery=delivery,
                        actor=step.actor,
                        at=step.now,
                        attempts_before=delivery.attempts,
                        error_before=delivery.last_error,
                    )
                )
                delivery.attempts, delivery.next_attempt_at = 0, step.now
        if len(moved) == 1:
            moved[0][0].save(update_fields=fields)
        else:
            Delivery.objects.bulk_update([d for d, _step in moved], fields)
        if retries:
            DeliveryRetry.objects.bulk_create(retries)


DELIVERY = register(
    DeliveryMachine(
        [
            Transition("deliver", gettext_lazy("Deliver"), gettext_lazy("Delivered")),
            Transition(
                "park",
                gettext_lazy("Park"),
                gettext_lazy("Parked as failed"),
                input_form=ErrorInput,
            ),
            Transition(
                "retry", gettext_lazy("Retry"), gettext_lazy("Queued again"), (PLATFORM_STAFF,)
            ),
        ]
    )
)


class EndpointMachine(Machine[WebhookEndpoint]):
    """A webhook endpoint's circuit breaker: paused after consecutive failures, probed with one
    delivery after a cool-down, delivering again when the probe succeeds. Only the system moves
    it (notifications/services/circuit.py); staff may ask for an early probe."""

    model = WebhookEndpoint
    state_field = "circuit"
    not_found = gettext_lazy("No such webhook endpoint.")
    forbidden = gettext_lazy("No such webhook endpoint.")

    def refusal(self, transition: Transition, obj: WebhookEndpoint) -> str:
        return _("This endpoint is %(state)s.") % {"state": obj.get_circuit_display()}

    def record(self, obj: WebhookEndpoint, transition: Transition, step: Step) -> None:
        fields = ["circuit"]
        detail = ""
        if transition.name == "pause":
            cooldown = dt.timedelta(seconds=settings.NOTIFICATIONS_CIRCUIT_COOLDOWN_SECONDS)
            obj.probe_after = step.now + cooldown
            obj.circuit_error = step.data.get("error", "")[:2000]
            fields += ["probe_after", "circuit_error"]
            if step.from_state == CircuitState.DELIVERING:
                obj.paused_at = step.now
                fields.append("paused_at")
                detail = f"after {obj.consecutive_failures} consecutive failures: "
                detail += obj.circuit_error
        elif transition.name == "resume":
            obj.consecutive_failures, obj.paused_at, obj.probe_after = 0, None, None
            obj.circuit_error = ""
            fields += ["consecutive_failures", "paused_at", "probe_after", "circuit_error"]
            detail = "probe delivered"
        obj.save(update_fields=fields)
        # The audit trail keeps the pause and the resumption; the failed probes in between are
        # in the attempt history of the deliveries used as probes.
        if detail:
            WebhookEndpointEvent.objects.create(
                endpoint=obj,
                organization_id=obj.organization_id,
                action=(
                    WebhookAuditAction.PAUSED
                    if transition.name == "pause"
                    else WebhookAuditAction.RESUMED
                ),
                url=obj.url,
                actor=None,
                at=step.now,
                detail=detail[:300],
            )


ENDPOINT = register(
    EndpointMachine(
        [
            Transition(
                "pause",
                gettext_lazy("Pause"),
                gettext_lazy("Paused after failures"),
                input_form=ErrorInput,
            ),
            Transition("probe", gettext_lazy("Probe"), gettext_lazy("Probing")),
            Transition("resume", gettext_lazy("Resume"), gettext_lazy("Resumed after a probe")),
        ]
    )
)
