"""Moving one service application through its state machine (the workflow kernel's door for
people: operators, lead agencies and applicants)."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from core.workflow import apply
from workgroups.models import User

from ..constants import ServiceStatus
from ..models import ServiceApplication
from ..workflow import SERVICE
from .escalations import escalations_close_overtaken
from .joint_works import joint_works_entered, joint_works_withdrawn
from .permits import permits_cancel_open, permits_issue


@transaction.atomic
def service_application_transition(
    *,
    actor: User | None,
    service_application: ServiceApplication,
    transition: str,
    data: dict | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> ServiceApplication:
    """Perform `transition` as `actor` (None: the system) with its stage data, then what the new
    stage needs: escalations of the old deadline closed, permits issued or cancelled."""
    now = now or timezone.now()
    sa = apply(
        SERVICE,
        service_application,
        transition,
        actor=actor,
        data=data,
        comment=comment,
        now=now,
    )
    service_application_entered(sa, now=now)
    return sa


def service_application_entered(sa: ServiceApplication, *, now: dt.datetime) -> None:
    """What entering its new stage sets off for an application that has just moved."""
    escalations_close_overtaken(service_application=sa, now=now)
    if sa.status == ServiceStatus.PERMITTING:
        # In a joint works plan the plan's one permit set stands for the application's own.
        if not joint_works_entered(sa, now=now):
            permits_issue(sa=sa, now=now)
    elif sa.status == ServiceStatus.WITHDRAWN:
        permits_cancel_open(sa=sa, now=now, reason=_("The application was withdrawn."))
        joint_works_withdrawn(sa, now=now)


@dataclass(frozen=True)
class Outcome:
    """What became of one application of a batch: `error` is empty when it moved."""

    service_application: ServiceApplication
    error: str = ""


def service_applications_transition_each(
    *, actor: User, service_applications: list[ServiceApplication], transition: str
) -> list[Outcome]:
    """The same transition (one without stage data) on several applications, each in its own
    transaction with its own permission and state checks: one refused case stops nothing else,
    and every refusal says why."""
    outcomes = []
    for sa in service_applications:
        try:
            service_application_transition(
                actor=actor, service_application=sa, transition=transition
            )
        except NotFound:
            outcomes.append(Outcome(sa, _("not found in your queue.")))
        except PermissionDenied:
            outcomes.append(Outcome(sa, _("you may not perform this action on it.")))
        except IllegalTransition as exc:
            outcomes.append(Outcome(sa, exc.message))
        except ValidationError as exc:
            outcomes.append(Outcome(sa, " ".join(exc.messages)))
        else:
            outcomes.append(Outcome(sa))
    return outcomes
