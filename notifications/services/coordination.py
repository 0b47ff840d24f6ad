"""Turning the workgroups' own facts into messages: demands and suggestions (DemandHistory) and
the escalations of their deadlines (ItemEscalationEvent).

- A demand received: its workgroup's lead agencies and its town's governing organisation
  (inbox and e-mail); someone without an account gets a receipt with their private link by
  e-mail, when they gave an address.
- Acknowledged: the submitting organisation's inbox.
- Answered: the submitting organisation's inbox and the submitting person's e-mail, or the
  e-mail address given without an account (with the private link).
- The submitter says it is not solved: the workgroup and the town again.
- An escalation opened or climbed: the tier that now holds it, as for a case.
- A referral up (of a demand or a case) resolved: every tier it passed, down to the workgroup's
  lead agencies; for a case also its operator.
Each message is a catalogue code with its parameters (texts.py).
"""

from __future__ import annotations

import uuid
from typing import TypedDict

from coordination.access import demand_private_path
from coordination.constants import DemandStatus, EscalationEventKind, EscalationOrigin
from coordination.models import Demand, DemandHistory, ItemEscalationEvent
from coordination.workflow import (
    NOTICE_ACKNOWLEDGED,
    NOTICE_ANSWERED,
    NOTICE_RECEIVED,
    NOTICE_REOPENED,
    demand_notice_of,
)
from workgroups.calendar import last_day_of
from workgroups.selectors import EscalationHolders, escalation_holders

from ..constants import EventType
from ..models import Delivery
from ..texts import compose, names
from .recipients import Audience, save_deliveries, to_address, to_person


def _payload(demand: Demand, entry: DemandHistory) -> dict:
    """What a receiving system may know: no contact details of the submitter."""
    return {
        "demand": str(demand.uuid),
        "reference": demand.reference,
        "kind": demand.kind,
        "theme": demand.theme,
        "utility": demand.utility,
        "town": demand.town.code,
        "transition": entry.transition,
        "from": entry.from_state,
        "to": entry.to_state,
        "at": entry.at.isoformat(),
        "due_at": demand.due_at.isoformat() if demand.due_at else None,
    }


def _staff(demand: Demand, holders: EscalationHolders) -> set[int]:
    """The workgroup's lead agencies and the town's governing organisation."""
    orgs = set(holders.leads.get(demand.workgroup_id, frozenset()))
    if demand.town.governing_organization_id is not None:
        orgs.add(demand.town.governing_organization_id)
    return orgs


class _Message(TypedDict):
    event_id: uuid.UUID
    event_type: str
    subject: str
    body: str
    payload: dict
    code: str
    params: dict | None


def _to_submitter(
    demand: Demand,
    audience: Audience,
    *,
    event_id: uuid.UUID,
    event_type: str,
    subject: str,
    body: str,
    payload: dict,
    email: bool,
    code: str = "",
    params: dict | None = None,
) -> list[Delivery]:
    """The submitting organisation's inbox and (with `email`) the submitting person's e-mail;
    without an account, the e-mail address they gave."""
    message: _Message = {
        "event_id": uuid.uuid5(event_id, "submitter"),
        "event_type": event_type,
        "subject": subject,
        "body": body,
        "payload": payload,
        "code": code,
        "params": params,
    }
    rows: list[Delivery] = []
    if demand.organization_id is not None:
        rows += audience.to_organization(
            demand.organization_id, email=False, webhook=False, **message
        )
    if not email:
        return rows
    if demand.submitted_by is not None:
        rows += to_person(
            demand.submitted_by,
            organization_id=demand.organization_id,  # type: ignore[arg-type]
            **message,
        )
    elif demand.organization_id is None:
        rows += to_address(demand.contact_email, **message)
    return rows


def _params(demand: Demand) -> dict:
    return {
        "demand": str(demand.uuid),
        "kind": demand.kind,
        "reference": demand.reference,
        "title": demand.title,
    }


def _day(moment) -> str | None:
    return last_day_of(moment).isoformat() if moment else None


def _messages_for(entry: DemandHistory, audience: Audience, holders: EscalationHolders) -> list:
    demand = entry.demand
    notice = demand_notice_of(entry)
    payload = _payload(demand, entry)
    params = _params(demand)
    # Someone without an account follows the demand through a private link.
    private = demand.organization_id is None and demand.submitted_by_id is None
    if private:
        params["link"] = demand_private_path(demand)
    rows: list[Delivery] = []
    if notice == NOTICE_RECEIVED:
        received = compose(
            "demand.received",
            {
                **params,
                "utility": demand.utility,
                "town": names(demand.town),
                "theme": demand.theme,
                "acknowledge_due": _day(demand.acknowledge_due_at),
                "answer_due": _day(demand.answer_due_at),
                "description": demand.description[:500],
            },
        )
        for org_id in sorted(_staff(demand, holders)):
            rows += audience.to_organization(
                org_id,
                event_id=uuid.uuid5(entry.uuid, f"staff-{org_id}"),
                event_type=EventType.DEMAND_RECEIVED,
                payload=payload,
                **received,
            )
        if private:
            rows += to_address(
                demand.contact_email,
                event_id=uuid.uuid5(entry.uuid, "submitter"),
                event_type=EventType.DEMAND_RECEIVED,
                payload=payload,
                **compose("demand.receipt", {**params, "answer_due": _day(demand.answer_due_at)}),
            )
    elif notice == NOTICE_ACKNOWLEDGED:
        rows += _to_submitter(
            demand,
            audience,
            event_id=entry.uuid,
            event_type=EventType.DEMAND_ACKNOWLEDGED,
            payload=payload,
            email=False,
            **compose(
                "demand.acknowledged",
                {**params, "stage": DemandStatus.ACKNOWLEDGED, "due": _day(demand.due_at)},
            ),
        )
    elif notice == NOTICE_ANSWERED:
        rows += _to_submitter(
            demand,
            audience,
            event_id=entry.uuid,
            event_type=EventType.DEMAND_ANSWERED,
            payload=payload,
            email=True,
            **compose("demand.answered", {**params, "comment": entry.comment}),
        )
    elif notice == NOTICE_REOPENED and entry.to_state == DemandStatus.REOPENED:
        reopened = compose("demand.reopened", {**params, "comment": entry.comment})
        for org_id in sorted(_staff(demand, holders)):
            rows += audience.to_organization(
                org_id,
                event_id=uuid.uuid5(entry.uuid, f"staff-{org_id}"),
                event_type=EventType.DEMAND_REOPENED,
                payload=payload,
                **reopened,
            )
    return rows


def handle_demand_history(entries: list[DemandHistory]) -> int:
    entries = list(
        DemandHistory.objects.filter(pk__in=[e.pk for e in entries])
        .select_related("demand__town", "demand__submitted_by")
        .order_by("pk")
    )
    holders = escalation_holders()
    orgs: set[int] = set()
    for entry in entries:
        orgs |= _staff(entry.demand, holders)
        if entry.demand.organization_id is not None:
            orgs.add(entry.demand.organization_id)
    audience = Audience(orgs)
    rows: list[Delivery] = []
    for entry in entries:
        rows += _messages_for(entry, audience, holders)
    return save_deliveries(rows)


def _told(event: ItemEscalationEvent, holders: EscalationHolders) -> frozenset[int]:
    """The tier that now holds it; a referral's resolution flows back down to every tier it
    passed (the workgroup's lead agencies included)."""
    escalation = event.escalation
    resolved = event.kind == EscalationEventKind.RESOLVED
    if escalation.origin == EscalationOrigin.REFERRAL and resolved:
        tiers = range(1, event.tier + 1)
    else:
        tiers = range(event.tier, event.tier + 1)
    return frozenset().union(
        *(holders.told(workgroup_id=escalation.workgroup_id, tier=tier) for tier in tiers)
    )


def _tell_tiers(
    event: ItemEscalationEvent,
    audience: Audience,
    organizations,
    *,
    payload: dict,
    message: dict,
) -> list[Delivery]:
    """One escalation fact's message to each organisation told of it (`_told`, plus any the
    item adds), with one event id per fact so a replay delivers nothing twice."""
    event_id = uuid.uuid5(event.escalation.uuid, f"event-{event.pk}")
    rows: list[Delivery] = []
    for org_id in sorted(organizations):
        rows += audience.to_organization(
            org_id,
            event_id=event_id,
            event_type=EventType.ESCALATION,
            payload=payload,
            **message,
        )
    return rows


def handle_item_escalation_events(events: list[ItemEscalationEvent]) -> int:
    """Tell the tier that now holds the escalation: leads (1), office (2), leading group (3);
    and every tier below when a referral is resolved."""
    events = list(
        ItemEscalationEvent.objects.filter(pk__in=[e.pk for e in events])
        .select_related(
            "escalation__demand",
            "escalation__follow_up__service_application",
            "escalation__service_application__combined__project",
            "escalation__action_item__meeting",
        )
        .order_by("pk")
    )
    holders = escalation_holders()
    operators = {
        e.escalation.service_application.operator_id
        for e in events
        if e.escalation.service_application is not None
    }
    audience = Audience(holders.organizations | operators)
    rows: list[Delivery] = []
    for event in events:
        escalation = event.escalation
        demand = escalation.demand
        if escalation.service_application_id is not None:
            rows += _case_referral(event, audience, holders)
            continue
        if demand is None:
            rows += _follow_up_escalation(event, audience, holders)
            rows += _action_item_escalation(event, audience, holders)
            continue
        message = compose(
            "demand.escalation",
            {
                **_params(demand),
                "origin": escalation.origin,
                "kind": event.kind,
                "tier": event.tier,
                "stage": escalation.stage,
                "note": event.note,
            },
        )
        due = escalation.breached_due_at
        payload = {
            "escalation": str(escalation.uuid),
            "demand": str(demand.uuid),
            "origin": escalation.origin,
            "kind": event.kind,
            "tier": event.tier,
            "stage": escalation.stage,
            "missed_deadline": due.isoformat() if due else None,
            "note": event.note,
        }
        rows += _tell_tiers(
            event, audience, _told(event, holders), payload=payload, message=message
        )
    return save_deliveries(rows)


def _follow_up_escalation(
    event: ItemEscalationEvent, audience: Audience, holders: EscalationHolders
) -> list[Delivery]:
    """A follow-up of a bad rating that missed its deadline: told to the tier that holds it."""
    escalation = event.escalation
    follow_up = escalation.follow_up
    if follow_up is None:
        return []
    sa = follow_up.service_application
    message = compose(
        "follow_up.escalation",
        {
            "tier": event.tier,
            "utility": sa.utility,
            "stage": escalation.stage,
            "note": event.note,
            "follow_up": str(follow_up.uuid),
        },
    )
    due = escalation.breached_due_at
    payload = {
        "escalation": str(escalation.uuid),
        "follow_up": str(follow_up.uuid),
        "origin": escalation.origin,
        "kind": event.kind,
        "tier": event.tier,
        "stage": escalation.stage,
        "missed_deadline": due.isoformat() if due else None,
        "note": event.note,
    }
    return _tell_tiers(event, audience, _told(event, holders), payload=payload, message=message)


def _case_referral(
    event: ItemEscalationEvent, audience: Audience, holders: EscalationHolders
) -> list[Delivery]:
    """A case referred up by its workgroup: the tier that holds it hears of the referral and
    of a further referral; its resolution goes back down every tier it passed to the
    workgroup's lead agencies, and to the case's operator, who reads it on the case."""
    escalation = event.escalation
    sa = escalation.service_application
    if sa is None:
        return []
    combined = sa.combined
    message = compose(
        "case.referral",
        {
            "tier": event.tier,
            "kind": event.kind,
            "reference": combined.reference or str(combined.uuid),
            "utility": sa.utility,
            "project": combined.project.name,
            "case": str(combined.uuid),
            "note": event.note,
        },
    )
    payload = {
        "escalation": str(escalation.uuid),
        "service_application": str(sa.uuid),
        "case": str(combined.uuid),
        "origin": escalation.origin,
        "kind": event.kind,
        "tier": event.tier,
        "stage": escalation.stage,
        "note": event.note,
    }
    told = set(_told(event, holders))
    if event.kind == EscalationEventKind.RESOLVED:
        told.add(sa.operator_id)
    return _tell_tiers(event, audience, told, payload=payload, message=message)


def _action_item_escalation(
    event: ItemEscalationEvent, audience: Audience, holders: EscalationHolders
) -> list[Delivery]:
    """A meeting's action item past its due day, or referred up: told to the tier that holds
    it (a referral's resolution to every tier it passed)."""
    escalation = event.escalation
    item = escalation.action_item
    if item is None:
        return []
    message = compose(
        "action_item.escalation",
        {
            "tier": event.tier,
            "origin": escalation.origin,
            "kind": event.kind,
            "meeting": item.meeting.title,
            "description": item.description,
            "note": event.note,
            "action_item": str(item.uuid),
        },
    )
    due = escalation.breached_due_at
    payload = {
        "escalation": str(escalation.uuid),
        "action_item": str(item.uuid),
        "origin": escalation.origin,
        "kind": event.kind,
        "tier": event.tier,
        "due_day": item.due_day.isoformat(),
        "missed_deadline": due.isoformat() if due else None,
        "note": event.note,
    }
    return _tell_tiers(event, audience, _told(event, holders), payload=payload, message=message)
