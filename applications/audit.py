"""Building StateChange rows and telling which organisation a person acted for."""

import datetime as dt
from decimal import Decimal

from workgroups.models import Membership, Organization, User

from .clock import ClockChange
from .models import PermitRequest, ServiceApplication, StateChange


def acting_organization(user: User | None, organization: Organization) -> Organization | None:
    """`organization` if `user` is its member, else None (a platform administrator)."""
    if user is None:
        return None
    is_member = Membership.objects.filter(user=user, organization=organization).exists()
    return organization if is_member else None


def jsonable(data: dict) -> dict:
    def convert(value: object) -> object:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        return value

    return {key: convert(value) for key, value in data.items()}


def state_change(
    *,
    sa: ServiceApplication,
    transition: str,
    from_state: str,
    actor: User | None,
    organization: Organization | None,
    at: dt.datetime,
    comment: str = "",
    data: dict | None = None,
    clock: ClockChange | None = None,
    permit: PermitRequest | None = None,
) -> StateChange:
    """An unsaved audit row (callers save it, or bulk-create several)."""
    clock = clock or ClockChange()
    return StateChange(
        service_application=sa,
        permit_request=permit,
        transition=transition,
        from_state=from_state,
        to_state=permit.status if permit is not None else sa.status,
        actor=actor,
        actor_organization=organization,
        at=at,
        comment=comment,
        data=jsonable(data or {}),
        clock_event=clock.event,
        paused_working_days=clock.paused_working_days,
        due_at=permit.due_at if permit is not None else sa.due_at,
    )
