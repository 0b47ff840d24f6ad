"""Joint outside-line works (联合施工, 同步开挖/安装/回填) and city-level coordination (协同开挖).

A workgroup lead agency proposes a plan for two or more applications that need outside-line
works; each operator confirms or proposes another window; when all have confirmed the plan
locks and ONE permit set is issued for all of them (filed under one participant, shared by
every participant); the permits' outcome moves the plan and every participating application.
Lock order everywhere: a permit's application, then the plan, then the other applications.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import IllegalTransition, PermissionDenied, ValidationError
from core.workflow import apply
from workgroups.calendar import local_date, working_day_after
from workgroups.models import Membership, Organization, User

from ..constants import (
    JOINT_WORKS_ACTIVE,
    JointWorksStatus,
    PermitStatus,
    PermitType,
    ServiceStatus,
)
from ..geometry import route_clean
from ..models import (
    JointWorksEvent,
    JointWorksParticipant,
    JointWorksPlan,
    PermitRequest,
    RoadWorksPlan,
    ServiceApplication,
)
from ..permissions import (
    grant_joint_permits,
    grant_joint_works,
    revoke_joint_works_participation,
)
from ..selectors.joint_works import moratorium_warnings
from ..transition_inputs import WindowInput
from ..workflow import JOINT_WORKS, LEAD_REVIEW, OPERATOR, PERMIT, SERVICE
from .escalations import escalations_close_overtaken
from .permits import permits_create, permits_issue

J = JointWorksStatus
MAX_PARTICIPANTS = 10
PERMIT_ORDER = [value for value, _label in PermitType.choices]


@dataclass(frozen=True)
class PlanInput:
    """What a proposal states besides its applications."""

    road_name: str
    route_description: str
    window_start: Any
    window_working_days: Any
    road_segment: str = ""
    route: Any = None
    lead_operator: str = ""  # an operator code; empty: the largest works


def _clean(data: PlanInput) -> dict:
    errors: dict[str, list[str]] = {}
    window = WindowInput(
        data={
            "window_start": data.window_start,
            "window_working_days": data.window_working_days,
        }
    )
    if not window.is_valid():
        for name, messages in window.errors.items():
            errors[name] = [str(message) for message in messages]
    road_name = (data.road_name or "").strip()
    if not road_name or len(road_name) > 100:
        errors["road_name"] = [_("Name the road (at most 100 characters).")]
    if len((data.road_segment or "").strip()) > 100:
        errors["road_segment"] = [_("At most 100 characters.")]
    description = (data.route_description or "").strip()
    if len(description) < 2 or len(description) > 4000:
        errors["route_description"] = [_("Describe the route (2 to 4000 characters).")]
    route = None
    try:
        route = route_clean(data.route)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return {
        "road_name": road_name,
        "road_segment": (data.road_segment or "").strip(),
        "route_description": description,
        "route": route,
        "window_start": window.cleaned_data["window_start"],
        "window_working_days": window.cleaned_data["window_working_days"],
    }


def _largest(services: list[ServiceApplication]) -> Organization:
    """The lead operator by default: the largest works, measured by the operator's own fee
    quote for them (the one size every utility states); ties go to the first application."""
    return max(services, key=lambda sa: (sa.fee_quote_cny or Decimal(0), -sa.pk)).operator


def _joinable(sa: ServiceApplication) -> str:
    """Why `sa` cannot take part in a plan ("" when it can)."""
    if sa.status != ServiceStatus.PLAN_ISSUED:
        return _("only an application whose plan is issued can take part")
    if not sa.required_permits:
        return _("its plan needs no outside-line works")
    if sa.joint_works.filter(active=True).exists():
        return _("it already takes part in a joint works plan")
    return ""


def _record(plan: JointWorksPlan, name: str, *, actor: User | None, now, data: dict) -> None:
    organization_id = (
        Membership.objects.filter(user=actor)
        .order_by("pk")
        .values_list("organization_id", flat=True)
        .first()
        if actor is not None
        else None
    )
    JointWorksEvent.objects.create(
        plan=plan,
        transition=name,
        from_state="" if name == "propose" else plan.status,
        to_state=plan.status,
        actor=actor,
        actor_organization_id=organization_id,
        at=now,
        data=data,
    )


@transaction.atomic
def joint_works_plan_propose(
    *,
    actor: User,
    service_applications: list[ServiceApplication],
    data: PlanInput,
    now: dt.datetime | None = None,
) -> JointWorksPlan:
    """A workgroup lead agency proposes one excavation for the outside-line works of two or
    more applications of one project (the other operators' duplicate permits are never
    created: the plan's one set replaces them)."""
    now = now or timezone.now()
    ids = sorted({sa.pk for sa in service_applications})
    services = list(
        ServiceApplication.objects.select_for_update(of=("self",))
        .select_related("operator", "combined__applicant", "combined__project")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if not any(actor.has_perm(LEAD_REVIEW, sa) for sa in services):
        raise PermissionDenied(
            _("Only a lead agency of a participating workgroup may propose a joint works plan.")
        )
    errors: list[str] = []
    if not 2 <= len(services) <= MAX_PARTICIPANTS:
        errors.append(_("A joint works plan takes 2 to %d applications.") % MAX_PARTICIPANTS)
    if len({sa.combined.project_id for sa in services}) > 1:
        errors.append(_("The applications must belong to one project."))
    for sa in services:
        why = _joinable(sa)
        if why:
            errors.append(f"{sa.get_utility_display()}: {why}")
    cleaned = _clean(data)
    if errors:
        raise ValidationError({"service_applications": errors})
    operators = {sa.operator.code: sa.operator for sa in services}
    if data.lead_operator:
        if data.lead_operator not in operators:
            raise ValidationError(
                {"lead_operator": _("The lead operator must be one of the participants.")}
            )
        lead = operators[data.lead_operator]
    else:
        lead = _largest(services)
    start = cleaned["window_start"]
    plan = JointWorksPlan(
        project=services[0].combined.project,
        lead_operator=lead,
        proposed_by=actor,
        window_end=working_day_after(start, cleaned["window_working_days"] - 1),
        created_at=now,
        **cleaned,
    )
    plan.warnings = moratorium_warnings(plan, today=local_date(now))
    plan.save()
    participants = JointWorksParticipant.objects.bulk_create(
        [
            JointWorksParticipant(
                plan=plan, service_application=sa, operator=sa.operator, joined_at=now
            )
            for sa in services
        ]
    )
    for participant, sa in zip(participants, services, strict=True):
        participant.service_application = sa
    grant_joint_works(plan, participants)
    _record(plan, "propose", actor=actor, now=now, data={"lead_operator": lead.code})
    return plan


@transaction.atomic
def joint_works_plan_join(
    *,
    actor: User,
    plan: JointWorksPlan,
    service_application: ServiceApplication,
    now: dt.datetime | None = None,
) -> JointWorksPlan:
    """An operator brings its own application (of any project: 协同开挖) into a plan still
    being agreed; its outside-line works then share the plan's trench and permits."""
    now = now or timezone.now()
    plan = JOINT_WORKS.lock(plan)
    sa = (
        ServiceApplication.objects.select_for_update(of=("self",))
        .select_related("operator", "combined__applicant")
        .get(pk=service_application.pk)
    )
    if not actor.has_perm(OPERATOR, sa):
        raise PermissionDenied(_("You may join only with your own organisation's work."))
    if plan.status != J.PROPOSED:
        raise IllegalTransition(_("Only a plan still being agreed can be joined."))
    why = _joinable(sa)
    if why:
        raise ValidationError({"work_item": why})
    if plan.participants.filter(active=True).count() >= MAX_PARTICIPANTS:
        raise ValidationError({"work_item": _("This plan is full.")})
    participant, _created = JointWorksParticipant.objects.update_or_create(
        plan=plan,
        service_application=sa,
        defaults={
            "operator": sa.operator,
            "active": True,
            "joined_at": now,
            "confirmed_at": None,
            "left_at": None,
            "leave_reason": "",
        },
    )
    participant.service_application = sa
    grant_joint_works(plan, [participant])
    plan.save(update_fields=["updated_at"])
    _record(plan, "join", actor=actor, now=now, data={"operator": sa.operator.code})
    return plan


def _participant_of(actor: User, plan: JointWorksPlan) -> JointWorksParticipant | None:
    orgs = Membership.objects.filter(user=actor).values("organization_id")
    return (
        plan.participants.select_for_update(of=("self",))
        .select_related("service_application", "operator")
        .filter(active=True, operator_id__in=orgs)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def joint_works_plan_act(
    *,
    actor: User,
    plan: JointWorksPlan,
    action: str,
    data: dict | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> JointWorksPlan:
    """Perform `action` (JOINT_WORKS's table) as `actor`; the participant's own row changes
    under the plan's row lock, so concurrent confirmations or installation reports never
    lose one, and the plan moves on exactly when the last one arrives."""
    now = now or timezone.now()
    data = dict(data or {})
    JOINT_WORKS.get(action, by_person=True)
    plan = JOINT_WORKS.lock(plan)
    participant = _participant_of(actor, plan)
    if participant is not None and JOINT_WORKS.may(actor, action, plan):
        _participant_moves(plan, participant, action, actor=actor, now=now, data=data)
    plan = apply(
        JOINT_WORKS, plan, action, actor=actor, data=data, comment=comment, now=now, locked=True
    )
    if action == "leave" and participant is not None:
        revoke_joint_works_participation(plan, participant.operator.group_id)
        _release(participant.service_application, now=now)
    _plan_follows(plan, now=now)
    return plan


def _participant_moves(
    plan: JointWorksPlan,
    participant: JointWorksParticipant,
    action: str,
    *,
    actor: User,
    now: dt.datetime,
    data: dict,
) -> None:
    """The acting operator's own row, written before the kernel moves the plan."""
    if plan.status != J.PROPOSED and action in ("confirm", "propose_window", "leave"):
        return  # the kernel refuses (409)
    if action == "confirm":
        if participant.confirmed_at is not None:
            raise IllegalTransition(_("Your organisation has already confirmed this plan."))
        participant.confirmed_at = now
        participant.save(update_fields=["confirmed_at"])
    elif action == "propose_window":
        # A new window needs everyone's confirmation again; the proposer agrees to its own.
        plan.participants.filter(active=True).update(confirmed_at=None)
        participant.confirmed_at = now
        participant.save(update_fields=["confirmed_at"])
    elif action == "leave":
        participant.active = False
        participant.left_at = now
        participant.leave_reason = str(data.get("reason", ""))[:2000]
        participant.save(update_fields=["active", "left_at", "leave_reason"])
    elif action == "report_installed" and plan.status == J.EXCAVATING:
        if participant.installed_at is not None:
            raise IllegalTransition(_("Your organisation has already reported its conduit in."))
        participant.installed_at = now
        participant.installed_by = actor
        participant.save(update_fields=["installed_at", "installed_by"])


def _plan_follows(plan: JointWorksPlan, *, now: dt.datetime) -> None:
    """What the plan's new state sets off for its permits and applications."""
    if plan.status == J.CONFIRMED:
        joint_permits_issue(plan=plan, now=now)
    elif plan.status == J.CANCELLED:
        for participant in plan.participants.filter(active=True).select_related(
            "service_application"
        ):
            participant.active = False
            participant.left_at = now
            participant.save(update_fields=["active", "left_at"])
            _release(participant.service_application, now=now)


def _release(sa: ServiceApplication, *, now: dt.datetime) -> None:
    """An application no longer in a plan files its own permits if it is waiting for them."""
    sa = ServiceApplication.objects.select_for_update(of=("self",)).get(pk=sa.pk)
    if sa.status == ServiceStatus.PERMITTING:
        permits_issue(sa=sa, now=now)


def _active_participants(plan: JointWorksPlan) -> list[JointWorksParticipant]:
    return list(
        plan.participants.filter(active=True)
        .select_related("operator", "service_application__combined__applicant")
        .order_by("pk")
    )


def joint_permits_issue(*, plan: JointWorksPlan, now: dt.datetime) -> list[PermitRequest]:
    """Issue the plan's ONE permit set: every type any participant needs, once, except those
    pending or approved already (a returned one is filed again in its next round)."""
    participants = _active_participants(plan)
    needed = {t for p in participants for t in p.service_application.required_permits}
    latest: dict[str, PermitRequest] = {}
    for permit in plan.permits.select_related("service_application").order_by(
        "permit_type", "round"
    ):
        latest[permit.permit_type] = permit
    to_issue = [
        t
        for t in PERMIT_ORDER
        if t in needed
        and (
            t not in latest or latest[t].status not in (PermitStatus.PENDING, PermitStatus.APPROVED)
        )
    ]
    if not to_issue:
        return []
    anchor = (
        next(iter(latest.values())).service_application
        if latest
        else participants[0].service_application
    )
    permits = permits_create(sa=anchor, permit_types=to_issue, now=now, joint_works_plan=plan)
    grant_joint_permits(participants, permits)
    return permits


def joint_works_entered(sa: ServiceApplication, *, now: dt.datetime) -> bool:
    """An application entering permitting that takes part in a plan waits for the plan's
    permits instead of filing its own (True); moves on at once if they are approved already."""
    participant = (
        JointWorksParticipant.objects.filter(
            service_application=sa, active=True, plan__status__in=JOINT_WORKS_ACTIVE
        )
        .select_related("plan")
        .first()
    )
    if participant is None:
        return False
    plan = participant.plan
    if plan.status == J.CONFIRMED:
        joint_permits_issue(plan=plan, now=now)
    elif plan.status not in (J.PROPOSED, J.CONFIRMED):
        _system(
            sa,
            "permits_approved",
            now=now,
            comment=_("The joint works plan's permits are approved."),
        )
    return True


def _system(
    sa: ServiceApplication, name: str, *, now: dt.datetime, comment: str = "", **data: str
) -> None:
    apply(SERVICE, sa, name, actor=None, data=data, comment=comment, now=now)
    escalations_close_overtaken(service_application=sa, now=now)


def joint_works_permit_follows(*, permit: PermitRequest, now: dt.datetime) -> None:
    """A decision on one of the plan's permits: the plan and every participating application
    follow, as one application follows its own permits."""
    if permit.joint_works_plan is None:
        return
    plan = JOINT_WORKS.lock(permit.joint_works_plan)
    participants = _active_participants(plan)
    services = list(
        ServiceApplication.objects.select_for_update(of=("self",))
        .filter(pk__in=[p.service_application_id for p in participants])
        .order_by("pk")
    )
    if permit.status == PermitStatus.APPROVED:
        latest: dict[str, str] = {}
        for permit_type, status in plan.permits.order_by("permit_type", "round").values_list(
            "permit_type", "status"
        ):
            latest[permit_type] = status
        if plan.status != J.CONFIRMED or any(s != PermitStatus.APPROVED for s in latest.values()):
            return
        apply(JOINT_WORKS, plan, "permits_approved", actor=None, now=now, locked=True)
        for sa in services:
            if sa.status == ServiceStatus.PERMITTING:
                _system(
                    sa,
                    "permits_approved",
                    now=now,
                    comment=_("The joint works plan's permits are approved."),
                )
    elif permit.status == PermitStatus.RETURNED:
        for sa in services:
            if sa.status == ServiceStatus.PERMITTING:
                _system(sa, "permit_returned", now=now, reason=permit.reason)
    elif permit.status == PermitStatus.REJECTED and plan.status == J.CONFIRMED:
        apply(
            JOINT_WORKS,
            plan,
            "permit_rejected",
            actor=None,
            data={"reason": permit.reason},
            now=now,
            locked=True,
        )
        for sa in services:
            if sa.status in (ServiceStatus.PERMITTING, ServiceStatus.RETURNED):
                _system(sa, "permit_rejected", now=now, reason=permit.reason)
        for other in plan.permits.filter(status=PermitStatus.PENDING).order_by("pk"):
            apply(
                PERMIT,
                other,
                "cancel",
                actor=None,
                data={"reason": _("Another permit was rejected.")},
                now=now,
            )
        plan.participants.filter(active=True).update(active=False, left_at=now)


@transaction.atomic
def road_works_plan_record(
    *,
    source: Organization,
    external_reference: str,
    road_name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    road_segment: str = "",
    description: str = "",
    route: Any = None,
    restored_on: dt.date | None = None,
) -> tuple[RoadWorksPlan, bool]:
    """A department (城管, 交通) pushes or updates one road works plan by its own reference."""
    errors: dict[str, Any] = {}
    try:
        cleaned_route = route_clean(route)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned_route = None
    if ends_on < starts_on:
        errors["ends_on"] = [_("The works cannot end before they start.")]
    if errors:
        raise ValidationError(errors)
    return RoadWorksPlan.objects.update_or_create(
        source=source,
        external_reference=external_reference,
        defaults={
            "road_name": road_name.strip(),
            "road_segment": road_segment.strip(),
            "description": description,
            "route": cleaned_route,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "restored_on": restored_on,
        },
    )


def joint_works_withdrawn(sa: ServiceApplication, *, now: dt.datetime) -> None:
    """A withdrawn application leaves its plan (the applicant's choice binds its operator):
    before the lock the plan may lock or be cancelled as when an operator leaves; after it, the
    others dig on under the plan's permits without it."""
    participant = (
        JointWorksParticipant.objects.filter(service_application=sa, active=True)
        .select_related("plan", "operator")
        .first()
    )
    if participant is None:
        return
    plan = JOINT_WORKS.lock(participant.plan)
    participant.active = False
    participant.left_at = now
    participant.leave_reason = _("The application was withdrawn.")
    participant.save(update_fields=["active", "left_at", "leave_reason"])
    revoke_joint_works_participation(plan, participant.operator.group_id)
    if plan.status == J.PROPOSED:
        reason = _("The application was withdrawn.")
        apply(
            JOINT_WORKS,
            plan,
            "participant_withdrawn",
            actor=None,
            data={"reason": reason},
            now=now,
            locked=True,
        )
        _plan_follows(plan, now=now)
    else:
        _record(
            plan,
            "participant_withdrawn",
            actor=None,
            now=now,
            data={"operator": participant.operator.code},
        )
