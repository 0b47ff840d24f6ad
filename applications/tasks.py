"""Celery tasks of the cases: thin wrappers that call one service."""

from celery import shared_task

from .services import sla_sweep
from .services.kpi_rollup import kpi_rollup_refresh


@shared_task(name="applications.sla_sweep", acks_late=True, ignore_result=True)
def sla_sweep_task() -> dict[str, int]:
    """Open, climb and close escalations (idempotent: safe to run at any interval)."""
    result = sla_sweep()
    return {"opened": result.opened, "climbed": result.climbed}


@shared_task(name="applications.kpi_refresh", acks_late=True, ignore_result=True)
def kpi_refresh_task() -> float:
    """Rebuild the indicators rollup (idempotent: each run replaces the previous figures)."""
    return kpi_rollup_refresh().seconds
