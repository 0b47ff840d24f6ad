"""Moving one service application through its state machine."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from workgroups.constants import WorkgroupRole
from workgroups.models import Organization, User
from workgroups.selectors import sla_table

from ..clock import enter_stage
from ..constants import TRANSITION_ACTION_LABELS, ServiceStatus
from ..models import (
    APPLICANT_PERM,
    OPERATOR_PERM,
    TRANSITION_PERMISSIONS,
    ServiceApplication,
    may_perform,
)
from ..transition_inputs import clean_stage_data
from .audit import acting_organization, state_change
from .escalations import escalations_close_overtaken
from .permits import permits_cancel_open, permits_issue


def _locked(sa_id: int) -> ServiceApplication:
    try:
        return (
            ServiceApplication.objects.select_for_update(of=("self",))
            .select_related("combined__applicant", "operator")
            .get(pk=sa_id)
        )
    except ServiceApplication.DoesNotExist as exc:
        raise NotFound(_("No such application.")) from exc


@transaction.atomic
def service_application_transition(
    *,
    actor: User,
    service_application: ServiceApplication,
    transition: str,
    data: dict | None = None,
    comment: str = "",
) -> ServiceApplication:
    """Perform `transition` as `actor` with its stage data, audit it, and stamp the clock.

    The row is locked first, so of two concurrent callers exactly one moves the case and the
    other sees the new state (IllegalTransition). Checks run in the order a caller can act on:
    unknown name (400), not permitted (403), not possible now (409), bad stage data (400).
    """
    if transition not in TRANSITION_PERMISSIONS:
        raise ValidationError({"transition": _("Unknown transition: %s") % transition})
    sa = _locked(service_application.pk)
    if not actor.has_perm("applications.view_serviceapplication", sa):
        raise NotFound(_("No such application."))
    if not may_perform(actor, transition, sa):
        raise PermissionDenied(_("You may not perform this action on this application."))
    method = getattr(sa, transition)
    if not can_proceed(method):
        raise IllegalTransition(
            _("“%(transition)s” is not possible while the application is “%(status)s”.")
            % {
                "transition": TRANSITION_ACTION_LABELS[transition],
                "status": sa.get_status_display(),
            }
        )
    if not has_transition_perm(method, actor):  # the FSM's own declaration agrees
        raise PermissionDenied(_("You may not perform this action on this application."))
    stage_data = clean_stage_data(transition, data or {}, status=sa.status)

    now = timezone.now()
    from_state = sa.status
    method(**stage_data)
    clock = enter_stage(sa, from_state=from_state, now=now, slas=sla_table([sa.workgroup_id]))
    sa.save()
    state_change(
        sa=sa,
        transition=transition,
        from_state=from_state,
        actor=actor,
        organization=_acting_for(actor, sa, transition),
        at=now,
        comment=comment,
        data=stage_data,
        clock=clock,
    ).save()

    escalations_close_overtaken(service_application=sa, now=now)
    if sa.status == ServiceStatus.PERMITTING:
        permits_issue(sa=sa, now=now)
    elif sa.status == ServiceStatus.WITHDRAWN:
        permits_cancel_open(sa=sa, now=now, reason=_("The application was withdrawn."))
    return sa


def _acting_for(actor: User, sa: ServiceApplication, transition: str) -> Organization | None:
    """The organisation the actor acted for: the applicant, the operator, or (returning an
    application as the workgroup's lead) their lead agency; None for a platform administrator."""
    if TRANSITION_PERMISSIONS[transition] == APPLICANT_PERM:
        return acting_organization(actor, sa.combined.applicant)
    if actor.has_perm(OPERATOR_PERM, sa):
        return acting_organization(actor, sa.operator)
    return Organization.objects.filter(
        memberships__user=actor,
        workgroup_memberships__workgroup_id=sa.workgroup_id,
        workgroup_memberships__role=WorkgroupRole.LEAD,
    ).first()


def transitions_available(*, actor: User, service_application: ServiceApplication) -> list[str]:
    """Names of the transitions `actor` may perform on the application right now."""
    sa = service_application
    return [
        name
        for name in TRANSITION_PERMISSIONS
        if can_proceed(getattr(sa, name)) and has_transition_perm(getattr(sa, name), actor)
    ]


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
