"""Coordination meetings (联动协调会议) and their action items (docs/coordination.md, "Meetings").

A workgroup's lead agency (or the leadership office, for a meeting across workgroups) schedules
a meeting; its agenda starts from the workgroup's open matters (coordination/selectors/
meetings.py) and staff edit it; the meeting is held (minutes and decisions recorded), its
minutes published; each action item is a clocked item with a due working day set by the
meeting, owned by one organisation, escalating like a case when it is not done in time.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition

from applications.models import Escalation, ServiceApplication
from core.fsm import StateField
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from core.workflow import permitted
from workgroups.models import Organization, Workgroup

from ..clock import ClockedItem
from ..constants import ActionItemStatus, AgendaKind, MeetingStatus
from .demands import Demand
from .follow_ups import FollowUp

TITLE_MAX_LENGTH = 120
PLACE_MAX_LENGTH = 200
MINUTES_MAX_LENGTH = 20000
AGENDA_TEXT_MAX_LENGTH = 300
ACTION_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 2000


class Meeting(FSMModelMixin, models.Model):
    """A coordination meeting of one workgroup (or across workgroups, called by the leadership
    office): when and where, who is invited, its agenda, minutes, decisions and action items."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    # None: a meeting across workgroups (the leadership office's).
    workgroup = models.ForeignKey(
        Workgroup,
        verbose_name=_("workgroup"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organizer = models.ForeignKey(
        Organization, verbose_name=_("convened by"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=PLACE_MAX_LENGTH)
    invited = models.ManyToManyField(
        Organization, verbose_name=_("invited organisations"), blank=True, related_name="+"
    )
    status = StateField(
        _("status"),
        max_length=20,
        choices=MeetingStatus.choices,
        default=MeetingStatus.SCHEDULED,
        protected=True,
    )
    # The agenda's new demands are those received after this moment (the workgroup's last
    # meeting held before this one was scheduled; None: no earlier meeting).
    agenda_since = models.DateTimeField(_("new matters since"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    published_at = models.DateTimeField(_("minutes published at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("scheduled at"), default=timezone.now)

    class Meta:
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        ordering = ["-starts_at", "-pk"]
        permissions = [("manage_meeting", "Convene, hold and minute the meeting")]
        indexes = [models.Index(fields=["workgroup", "held_at"], name="meeting_last_held")]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    # Who may move it and what each move records: coordination/workflow.py (MEETING).

    @transition(
        field=status,
        source=[MeetingStatus.SCHEDULED, MeetingStatus.HELD],
        target=MeetingStatus.HELD,
        permission=permitted("hold"),
    )
    def hold(self, *, minutes: str, decisions: str) -> None:
        """Record (or correct) the minutes and decisions; the meeting took place."""
        self.minutes, self.decisions = minutes, decisions

    @transition(
        field=status,
        source=MeetingStatus.HELD,
        target=MeetingStatus.PUBLISHED,
        permission=permitted("publish"),
    )
    def publish(self) -> None:
        pass

    @transition(
        field=status,
        source=MeetingStatus.SCHEDULED,
        target=MeetingStatus.CANCELLED,
        permission=permitted("cancel"),
    )
    def cancel(self, *, reason: str) -> None:
        self.cancel_reason = reason


class AgendaItem(models.Model):
    """One item of a meeting's agenda, in its order: one of the workgroup's open matters when
    the agenda was pre-filled (the row it is about), or a free item staff added."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda"
    )
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=AgendaKind.choices)
    text = models.CharField(_("item"), max_length=AGENDA_TEXT_MAX_LENGTH)
    escalation = models.ForeignKey(
        Escalation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    item_escalation = models.ForeignKey(
        "coordination.ItemEscalation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    service_application = models.ForeignKey(
        ServiceApplication, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    demand = models.ForeignKey(
        Demand, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class MeetingHistory(AppendOnlyModel, models.Model):
    """Append-only fact: one move of a meeting (scheduled, held, minutes published,
    cancelled)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="history"
    )
    transition = models.CharField(_("transition"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting history entry")
        verbose_name_plural = _("meeting history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.transition}"


class ActionItem(FSMModelMixin, ClockedItem):
    """What a meeting decided someone must do (督办事项): a description, the organisation that
    owns it and the working day it is due; the workgroup whose lead agencies hold it at tier 1
    when it is late (the meeting's, or the one named in a meeting across workgroups)."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="action_items"
    )
    description = models.TextField(_("what must be done"), max_length=ACTION_MAX_LENGTH)
    owner = models.ForeignKey(
        Organization, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_day = models.DateField(_("due working day"))
    status = StateField(
        _("status"),
        max_length=20,
        choices=ActionItemStatus.choices,
        default=ActionItemStatus.OPEN,
        protected=True,
    )
    done_note = models.TextField(_("what was done"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    drop_reason = models.TextField(_("why it was dropped"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A referral to the leadership office is open (one at a time).
    referral_open = models.BooleanField(_("referred up"), default=False)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="action_item_open_due",
                condition=models.Q(status="open"),
            )
        ]

    def __str__(self) -> str:
        return self.description[:60]

    # Who may move it and what each move records: coordination/workflow.py (ACTION_ITEM).

    @transition(
        field=status,
        source=ActionItemStatus.OPEN,
        target=ActionItemStatus.DONE,
        permission=permitted("complete"),
    )
    def complete(self, *, note: str) -> None:
        self.done_note = note

    @transition(
        field=status,
        source=ActionItemStatus.OPEN,
        target=ActionItemStatus.DROPPED,
        permission=permitted("drop"),
    )
    def drop(self, *, reason: str) -> None:
        self.drop_reason = reason

    @transition(
        field=status,
        source=ActionItemStatus.OPEN,
        target=ActionItemStatus.OPEN,
        permission=permitted("refer_up"),
        conditions=[lambda item: not item.referral_open],
    )
    def refer_up(self, *, reason: str) -> None:
        """The workgroup's lead cannot get it done: the leadership office takes it up (the
        item stays open and its owner still owes it)."""
        self.referral_open = True


class ActionItemHistory(AppendOnlyModel, models.Model):
    """Append-only fact: one move of an action item (assigned by the meeting, done, dropped,
    referred up). The notifications engine reads these rows (cursor `action_item_history`)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    action_item = models.ForeignKey(
        ActionItem,
        verbose_name=_("action item"),
        on_delete=models.PROTECT,
        related_name="history",
    )
    transition = models.CharField(_("transition"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("action item history entry")
        verbose_name_plural = _("action item history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action_item}: {self.transition}"
