"""Celery tasks of the cases: thin wrappers that call one service."""

from celery import shared_task

from .services import commitments_fall_due, sla_sweep


@shared_task(name="applications.sla_sweep", acks_late=True, ignore_result=True)
def sla_sweep_task() -> dict[str, int]:
    """Open, climb and close escalations, and mark due the commitments (承诺制) whose stage or
    working day has come (idempotent: safe to run at any interval; skips while another sweep
    runs)."""
    result = sla_sweep()
    due = commitments_fall_due()
    return {
        "opened": result.opened,
        "climbed": result.climbed,
        "skipped": int(result.skipped),
        "commitments_due": due.marked,
    }
