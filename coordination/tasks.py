"""Celery tasks of the workgroups' own work: thin wrappers that call one service."""

from celery import shared_task

from .services import coordination_sweep, policy_notices_publish_due


@shared_task(name="coordination.sla_sweep", acks_late=True, ignore_result=True)
def coordination_sweep_task() -> dict[str, int]:
    """Invite ratings, open follow-ups of bad ones; open, climb and lapse the deadlines of
    demands and follow-ups (idempotent; skips while another sweep runs)."""
    result = coordination_sweep()
    return {
        "opened": result.opened,
        "climbed": result.climbed,
        "lapsed": result.lapsed,
        "skipped": int(result.skipped),
        "invited": result.invited,
        "followed_up": result.followed_up,
    }


@shared_task(name="coordination.publish_due_notices", acks_late=True, ignore_result=True)
def publish_due_notices_task() -> int:
    """Publish the policy notices whose scheduled time has come (idempotent)."""
    return policy_notices_publish_due()
