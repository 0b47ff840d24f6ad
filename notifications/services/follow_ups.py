"""Turning the follow-up facts into messages (回访):

- A rating invitation (RatingInvitation, three working days after connection): the applicant
  organisation's inbox, and the person who submitted the request by e-mail and by SMS to a
  confirmed number, with the link to the request's tracking page where the rating form is.
- A follow-up opened (FollowUpHistory "open"): the workgroup's lead agencies (inbox, e-mail).
- A follow-up answered (cause and fix): the applicant organisation's inbox and the submitting
  person's e-mail, with the link to rate again.
- Escalations of a follow-up's missed deadline: notifications/services/coordination.py.
Each message is a catalogue code with its parameters (texts.py). No contact details go out by
webhook: these messages have none.
"""

from __future__ import annotations

import uuid

from coordination.models import FollowUp, FollowUpHistory, RatingInvitation
from coordination.workflow import (
    NOTICE_FOLLOW_UP_ANSWERED,
    NOTICE_FOLLOW_UP_OPENED,
    follow_up_notice_of,
)
from workgroups.calendar import last_day_of
from workgroups.selectors import escalation_holders

from ..constants import EventType
from ..models import Delivery
from ..texts import compose
from .recipients import Audience, save_deliveries, to_person


def handle_rating_invitations(invitations: list[RatingInvitation]) -> int:
    invitations = list(
        RatingInvitation.objects.filter(pk__in=[i.pk for i in invitations])
        .select_related(
            "service_application__combined__submitted_by", "service_application__operator"
        )
        .order_by("pk")
    )
    audience = Audience({i.organization_id for i in invitations})
    rows: list[Delivery] = []
    for invitation in invitations:
        sa = invitation.service_application
        combined = sa.combined
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"rating-invitation-{invitation.pk}")
        message = {
            "event_type": EventType.RATING_INVITATION,
            "payload": {"service_application": str(sa.uuid), "utility": sa.utility},
            **compose("rating.invitation", {"utility": sa.utility, "request": str(combined.uuid)}),
        }
        rows += audience.to_organization(
            invitation.organization_id,
            event_id=event_id,
            email=False,
            webhook=False,
            **message,
        )
        rows += to_person(
            combined.submitted_by,
            organization_id=invitation.organization_id,
            event_id=uuid.uuid5(event_id, "submitter"),
            sms=True,
            **message,
        )
    return save_deliveries(rows)


def _payload(follow_up: FollowUp, entry: FollowUpHistory) -> dict:
    return {
        "follow_up": str(follow_up.uuid),
        "service_application": str(follow_up.service_application.uuid),
        "utility": follow_up.service_application.utility,
        "transition": entry.transition,
        "to": entry.to_state,
        "at": entry.at.isoformat(),
        "due_at": follow_up.due_at.isoformat() if follow_up.due_at else None,
    }


def handle_follow_up_history(entries: list[FollowUpHistory]) -> int:
    entries = list(
        FollowUpHistory.objects.filter(pk__in=[e.pk for e in entries])
        .select_related(
            "follow_up__service_application__combined__submitted_by",
            "follow_up__rating",
        )
        .order_by("pk")
    )
    holders = escalation_holders()
    orgs: set[int] = set()
    for entry in entries:
        orgs |= set(holders.leads.get(entry.follow_up.workgroup_id, frozenset()))
        orgs.add(entry.follow_up.organization_id)
    audience = Audience(orgs)
    rows: list[Delivery] = []
    for entry in entries:
        follow_up = entry.follow_up
        sa = follow_up.service_application
        notice = follow_up_notice_of(entry)
        payload = _payload(follow_up, entry)
        if notice == NOTICE_FOLLOW_UP_OPENED:
            due = last_day_of(follow_up.due_at) if follow_up.due_at else None
            opened = compose(
                "follow_up.opened",
                {
                    "utility": sa.utility,
                    "level": follow_up.rating.level,
                    "comment": follow_up.rating.comment[:500],
                    "due": due.isoformat() if due else None,
                    "follow_up": str(follow_up.uuid),
                },
            )
            for org_id in sorted(holders.leads.get(follow_up.workgroup_id, frozenset())):
                rows += audience.to_organization(
                    org_id,
                    event_id=uuid.uuid5(entry.uuid, f"staff-{org_id}"),
                    event_type=EventType.FOLLOW_UP_OPENED,
                    payload=payload,
                    webhook=False,
                    **opened,
                )
        elif notice == NOTICE_FOLLOW_UP_ANSWERED:
            message = {
                "event_type": EventType.FOLLOW_UP_ANSWERED,
                "payload": payload,
                **compose(
                    "follow_up.answered",
                    {
                        "utility": sa.utility,
                        "level": follow_up.rating.level,
                        "cause": follow_up.cause,
                        "fix": follow_up.fix,
                        "request": str(sa.combined.uuid),
                    },
                ),
            }
            rows += audience.to_organization(
                follow_up.organization_id,
                event_id=uuid.uuid5(entry.uuid, "applicant"),
                email=False,
                webhook=False,
                **message,
            )
            rows += to_person(
                sa.combined.submitted_by,
                organization_id=follow_up.organization_id,
                event_id=uuid.uuid5(entry.uuid, "submitter"),
                **message,
            )
    return save_deliveries(rows)
