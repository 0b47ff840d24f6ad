"""Celery tasks of the indicators: thin wrappers that call one service."""

import functools
import logging

from celery import shared_task

from .selectors.kpi import indicators_available
from .services.rollup import kpi_rollup_refresh

logger = logging.getLogger(__name__)


@functools.cache
def _log_indicators_unavailable() -> None:
    """Beat asks every few minutes: say it once per worker, not every time."""
    logger.warning(
        "Indicators rollup not refreshed: the database is not PostgreSQL (embedded SQLite "
        "demo). Set DATABASE_URL to a PostgreSQL database to compute the indicators."
    )


@shared_task(name="indicators.kpi_refresh", acks_late=True, ignore_result=True)
def kpi_refresh_task() -> float:
    """Rebuild the indicators rollup (idempotent: each run replaces the previous figures);
    on the embedded SQLite database, log once and do nothing."""
    if not indicators_available():
        _log_indicators_unavailable()
        return 0.0
    return kpi_rollup_refresh().seconds
