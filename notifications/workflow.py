"""The transition tables of the notifications engine: demand notices and deliveries.

Same idiom as the cases (core.workflow): the status is a protected FSM field, each move is a
model method, and this table says who may perform it and how it is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.workflow import Machine, PermissionSource, Step, Transition, register
from workgroups.models import Membership

from .models import Delivery, DemandNotice

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
        fields = ["status"]
        for delivery, step in moved:
            if transition.name == "deliver":
                delivery.sent_at, delivery.last_error = step.now, ""
                fields = ["status", "attempts", "sent_at", "last_error"]
            elif transition.name == "park":
                delivery.last_error = step.data.get("error", "")[:2000]
                fields = ["status", "attempts", "last_error"]
            else:
                delivery.attempts, delivery.next_attempt_at = 0, step.now
                fields = ["status", "attempts", "next_attempt_at"]
        if len(moved) == 1:
            moved[0][0].save(update_fields=fields)
        else:
            Delivery.objects.bulk_update([d for d, _step in moved], fields)


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
