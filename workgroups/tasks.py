"""Celery tasks of who is who: thin wrappers that call one service."""

from celery import shared_task

from .access_log import access_records_purge
from .registration import pending_signups_expire
from .services import idempotency_records_purge


@shared_task(name="workgroups.idempotency_records_purge", acks_late=True, ignore_result=True)
def idempotency_records_purge_task() -> int:
    """Delete Idempotency-Keys past their retention (idempotent: safe to run at any interval)."""
    return idempotency_records_purge()


@shared_task(name="workgroups.pending_signups_expire", acks_late=True, ignore_result=True)
def pending_signups_expire_task() -> int:
    """Delete sign-ups never confirmed with their SMS code in time (their numbers are free)."""
    return pending_signups_expire()


@shared_task(name="workgroups.access_records_purge", acks_late=True, ignore_result=True)
def access_records_purge_task() -> int:
    """Delete access-log rows past ACCESS_LOG_RETENTION_DAYS (idempotent)."""
    return access_records_purge()
