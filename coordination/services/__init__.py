"""Every write path of the workgroups' own work: atomic, audited, permission-checked."""

from .demands import DemandInput, demand_submit, demand_transition, demand_transition_by_link
from .escalations import (
    CLOCKED_KINDS,
    ClockedKind,
    SweepResult,
    coordination_sweep,
    item_escalation_acknowledge,
    item_escalation_resolve,
    item_escalation_transition,
)
from .follow_ups import follow_up_transition, follow_ups_open, rating_invitations_record
from .meetings import (
    ActionItemInput,
    MeetingInput,
    action_item_add,
    action_item_transition,
    meeting_agenda_edit,
    meeting_schedule,
    meeting_transition,
)
from .notices import (
    NoticeInput,
    policy_notice_create,
    policy_notice_edit,
    policy_notice_publish,
    policy_notice_read,
    policy_notice_schedule,
    policy_notice_transition,
    policy_notice_withdraw,
    policy_notices_publish_due,
)
from .referrals import case_may_refer, case_refer_up

__all__ = [
    "CLOCKED_KINDS",
    "ActionItemInput",
    "MeetingInput",
    "action_item_add",
    "action_item_transition",
    "meeting_agenda_edit",
    "meeting_schedule",
    "meeting_transition",
    "ClockedKind",
    "DemandInput",
    "case_may_refer",
    "case_refer_up",
    "SweepResult",
    "coordination_sweep",
    "demand_submit",
    "demand_transition",
    "demand_transition_by_link",
    "follow_up_transition",
    "follow_ups_open",
    "item_escalation_acknowledge",
    "item_escalation_resolve",
    "item_escalation_transition",
    "rating_invitations_record",
    "NoticeInput",
    "policy_notice_create",
    "policy_notice_edit",
    "policy_notice_publish",
    "policy_notice_read",
    "policy_notice_schedule",
    "policy_notice_transition",
    "policy_notice_withdraw",
    "policy_notices_publish_due",
]
