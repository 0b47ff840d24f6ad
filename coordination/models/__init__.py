"""The workgroups' own work: demands and suggestions, follow-ups, meetings and their action
items, and the escalations of their deadlines."""

from .demands import Demand, DemandAttachment, DemandHistory
from .escalations import ItemEscalation, ItemEscalationEvent
from .follow_ups import FollowUp, FollowUpHistory, RatingInvitation
from .guides import GuideText
from .knowledge import Article, TrainingAttendance, TrainingSession
from .meetings import ActionItem, ActionItemHistory, AgendaItem, Meeting, MeetingHistory
from .notices import (
    NoticeReadReceipt,
    NoticeRecipient,
    PolicyNotice,
    PolicyNoticeAttachment,
    PolicyNoticeEvent,
    PolicyNoticeRevision,
)
from .object_permissions import (
    DemandGroupObjectPermission,
    DemandUserObjectPermission,
    MeetingGroupObjectPermission,
    MeetingUserObjectPermission,
)

__all__ = [
    "ActionItem",
    "ActionItemHistory",
    "AgendaItem",
    "Article",
    "Demand",
    "DemandAttachment",
    "DemandGroupObjectPermission",
    "DemandHistory",
    "DemandUserObjectPermission",
    "FollowUp",
    "FollowUpHistory",
    "GuideText",
    "ItemEscalation",
    "ItemEscalationEvent",
    "Meeting",
    "MeetingGroupObjectPermission",
    "MeetingHistory",
    "MeetingUserObjectPermission",
    "NoticeReadReceipt",
    "NoticeRecipient",
    "PolicyNotice",
    "PolicyNoticeAttachment",
    "PolicyNoticeEvent",
    "PolicyNoticeRevision",
    "RatingInvitation",
    "TrainingAttendance",
    "TrainingSession",
]
