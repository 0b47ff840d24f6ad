"""Coordination meetings (联动协调会议): scheduling with a pre-filled agenda, editing the agenda,
holding the meeting (minutes, decisions), its action items, and the moves on both.

A workgroup's lead agency convenes its workgroup's meetings; the leadership office convenes
meetings across workgroups (and may convene any workgroup's). Every write is one transaction
with its history row; permissions are granted in coordination/permissions.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from core.workflow import PermissionSource, apply
from workgroups.calendar import CalendarMissing, is_working_day, local_date, local_zone
from workgroups.constants import OrganizationKind, WorkgroupRole
from workgroups.models import Membership, Organization, User, Workgroup, WorkgroupMembership

from ..constants import AGENDA_EDITABLE, AgendaKind, MeetingStatus
from ..models import ActionItem, ActionItemHistory, AgendaItem, Meeting, MeetingHistory
from ..models.meetings import (
    ACTION_MAX_LENGTH,
    AGENDA_TEXT_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)
from ..permissions import MANAGE_MEETING, grant_meeting
from ..selectors.meetings import agenda_prefill, last_meeting_held
from ..workflow import ACTION_ITEM, MEETING


@dataclass(frozen=True)
class MeetingInput:
    title: str
    starts_at: dt.datetime
    place: str
    workgroup: Workgroup | None  # None: across workgroups
    invited: list[Organization] = field(default_factory=list)


def _convening_organization(actor: User, workgroup: Workgroup | None) -> Organization:
    """The organisation the actor convenes for: a lead agency of the workgroup, else the
    leadership office (the only one that convenes across workgroups)."""
    memberships = Membership.objects.filter(user=actor).select_related("organization")
    orgs = [m.organization for m in memberships.order_by("pk")]
    if workgroup is not None:
        leads = set(
            WorkgroupMembership.objects.filter(
                workgroup=workgroup, role=WorkgroupRole.LEAD
            ).values_list("organization_id", flat=True)
        )
        for org in orgs:
            if org.pk in leads:
                return org
    for org in orgs:
        if org.kind == OrganizationKind.LEADERSHIP_OFFICE:
            return org
    if actor.is_superuser:
        office = Organization.objects.filter(kind=OrganizationKind.LEADERSHIP_OFFICE).first()
        if office is not None:
            return office
    if workgroup is None:
        raise PermissionDenied(_("Only the leadership office convenes meetings across workgroups."))
    raise PermissionDenied(_("Only the workgroup's lead agencies convene its meetings."))


def _clean(data: MeetingInput) -> MeetingInput:
    errors: dict[str, list[str]] = {}
    title, place = data.title.strip(), data.place.strip()
    if len(title) < 2 or len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [_("Give the meeting a title.")]
    if len(place) < 2 or len(place) > PLACE_MAX_LENGTH:
        errors["place"] = [_("Say where the meeting is held.")]
    if any(org.kind == OrganizationKind.APPLICANT_COMPANY for org in data.invited):
        errors["invited"] = [_("Invite agencies, operators and towns only.")]
    if errors:
        raise ValidationError(errors)
    return MeetingInput(title, data.starts_at, place, data.workgroup, list(data.invited))


@transaction.atomic
def meeting_schedule(*, actor: User, data: MeetingInput, now: dt.datetime | None = None) -> Meeting:
    """Schedule a meeting; its agenda starts from the workgroup's open matters (the one
    pre-fill selector), its invitations become read access."""
    now = now or timezone.now()
    organizer = _convening_organization(actor, data.workgroup)
    data = _clean(data)
    workgroup_id = data.workgroup.pk if data.workgroup is not None else None
    since = last_meeting_held(workgroup_id=workgroup_id, before=now)
    meeting = Meeting.objects.create(
        title=data.title,
        workgroup=data.workgroup,
        organizer=organizer,
        starts_at=data.starts_at,
        place=data.place,
        agenda_since=since,
        created_by=actor,
        created_at=now,
    )
    meeting.invited.set(data.invited)
    entries = agenda_prefill(workgroup_id=workgroup_id, since=since, now=now)
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=meeting,
                position=index,
                kind=entry.kind,
                text=entry.text,
                **{f"{entry.field}_id": entry.pk},
            )
            for index, entry in enumerate(entries, start=1)
        ]
    )
    grant_meeting(meeting, invited_group_ids=[org.group_id for org in data.invited])
    MeetingHistory.objects.create(
        meeting=meeting,
        transition="schedule",
        from_state="",
        to_state=meeting.status,
        actor=actor,
        at=now,
    )
    return meeting


def _may_manage(actor: User, meeting: Meeting) -> None:
    perms = PermissionSource(actor)
    if not MEETING.visible(actor, meeting, perms):
        raise MEETING.missing()
    if not perms.has(MANAGE_MEETING, meeting):
        raise PermissionDenied(str(MEETING.forbidden))


def _locked(meeting: Meeting) -> Meeting:
    row = Meeting.objects.select_for_update(of=("self",)).filter(pk=meeting.pk).first()
    if row is None:
        raise MEETING.missing()
    return row


AGENDA_ACTIONS = ("add", "remove", "up", "down")


@transaction.atomic
def meeting_agenda_edit(
    *, actor: User, meeting: Meeting, action: str, item_id: int | None = None, text: str = ""
) -> Meeting:
    """Add a free item at the end, remove an item, or move one up or down; before and while
    the meeting is held."""
    meeting = _locked(meeting)
    _may_manage(actor, meeting)
    if action not in AGENDA_ACTIONS:
        raise ValidationError({"action": [_("Unknown action: %s") % action]})
    if meeting.status not in AGENDA_EDITABLE:
        raise IllegalTransition(
            _("The agenda cannot change while the meeting is “%(status)s”.")
            % {"status": meeting.get_status_display()}
        )
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
    if action == "add":
        text = text.strip()
        if len(text) < 2 or len(text) > AGENDA_TEXT_MAX_LENGTH:
            raise ValidationError({"text": [_("Write the agenda item.")]})
        last = AgendaItem.objects.filter(meeting=meeting).aggregate(m=Max("position"))["m"]
        AgendaItem.objects.create(
            meeting=meeting, position=(last or 0) + 1, kind=AgendaKind.FREE, text=text
        )
        return meeting
    index = next((i for i, item in enumerate(items) if item.pk == item_id), None)
    if index is None:
        raise NotFound(_("No such agenda item."))
    if action == "remove":
        items.pop(index).delete()
    else:
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items, start=1):
        item.position = position
    AgendaItem.objects.bulk_update(items, ["position"])
    return meeting


def meeting_transition(
    *,
    actor: User,
    meeting: Meeting,
    transition: str,
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Record the minutes (hold), publish them, or cancel the meeting."""
    return apply(MEETING, meeting, transition, actor=actor, data=data, now=now)


@dataclass(frozen=True)
class ActionItemInput:
    description: str
    owner: Organization
    due_day: dt.date
    # For a meeting across workgroups: whose lead agencies hold it when late.
    workgroup: Workgroup | None = None


def _due_at(day: dt.date) -> dt.datetime:
    """The midnight that ends the due working day (as every deadline is stamped)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), local_zone())


@transaction.atomic
def action_item_add(
    *, actor: User, meeting: Meeting, data: ActionItemInput, now: dt.datetime | None = None
) -> ActionItem:
    """The meeting decides an action: who owns it and the working day it is due. Recorded once
    the meeting is held (until its minutes are published)."""
    now = now or timezone.now()
    meeting = _locked(meeting)
    _may_manage(actor, meeting)
    if meeting.status != MeetingStatus.HELD:
        raise IllegalTransition(_("Action items are recorded once the meeting is held."))
    errors: dict[str, list[str]] = {}
    description = data.description.strip()
    if len(description) < 2 or len(description) > ACTION_MAX_LENGTH:
        errors["description"] = [_("Say what must be done.")]
    if data.owner.kind == OrganizationKind.APPLICANT_COMPANY:
        errors["owner"] = [_("An action item is owned by an agency, an operator or a town.")]
    try:
        if not is_working_day(data.due_day, strict=True):
            errors["due_day"] = [_("The due day must be a working day.")]
    except CalendarMissing:
        errors["due_day"] = [_("The working-day calendar does not hold that year yet.")]
    if data.due_day <= local_date(now):
        errors.setdefault("due_day", []).append(_("The due day must be after today."))
    workgroup = meeting.workgroup or data.workgroup
    if workgroup is None:
        errors["workgroup"] = [_("Choose the workgroup that follows it up.")]
    if errors:
        raise ValidationError(errors)
    assert workgroup is not None  # noqa: S101 (checked above)
    item = ActionItem.objects.create(
        meeting=meeting,
        description=description,
        owner=data.owner,
        due_day=data.due_day,
        workgroup=workgroup,
        submitted_at=now,
        stage_entered_at=now,
        due_at=_due_at(data.due_day),
    )
    ActionItemHistory.objects.create(
        action_item=item,
        transition="assign",
        from_state="",
        to_state=item.status,
        actor=actor,
        at=now,
        comment=description,
        due_at=item.due_at,
    )
    return item


def action_item_transition(
    *,
    actor: User,
    action_item: ActionItem,
    transition: str,
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> ActionItem:
    """The owner marks it done (what was done), the meeting's owner drops it, the workgroup's
    lead refers it up (with a reason)."""
    return apply(ACTION_ITEM, action_item, transition, actor=actor, data=data, now=now)
