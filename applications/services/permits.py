"""Parallel outside-line permits (并联审批): issued at once, decided independently.

Every decision locks the parent application row first, so agencies deciding at the same
moment are serialised and the application advances exactly once, when the last permit of the
current round is approved.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from core.errors import ValidationError
from core.workflow import apply
from workgroups.calendar import add_working_days
from workgroups.models import User
from workgroups.selectors import permit_authorities

from ..audit import state_change
from ..constants import PermitStatus, ServiceStatus
from ..models import JointWorksPlan, PermitRequest, ServiceApplication, StateChange
from ..permissions import grant_permits
from ..workflow import PERMIT, SERVICE
from .escalations import escalations_close_overtaken


def _latest_by_type(sa: ServiceApplication) -> dict[str, PermitRequest]:
    """The application's own permits (a joint works plan's set is the plan's), latest round."""
    latest: dict[str, PermitRequest] = {}
    for permit in sa.permits.filter(joint_works_plan__isnull=True).order_by("permit_type", "round"):
        latest[permit.permit_type] = permit
    return latest


def permits_issue(*, sa: ServiceApplication, now: dt.datetime) -> list[PermitRequest]:
    """Issue, all at once, every required permit that is not already pending or approved.

    Called inside the transaction that moved `sa` into permitting.
    """
    latest = _latest_by_type(sa)
    to_issue = [
        permit_type
        for permit_type in sa.required_permits
        if permit_type not in latest
        or latest[permit_type].status not in (PermitStatus.PENDING, PermitStatus.APPROVED)
    ]
    permits = permits_create(sa=sa, permit_types=to_issue, now=now)
    grant_permits(sa, permits)
    return permits


def permits_create(
    *,
    sa: ServiceApplication,
    permit_types: list[str],
    now: dt.datetime,
    joint_works_plan: JointWorksPlan | None = None,
) -> list[PermitRequest]:
    """Create the permits of `permit_types`, filed under `sa` (each in its next round), each
    with its agency and deadline, and record their issue in `sa`'s history (no grants)."""
    if not permit_types:
        return []
    authorities = permit_authorities(permit_types)
    missing = [t for t in permit_types if t not in authorities]
    if missing:
        raise ValidationError(
            {"required_permits": _("No agency is configured for: %s") % ", ".join(missing)}
        )
    rounds = dict(
        sa.permits.order_by()
        .values("permit_type")
        .annotate(last=Max("round"))
        .values_list("permit_type", "last")
    )
    permits = PermitRequest.objects.bulk_create(
        [
            PermitRequest(
                service_application=sa,
                joint_works_plan=joint_works_plan,
                permit_type=permit_type,
                agency=authorities[permit_type].agency,
                round=rounds.get(permit_type, 0) + 1,
                issued_at=now,
                due_at=add_working_days(now, authorities[permit_type].working_days),
            )
            for permit_type in permit_types
        ]
    )
    StateChange.objects.bulk_create(
        [
            state_change(
                sa=sa,
                permit=permit,
                transition="issue_permit",
                from_state="",
                actor=None,
                organization=None,
                at=now,
            )
            for permit in permits
        ]
    )
    return permits


def permits_cancel_open(*, sa: ServiceApplication, now: dt.datetime, reason: str) -> None:
    """Cancel the pending permits of an application that no longer needs them."""
    own = sa.permits.filter(joint_works_plan__isnull=True, status=PermitStatus.PENDING)
    for permit in own.order_by("pk"):
        apply(PERMIT, permit, "cancel", actor=None, data={"reason": reason}, now=now)
        escalations_close_overtaken(service_application=sa, permit=permit, now=now)


@transaction.atomic
def permit_request_decide(
    *,
    actor: User,
    permit_request: PermitRequest,
    decision: str,
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> PermitRequest:
    """An agency approves, returns or rejects one permit; the application follows."""
    now = now or timezone.now()
    permit = apply(PERMIT, permit_request, decision, actor=actor, data=data, now=now)
    sa = permit.service_application
    escalations_close_overtaken(service_application=sa, permit=permit, now=now)
    if permit.joint_works_plan_id is not None:
        # One permit set for a joint works plan: the plan and all its applications follow.
        from .joint_works import joint_works_permit_follows

        joint_works_permit_follows(permit=permit, now=now)
    else:
        _application_follows(sa=sa, permit=permit, now=now)
    return permit


def _application_follows(*, sa: ServiceApplication, permit: PermitRequest, now) -> None:
    """Move the application as the permits' outcome requires (the system is the actor)."""
    if permit.status == PermitStatus.APPROVED:
        if sa.status != ServiceStatus.PERMITTING:
            return
        latest = _latest_by_type(sa)
        if not all(
            t in latest and latest[t].status == PermitStatus.APPROVED for t in sa.required_permits
        ):
            return
        _system_transition(sa, "permits_approved", now=now, comment=_("All permits approved."))
    elif permit.status == PermitStatus.RETURNED and sa.status == ServiceStatus.PERMITTING:
        _system_transition(sa, "permit_returned", now=now, reason=permit.reason)
    elif permit.status == PermitStatus.REJECTED and can_proceed(sa.permit_rejected):
        _system_transition(sa, "permit_rejected", now=now, reason=permit.reason)
        permits_cancel_open(sa=sa, now=now, reason=_("Another permit was rejected."))


def _system_transition(
    sa: ServiceApplication, name: str, *, now: dt.datetime, comment: str = "", **data: str
) -> None:
    apply(SERVICE, sa, name, actor=None, data=data, comment=comment, now=now)
    escalations_close_overtaken(service_application=sa, now=now)
