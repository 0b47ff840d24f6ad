"""Turning the facts of coordination meetings' action items into messages (ActionItemHistory):

- Assigned by a meeting: the owner organisation (inbox, e-mail), with what, by which working day
  and the link to the item on the staff site.
- Done: the workgroup's lead agencies (inbox), with what was done.
- Escalations of a missed due day and referrals up: notifications/services/coordination.py,
  to the tier that holds them, as for cases.
Each message is a catalogue code with its parameters (texts.py); no webhook (a staff matter).
"""

from __future__ import annotations

import uuid

from coordination.models import ActionItem, ActionItemHistory
from coordination.workflow import (
    NOTICE_ACTION_ITEM_ASSIGNED,
    NOTICE_ACTION_ITEM_DONE,
    action_item_notice_of,
)
from workgroups.selectors import escalation_holders

from ..constants import EventType
from ..models import Delivery
from ..texts import compose
from .recipients import Audience, save_deliveries


def _payload(item: ActionItem, entry: ActionItemHistory) -> dict:
    return {
        "action_item": str(item.uuid),
        "meeting": str(item.meeting.uuid),
        "owner": item.owner.code,
        "due_day": item.due_day.isoformat(),
        "transition": entry.transition,
        "to": entry.to_state,
        "at": entry.at.isoformat(),
    }


def handle_action_item_history(entries: list[ActionItemHistory]) -> int:
    entries = list(
        ActionItemHistory.objects.filter(pk__in=[e.pk for e in entries])
        .select_related("action_item__meeting", "action_item__owner")
        .order_by("pk")
    )
    holders = escalation_holders()
    orgs: set[int] = set()
    for entry in entries:
        orgs.add(entry.action_item.owner_id)
        orgs |= set(holders.leads.get(entry.action_item.workgroup_id, frozenset()))
    audience = Audience(orgs)
    rows: list[Delivery] = []
    for entry in entries:
        item = entry.action_item
        notice = action_item_notice_of(entry)
        params = {
            "meeting": item.meeting.title,
            "due_day": item.due_day.isoformat(),
            "description": item.description,
            "action_item": str(item.uuid),
        }
        if notice == NOTICE_ACTION_ITEM_ASSIGNED:
            rows += audience.to_organization(
                item.owner_id,
                event_id=uuid.uuid5(entry.uuid, "owner"),
                event_type=EventType.ACTION_ITEM_ASSIGNED,
                payload=_payload(item, entry),
                webhook=False,
                **compose("action_item.assigned", params),
            )
        elif notice == NOTICE_ACTION_ITEM_DONE:
            message = compose("action_item.done", {**params, "done_note": item.done_note})
            for org_id in sorted(holders.leads.get(item.workgroup_id, frozenset())):
                rows += audience.to_organization(
                    org_id,
                    event_id=uuid.uuid5(entry.uuid, f"lead-{org_id}"),
                    event_type=EventType.ACTION_ITEM_DONE,
                    payload=_payload(item, entry),
                    email=False,
                    webhook=False,
                    **message,
                )
    return save_deliveries(rows)
