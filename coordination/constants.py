"""Enumerations of the workgroups' own work (policy 四 and 五(二))."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.constants import EscalationEventKind, EscalationStatus
from workgroups.constants import Utility

__all__ = [
    "DemandKind",
    "DemandStatus",
    "DemandTheme",
    "EscalationEventKind",
    "EscalationOrigin",
    "EscalationStatus",
    "ActionItemStatus",
    "CompanyType",
    "NoticeEventKind",
    "NoticeStatus",
    "AgendaKind",
    "FollowUpStatus",
    "ItemKind",
    "MeetingStatus",
    "Utility",
    "Verdict",
]


class ItemKind(models.TextChoices):
    """The kinds of work that run on a working-day clock and escalate (coordination/clock.py).
    A case is here only when referred up (its deadlines escalate in applications)."""

    DEMAND = "demand", _("Demand or suggestion")
    FOLLOW_UP = "follow_up", _("Follow-up of a bad rating")
    CASE = "case", _("Case")
    ACTION_ITEM = "action_item", _("Meeting action item")


class EscalationOrigin(models.TextChoices):
    """Why an item is with a higher tier: a missed deadline (the sweep), or a referral by the
    tier below that could not solve it (提级协调, policy 四(八))."""

    DEADLINE = "deadline", _("Missed deadline")
    REFERRAL = "referral", _("Referred up")


class DemandKind(models.TextChoices):
    """What the person brings (诉求与建议)."""

    NEED = "need", _("Need")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


class DemandTheme(models.TextChoices):
    """What it is about (policy 五(二): connection, payment, change and relocation)."""

    CONNECTION = "connection", _("Connection")
    PAYMENT = "payment", _("Payment")
    CHANGE_RELOCATION = "change_relocation", _("Change or relocation")
    QUALITY = "quality", _("Service quality")
    OTHER = "other", _("Other")


class DemandStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ANSWERED = "answered", _("Answered")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")


OPEN_DEMAND_STATES = (
    DemandStatus.SUBMITTED,
    DemandStatus.ACKNOWLEDGED,
    DemandStatus.ANSWERED,
    DemandStatus.REOPENED,
)
# The workgroup holds the demand (it waits for an acknowledgement or an answer).
WORKGROUP_HOLDS = (DemandStatus.SUBMITTED, DemandStatus.ACKNOWLEDGED, DemandStatus.REOPENED)


class Verdict(models.TextChoices):
    """The submitter's word on the answer."""

    NONE = "", _("No verdict")
    SOLVED = "solved", _("Solved")
    UNSOLVED = "unsolved", _("Not solved")


class FollowUpStatus(models.TextChoices):
    """A follow-up of a bad rating (回访): the call, the answer (cause and fix), closed once the
    applicant rates again or nobody does within the limit."""

    OPEN = "open", _("To call")
    CALLED = "called", _("Called")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


OPEN_FOLLOW_UP_STATES = (FollowUpStatus.OPEN, FollowUpStatus.CALLED, FollowUpStatus.ANSWERED)


class MeetingStatus(models.TextChoices):
    """A coordination meeting (联动协调会议): scheduled, held (minutes recorded), minutes
    published (closed); or cancelled before it was held."""

    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    PUBLISHED = "published", _("Minutes published")
    CANCELLED = "cancelled", _("Cancelled")


# The agenda may still change (before and while the meeting is held).
AGENDA_EDITABLE = (MeetingStatus.SCHEDULED, MeetingStatus.HELD)


class AgendaKind(models.TextChoices):
    """What an agenda item is about: one of the workgroup's open matters, or a free item."""

    ESCALATION = "escalation", _("Escalated case")
    ITEM_ESCALATION = "item_escalation", _("Escalation or referral")
    OVERDUE_CASE = "overdue_case", _("Overdue case")
    FOLLOW_UP = "follow_up", _("Open follow-up")
    DEMAND = "demand", _("Demand received since the last meeting")
    FREE = "free", _("Other item")


class ActionItemStatus(models.TextChoices):
    """A meeting's action item (督办事项): open until its owner says what was done, or the
    meeting's owner drops it."""

    OPEN = "open", _("Not done yet")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class NoticeStatus(models.TextChoices):
    """A policy notice (政策推送): written, waiting for its publication time, out, or taken back."""

    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CompanyType(models.TextChoices):
    """The kind of registered entity, read from the unified social credit code's first two
    characters (GB 32100-2015: registration authority and entity category), so every company
    with a code has one and no one has to fill it in."""

    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL_BUSINESS = "individual_business", _("Individual business")
    COOPERATIVE = "cooperative", _("Farmers' cooperative")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")


class NoticeEventKind(models.TextChoices):
    """What was done to a policy notice (its audit trail)."""

    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    SCHEDULED = "scheduled", _("Scheduled")
    UNSCHEDULED = "unscheduled", _("Schedule cancelled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ArticleKind(models.TextChoices):
    """What a knowledge article is (coordination/models/knowledge.py)."""

    PROCEDURE = "procedure", _("Procedure")
    FAQ = "faq", _("Frequently asked question")
    DECISION = "decision", _("Meeting decision")
