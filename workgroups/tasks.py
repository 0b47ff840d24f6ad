"""Celery tasks of who is who: thin wrappers that call one service."""

from celery import shared_task

from .services import idempotency_records_purge


@shared_task(name="workgroups.idempotency_records_purge", acks_late=True, ignore_result=True)
def idempotency_records_purge_task() -> int:
    """Delete Idempotency-Keys past their retention (idempotent: safe to run at any interval)."""
    return idempotency_records_purge()
