"""Commitments (承诺制) followed through: who hears of each fact of a commitment's life.

Fell due: the verifying agency (to its queue) and the applicant (upload it now). Document
supplied: the agency. Verified: the applicant. Broken: the applicant, with the reason and
what it does to the application. Each message is a catalogue code (texts.py)."""

import uuid

from applications.models import CommitmentEvent

from ..constants import EventType
from ..models import Delivery
from ..texts import compose, names
from .recipients import Audience, save_deliveries, to_person

# Which side hears of each fact, and the message code it gets.
_TOLD = {
    "fall_due": (("agency", "commitment.due_agency"), ("applicant", "commitment.due")),
    "supply": (("agency", "commitment.supplied"),),
    "verify": (("applicant", "commitment.verified"),),
    "breach": (("applicant", "commitment.breached"),),
}


def handle_commitment_events(events: list[CommitmentEvent]) -> int:
    events = list(
        CommitmentEvent.objects.filter(pk__in=[e.pk for e in events])
        .select_related("commitment__combined__submitted_by", "commitment__verifier")
        .order_by("pk")
    )
    orgs: set[int] = set()
    for event in events:
        orgs.add(event.commitment.combined.applicant_id)
        if event.commitment.verifier_id:
            orgs.add(event.commitment.verifier_id)
    audience = Audience(orgs)
    rows: list[Delivery] = []
    for event in events:
        rows += _messages_for(event, audience)
    return save_deliveries(rows)


def _messages_for(event: CommitmentEvent, audience: Audience) -> list[Delivery]:
    commitment = event.commitment
    combined = commitment.combined
    params = {
        "reference": combined.reference,
        "request": str(combined.uuid),
        "document": commitment.doc_type,
        "agency": names(commitment.verifier),
        "due_on": commitment.due_on.isoformat() if commitment.due_on else None,
        "due_stage": commitment.due_stage,
        "on_breach": commitment.on_breach,
        "reason": event.note if event.transition == "breach" else "",
    }
    payload = {
        "commitment": str(commitment.uuid),
        "request": str(combined.uuid),
        "document": commitment.doc_type,
        "event": event.transition,
        "status": event.to_state,
        "at": event.at.isoformat(),
    }
    rows: list[Delivery] = []
    for side, code in _TOLD.get(event.transition, ()):
        message = compose(code, params)
        event_id = uuid.uuid5(commitment.uuid, f"{event.pk}-{side}")
        if side == "agency":
            if commitment.verifier_id:
                rows += audience.to_organization(
                    commitment.verifier_id,
                    event_id=event_id,
                    event_type=EventType.STATE_CHANGED,
                    payload=payload,
                    webhook=False,
                    **message,
                )
            continue
        rows += audience.to_organization(
            combined.applicant_id,
            event_id=event_id,
            event_type=EventType.STATE_CHANGED,
            payload=payload,
            email=False,
            webhook=False,
            **message,
        )
        rows += to_person(
            combined.submitted_by,
            organization_id=combined.applicant_id,
            event_id=uuid.uuid5(event_id, "person"),
            event_type=EventType.STATE_CHANGED,
            payload=payload,
            sms=event.transition in ("fall_due", "breach"),
            **message,
        )
    return rows
