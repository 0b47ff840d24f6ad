"""Turning joint works plans' history (JointWorksEvent) into messages.

- Proposed: every participating operator and the participating workgroups' lead agencies; a
  moratorium on the road or other works there at the same time is a warning to them too (also
  when another window is proposed).
- Another window proposed, an operator left (or its application was withdrawn): the others and
  the lead agencies.
- Locked (every operator confirmed): the operators and the lead agencies; each applicant hears
  the window its works are set for.
- Road restored: each applicant.
Each message is a catalogue code with its parameters (texts.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from django.utils import timezone

from applications.constants import JointWorksStatus
from applications.models import JointWorksEvent, JointWorksParticipant, JointWorksPlan
from applications.selectors.joint_works import joint_works_overlapping, moratorium_warnings
from workgroups.calendar import local_date, working_day_after
from workgroups.selectors import escalation_holders

from ..constants import EventType
from ..models import Delivery
from ..texts import compose, names
from .recipients import Audience, save_deliveries, to_person

J = JointWorksStatus
_NAMESPACE = uuid.UUID("0b6f3d1e-52a4-4c8e-9d1f-7a3e5c2b9e41")
_LEFT = ("leave", "participant_withdrawn")
_WINDOW = ("propose", "propose_window")


def _base(plan: JointWorksPlan) -> dict:
    return {
        "plan": str(plan.uuid),
        "road": plan.road_name,
        "segment": plan.road_segment,
        "project": plan.project.name,
        "start": plan.window_start.isoformat(),
        "end": plan.window_end.isoformat(),
    }


def _payload(event: JointWorksEvent) -> dict:
    return {
        "joint_works_plan": str(event.plan.uuid),
        "transition": event.transition,
        "from": event.from_state,
        "to": event.to_state,
        "at": event.at.isoformat(),
    }


def handle_joint_works_events(events: list[JointWorksEvent]) -> int:
    events = list(
        JointWorksEvent.objects.filter(pk__in=[e.pk for e in events])
        .select_related("plan__project", "plan__lead_operator", "actor_organization")
        .order_by("pk")
    )
    plan_ids = {e.plan_id for e in events}
    participants: dict[int, list[JointWorksParticipant]] = defaultdict(list)
    for row in (
        JointWorksParticipant.objects.filter(plan_id__in=plan_ids)
        .select_related(
            "operator", "service_application__combined__submitted_by", "service_application"
        )
        .order_by("pk")
    ):
        participants[row.plan_id].append(row)
    holders = escalation_holders()
    orgs: set[int] = set()
    for rows in participants.values():
        for row in rows:
            orgs |= {row.operator_id, row.service_application.combined.applicant_id}
            orgs |= holders.leads.get(row.service_application.workgroup_id, frozenset())
    audience = Audience(orgs)
    out: list[Delivery] = []
    for event in events:
        out += _messages_for(event, participants[event.plan_id], holders, audience)
    return save_deliveries(out)


def _messages_for(event, rows, holders, audience) -> list[Delivery]:
    plan = event.plan
    base = _base(plan)
    # Who took part when the event happened: those active now, and one who has just left.
    present = [r for r in rows if r.active or (r.left_at and r.left_at >= event.at)]
    utilities = [r.service_application.utility for r in present]
    staff = {r.operator_id for r in present}
    for r in present:
        staff |= holders.leads.get(r.service_application.workgroup_id, frozenset())
    event_id = uuid.uuid5(_NAMESPACE, f"joint-works-event-{event.pk}")
    payload = _payload(event)
    messages: list[tuple[str, dict, set[int]]] = []
    acting = event.actor_organization
    if event.transition == "propose":
        messages.append(
            (
                "joint_works.proposed",
                {**base, "utilities": utilities, "lead": names(plan.lead_operator)},
                staff,
            )
        )
    elif event.transition == "propose_window":
        messages.append(
            (
                "joint_works.window_proposed",
                {
                    **base,
                    **_new_window(event, base),
                    "operator": names(acting),
                    "reason": event.data.get("reason", "") or event.comment,
                },
                staff - {acting.pk} if acting else staff,
            )
        )
    elif event.transition in _LEFT:
        leaver = next(
            (r for r in rows if r.left_at == event.at),
            None,
        )
        messages.append(
            (
                "joint_works.left",
                {
                    **base,
                    "operator": names(leaver.operator if leaver else acting),
                    "reason": event.data.get("reason", ""),
                    "cancelled": event.to_state == J.CANCELLED,
                },
                staff - {leaver.operator_id} if leaver else staff,
            )
        )
    if event.transition in _WINDOW:
        warning = _warnings(plan, base, event)
        if warning is not None:
            messages.append(("joint_works.warning", warning, staff))
    if event.from_state == J.PROPOSED and event.to_state == J.CONFIRMED:
        active = [r for r in rows if r.active]
        messages.append(
            (
                "joint_works.locked",
                {**base, "utilities": [r.service_application.utility for r in active]},
                staff,
            )
        )
    out: list[Delivery] = []
    for index, (code, params, recipients) in enumerate(messages):
        message = compose(code, params)
        for org_id in sorted(recipients):
            out += audience.to_organization(
                org_id,
                event_id=uuid.uuid5(event_id, f"{index}"),
                event_type=EventType.JOINT_WORKS,
                payload=payload,
                **message,
            )
    if event.from_state == J.PROPOSED and event.to_state == J.CONFIRMED:
        out += _to_applicants(event, "joint_works.window_set", base, rows, audience)
    elif event.transition == "restore":
        base["restored_on"] = (plan.restored_on or local_date(event.at)).isoformat()
        out += _to_applicants(event, "joint_works.restored", base, rows, audience)
    return out


def _new_window(event: JointWorksEvent, base: dict) -> dict:
    """The window the operator proposed (the plan may have moved on since)."""
    try:
        start = dt.date.fromisoformat(event.data["window_start"])
        days = int(event.data["window_working_days"])
    except (KeyError, TypeError, ValueError):
        return {}
    return {"start": start.isoformat(), "end": working_day_after(start, days - 1).isoformat()}


def _warnings(plan: JointWorksPlan, base: dict, event: JointWorksEvent) -> dict | None:
    """The moratoriums on the plan's road and the other works there in its window, if any."""
    moratoriums = moratorium_warnings(plan, today=local_date(timezone.now()))
    overlaps = joint_works_overlapping(plan=plan)
    if not moratoriums and not overlaps:
        return None
    return {
        **base,
        "moratoriums": [
            {"road": w["road"], "restored_on": w["restored_on"], "until": w["until"]}
            for w in moratoriums
        ],
        "overlaps": [
            {"road": o["road"], "starts_on": o["starts_on"], "ends_on": o["ends_on"]}
            for o in overlaps
        ],
    }


def _to_applicants(event, code, base, rows, audience) -> list[Delivery]:
    """One message per request taking part (the applicant's inbox, the submitter's e-mail)."""
    by_request: dict[int, list[JointWorksParticipant]] = defaultdict(list)
    for row in rows:
        if row.active:
            by_request[row.service_application.combined_id].append(row)
    out: list[Delivery] = []
    for combined_id, taking_part in by_request.items():
        combined = taking_part[0].service_application.combined
        message = compose(
            code,
            {
                **base,
                "reference": combined.reference,
                "request": str(combined.uuid),
                "utilities": [r.service_application.utility for r in taking_part],
            },
        )
        event_id = uuid.uuid5(_NAMESPACE, f"joint-works-event-{event.pk}-request-{combined_id}")
        payload = _payload(event)
        out += audience.to_organization(
            combined.applicant_id,
            event_id=event_id,
            event_type=EventType.JOINT_WORKS,
            payload=payload,
            email=False,
            webhook=False,
            **message,
        )
        out += to_person(
            combined.submitted_by,
            organization_id=combined.applicant_id,
            event_id=event_id,
            event_type=EventType.JOINT_WORKS,
            payload=payload,
            **message,
        )
    return out
