"""Celery tasks of the cases: thin wrappers that call one service."""

from celery import shared_task

from .services import sla_sweep


@shared_task(name="applications.sla_sweep", acks_late=True, ignore_result=True)
def sla_sweep_task() -> dict[str, int]:
    """Open, climb and close escalations (idempotent: safe to run at any interval; skips while
    another sweep runs)."""
    result = sla_sweep()
    return {"opened": result.opened, "climbed": result.climbed, "skipped": int(result.skipped)}
