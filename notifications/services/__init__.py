"""Writes of the notifications engine."""

from applications.models import (
    CommitmentEvent,
    EscalationEvent,
    JointWorksEvent,
    Project,
    ProjectClaimEvent,
    StateChange,
)
from coordination.models import (
    ActionItemHistory,
    DemandHistory,
    FollowUpHistory,
    ItemEscalationEvent,
    NoticeRecipient,
    RatingInvitation,
)
from workgroups.models import CompanyIdentityEvent

from .circuit import webhook_circuit_record, webhook_endpoint_probe_now
from .commitments import handle_commitment_events
from .coordination import handle_demand_history, handle_item_escalation_events
from .delivery import (
    deliveries_retry,
    deliveries_send,
    delivery_attempt,
    delivery_retry,
    inbox_mark_read,
    webhook_lane_run,
)
from .demand import demand_notice_acknowledge, demand_notices_remind, demand_signal_record
from .facts import facts_consume
from .follow_ups import handle_follow_up_history, handle_rating_invitations
from .joint_works import handle_joint_works_events
from .leases import delivery_batches_reserve, delivery_leases_release
from .meetings import handle_action_item_history
from .messages import (
    handle_claim_events,
    handle_escalation_events,
    handle_identity_events,
    handle_projects,
    handle_state_changes,
)
from .notices import handle_notice_recipients


def facts_process(*, batch: int = 500) -> int:
    """Read every fact table once more and write the messages they call for."""
    written = facts_consume(
        cursor_name="state_changes",
        queryset=StateChange.objects.all(),
        handle=handle_state_changes,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="escalation_events",
        queryset=EscalationEvent.objects.all(),
        handle=handle_escalation_events,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="projects",
        queryset=Project.objects.all(),
        handle=handle_projects,
        batch=batch,
        time_field="created_at",
    )
    written += facts_consume(
        cursor_name="project_claims",
        queryset=ProjectClaimEvent.objects.all(),
        handle=handle_claim_events,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="company_identity_events",
        queryset=CompanyIdentityEvent.objects.all(),
        handle=handle_identity_events,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="demand_history",
        queryset=DemandHistory.objects.all(),
        handle=handle_demand_history,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="item_escalation_events",
        queryset=ItemEscalationEvent.objects.all(),
        handle=handle_item_escalation_events,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="rating_invitations",
        queryset=RatingInvitation.objects.all(),
        handle=handle_rating_invitations,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="follow_up_history",
        queryset=FollowUpHistory.objects.all(),
        handle=handle_follow_up_history,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="action_item_history",
        queryset=ActionItemHistory.objects.all(),
        handle=handle_action_item_history,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="notice_recipients",
        queryset=NoticeRecipient.objects.all(),
        handle=handle_notice_recipients,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="joint_works_events",
        queryset=JointWorksEvent.objects.all(),
        handle=handle_joint_works_events,
        batch=batch,
    )
    written += facts_consume(
        cursor_name="commitment_events",
        queryset=CommitmentEvent.objects.all(),
        handle=handle_commitment_events,
        batch=batch,
    )
    return written


__all__ = [
    "deliveries_retry",
    "deliveries_send",
    "delivery_attempt",
    "delivery_batches_reserve",
    "delivery_leases_release",
    "delivery_retry",
    "demand_notice_acknowledge",
    "demand_notices_remind",
    "demand_signal_record",
    "facts_process",
    "inbox_mark_read",
    "webhook_circuit_record",
    "webhook_endpoint_probe_now",
    "webhook_lane_run",
]
