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
Messages are written in Chinese, the portal's first language.
"""

from __future__ import annotations

import uuid
from typing import TypedDict

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from coordination.access import demand_private_path
from coordination.constants import DemandStatus, EscalationEventKind, EscalationOrigin
from coordination.models import Demand, DemandHistory, ItemEscalationEvent
from coordination.registry import DEMAND_LIMITS, FOLLOW_UP_LIMITS
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
from .recipients import Audience, save_deliveries, to_address, to_person


def _url(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{path}"


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


def _due(moment) -> str:
    return f"{last_day_of(moment):%Y-%m-%d}" if moment else ""


def _staff(demand: Demand, holders: EscalationHolders) -> set[int]:
    """The workgroup's lead agencies and the town's governing organisation."""
    orgs = set(holders.leads.get(demand.workgroup_id, frozenset()))
    if demand.town.governing_organization_id is not None:
        orgs.add(demand.town.governing_organization_id)
    return orgs


def _submitter_link(demand: Demand) -> str:
    if demand.organization_id is None and demand.submitted_by_id is None:
        return _url(demand_private_path(demand))
    return _url(reverse("applications:demand_detail", args=[demand.uuid]))


class _Message(TypedDict):
    event_id: uuid.UUID
    event_type: str
    subject: str
    body: str
    payload: dict


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
) -> list[Delivery]:
    """The submitting organisation's inbox and (with `email`) the submitting person's e-mail;
    without an account, the e-mail address they gave."""
    message: _Message = {
        "event_id": uuid.uuid5(event_id, "submitter"),
        "event_type": event_type,
        "subject": subject,
        "body": body,
        "payload": payload,
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


def _messages_for(entry: DemandHistory, audience: Audience, holders: EscalationHolders) -> list:
    demand = entry.demand
    notice = demand_notice_of(entry)
    payload = _payload(demand, entry)
    rows: list[Delivery] = []
    with override("zh-hans"):
        kind = demand.get_kind_display()
        values = {"kind": kind, "reference": demand.reference, "title": demand.title}
        staff_link = _url(reverse("staff:demand", args=[demand.uuid]))
        if notice == NOTICE_RECEIVED:
            body = "\n".join(
                [
                    _("%(utility)s · %(town)s · %(theme)s")
                    % {
                        "utility": demand.get_utility_display(),
                        "town": demand.town.name_zh,
                        "theme": demand.get_theme_display(),
                    },
                    _("Acknowledge by %(day)s, answer by %(answer)s.")
                    % {
                        "day": _due(demand.acknowledge_due_at),
                        "answer": _due(demand.answer_due_at),
                    },
                    demand.description[:500],
                    staff_link,
                ]
            )
            subject = _("New %(kind)s %(reference)s: %(title)s") % values
            for org_id in sorted(_staff(demand, holders)):
                rows += audience.to_organization(
                    org_id,
                    event_id=uuid.uuid5(entry.uuid, f"staff-{org_id}"),
                    event_type=EventType.DEMAND_RECEIVED,
                    subject=subject,
                    body=body,
                    payload=payload,
                )
            if demand.organization_id is None and demand.submitted_by_id is None:
                receipt = _("We received your %(kind)s %(reference)s") % values
                text = "\n".join(
                    [
                        _("We will answer by %(day)s.") % {"day": _due(demand.answer_due_at)},
                        _("Follow it and read the answer here (keep this link private):"),
                        _submitter_link(demand),
                    ]
                )
                rows += to_address(
                    demand.contact_email,
                    event_id=uuid.uuid5(entry.uuid, "submitter"),
                    event_type=EventType.DEMAND_RECEIVED,
                    subject=receipt,
                    body=text,
                    payload=payload,
                )
        elif notice == NOTICE_ACKNOWLEDGED:
            limit = DEMAND_LIMITS[DemandStatus.ACKNOWLEDGED]
            rows += _to_submitter(
                demand,
                audience,
                event_id=entry.uuid,
                event_type=EventType.DEMAND_ACKNOWLEDGED,
                subject=_("Your %(kind)s %(reference)s is being handled") % values,
                body=_("%(what)s due by %(day)s.")
                % {"what": limit.what, "day": _due(demand.due_at)},
                payload=payload,
                email=False,
            )
        elif notice == NOTICE_ANSWERED:
            rows += _to_submitter(
                demand,
                audience,
                event_id=entry.uuid,
                event_type=EventType.DEMAND_ANSWERED,
                subject=_("Your %(kind)s %(reference)s has been answered") % values,
                body="\n\n".join(
                    [
                        entry.comment,
                        _("Tell us whether this solved the problem:"),
                        _submitter_link(demand),
                    ]
                ),
                payload=payload,
                email=True,
            )
        elif notice == NOTICE_REOPENED and entry.to_state == DemandStatus.REOPENED:
            subject = _("%(reference)s: the submitter says it is not solved") % values
            body = "\n".join([entry.comment, staff_link])
            for org_id in sorted(_staff(demand, holders)):
                rows += audience.to_organization(
                    org_id,
                    event_id=uuid.uuid5(entry.uuid, f"staff-{org_id}"),
                    event_type=EventType.DEMAND_REOPENED,
                    subject=subject,
                    body=body,
                    payload=payload,
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


def _escalation_subject(event: ItemEscalationEvent, demand: Demand) -> str:
    escalation = event.escalation
    values = {"tier": event.tier, "reference": demand.reference, "title": demand.title}
    if escalation.origin == EscalationOrigin.REFERRAL:
        if event.kind == EscalationEventKind.RESOLVED:
            return _("Referral resolved: demand %(reference)s: %(title)s") % values
        return _("Referred up (tier %(tier)s): demand %(reference)s: %(title)s") % values
    limit = DEMAND_LIMITS.get(escalation.stage)
    values["what"] = str(limit.what) if limit else escalation.stage
    return _("Escalation (tier %(tier)s): demand %(reference)s, %(what)s overdue") % values


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


def handle_item_escalation_events(events: list[ItemEscalationEvent]) -> int:
    """Tell the tier that now holds the escalation: leads (1), office (2), leading group (3);
    and every tier below when a referral is resolved."""
    events = list(
        ItemEscalationEvent.objects.filter(pk__in=[e.pk for e in events])
        .select_related(
            "escalation__demand",
            "escalation__follow_up__service_application",
            "escalation__action_item__meeting",
        )
        .order_by("pk")
    )
    holders = escalation_holders()
    audience = Audience(holders.organizations)
    rows: list[Delivery] = []
    for event in events:
        escalation = event.escalation
        demand = escalation.demand
        if demand is None:
            rows += _follow_up_escalation(event, audience, holders)
            rows += _action_item_escalation(event, audience, holders)
            continue
        with override("zh-hans"):
            subject = _escalation_subject(event, demand)
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
        event_id = uuid.uuid5(escalation.uuid, f"event-{event.pk}")
        body = "\n".join(
            p for p in (event.note, _url(reverse("staff:demand", args=[demand.uuid]))) if p
        )
        for org_id in sorted(_told(event, holders)):
            rows += audience.to_organization(
                org_id,
                event_id=event_id,
                event_type=EventType.ESCALATION,
                subject=subject,
                body=body,
                payload=payload,
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
    limit = FOLLOW_UP_LIMITS.get(escalation.stage)
    with override("zh-hans"):
        subject = _("Escalation (tier %(tier)s): follow-up of a %(utility)s rating overdue") % {
            "tier": event.tier,
            "utility": sa.get_utility_display(),
        }
        what = str(limit.what) if limit else escalation.stage
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
    body = "\n".join(
        p for p in (what, event.note, _url(reverse("staff:follow_up", args=[follow_up.uuid]))) if p
    )
    rows: list[Delivery] = []
    for org_id in sorted(_told(event, holders)):
        rows += audience.to_organization(
            org_id,
            event_id=uuid.uuid5(escalation.uuid, f"event-{event.pk}"),
            event_type=EventType.ESCALATION,
            subject=subject,
            body=body,
            payload=payload,
        )
    return rows


def _action_item_escalation(
    event: ItemEscalationEvent, audience: Audience, holders: EscalationHolders
) -> list[Delivery]:
    """A meeting's action item past its due day, or referred up: told to the tier that holds
    it (a referral's resolution to every tier it passed)."""
    escalation = event.escalation
    item = escalation.action_item
    if item is None:
        return []
    with override("zh-hans"):
        if escalation.origin == EscalationOrigin.REFERRAL:
            subject = _("Referral (tier %(tier)s): action item from “%(meeting)s”")
        else:
            subject = _("Escalation (tier %(tier)s): action item from “%(meeting)s” overdue")
        subject = subject % {"tier": event.tier, "meeting": item.meeting.title}
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
    body = "\n".join(
        p
        for p in (
            item.description,
            event.note,
            _url(reverse("staff:action_item", args=[item.uuid])),
        )
        if p
    )
    rows: list[Delivery] = []
    for org_id in sorted(_told(event, holders)):
        rows += audience.to_organization(
            org_id,
            event_id=uuid.uuid5(escalation.uuid, f"event-{event.pk}"),
            event_type=EventType.ESCALATION,
            subject=subject,
            body=body,
            payload=payload,
        )
    return rows
