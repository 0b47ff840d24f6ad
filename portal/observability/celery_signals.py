"""Celery signal handlers: the request id travels with each task a request (or a task) sends,
Celery logs through Django's LOGGING (JSON), and the periodic tasks' runs are recorded.

portal/celery.py connects them in every process (web, worker, beat). Nothing here may break a
task or beat: a failed record is logged and forgotten.
"""

from __future__ import annotations

import logging
import time
from logging.config import dictConfig

from core import request_id

logger = logging.getLogger(__name__)

HEADER = "request_id"

_in_beat = False
_tokens: dict[str, object] = {}
_started: dict[str, float] = {}


def configure_logging(**kwargs) -> None:
    """`setup_logging`: while this is connected Celery leaves logging alone; use Django's."""
    from django.conf import settings

    dictConfig(settings.LOGGING)


def add_request_id(sender=None, headers=None, **kwargs) -> None:
    """`before_task_publish`: the current request id goes out in the message headers, and beat
    notes the periodic task it just sent."""
    current = request_id.current()
    if headers is not None and current and HEADER not in headers:
        headers[HEADER] = current
    if _in_beat:
        _record_sent(sender)


def restore_request_id(sender=None, task_id=None, task=None, **kwargs) -> None:
    """`task_prerun`: the request id the message carried (a task run in the caller's own
    thread keeps the caller's; a task nobody asked for gets its own id, passed on to the
    tasks it sends)."""
    carried = request_id.accepted(getattr(task.request, HEADER, None)) if task else None
    value = carried or request_id.current() or task_id
    if task_id:
        _tokens[task_id] = request_id.bind(value)
    _tag_error_reports(value)
    if task is not None and task_id and task.name in _periodic_names():
        _started[task_id] = time.monotonic()


def clear_request_id(sender=None, task_id=None, task=None, retval=None, state=None, **kwargs):
    """`task_postrun`: forget the id; a periodic task's run is recorded."""
    token = _tokens.pop(task_id, None) if task_id else None
    if token is not None:
        request_id.unbind(token)
    started = _started.pop(task_id, None) if task_id else None
    if started is None or task is None:
        return
    try:
        from .periodic import task_finished

        task_finished(
            task=task.name,
            state=state or "",
            duration=time.monotonic() - started,
            result=retval,
        )
    except Exception:
        logger.warning("could not record the run of %s", task.name, exc_info=True)


def beat_started(sender=None, **kwargs) -> None:
    """`beat_init`: from now on this process is beat; its sends are recorded."""
    global _in_beat
    _in_beat = True
    try:
        from .periodic import beat_started as record

        record()
    except Exception:
        logger.warning("could not record beat's start", exc_info=True)


def _record_sent(task_name: str | None) -> None:
    if not task_name or task_name not in _periodic_names():
        return
    try:
        from .periodic import task_sent

        task_sent(task=task_name)
    except Exception:
        logger.warning("could not record that beat sent %s", task_name, exc_info=True)


def _periodic_names() -> set[str]:
    from django.conf import settings

    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def _tag_error_reports(value: str) -> None:
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.set_tag("request_id", value)


def connect() -> None:
    from celery import signals

    signals.setup_logging.connect(configure_logging, weak=False)
    signals.before_task_publish.connect(add_request_id, weak=False)
    signals.task_prerun.connect(restore_request_id, weak=False)
    signals.task_postrun.connect(clear_request_id, weak=False)
    signals.beat_init.connect(beat_started, weak=False)
