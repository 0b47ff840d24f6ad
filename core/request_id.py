"""The request id: one token per request, taken from or set in `X-Request-ID`, returned on every
response, written on every log line and carried into the Celery tasks the request causes.

A context variable holds it, so code anywhere below the middleware (the API's problem JSON, a
log call, a task being published) reads it with `current()` without passing it around.
"""

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# What a proxy or client may send: printable ASCII without spaces, short enough for a log line.
_ACCEPTED = re.compile(r"[\x21-\x7e]{1,128}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    """The id of the request (or task) being handled in this context, if any."""
    return _current.get()


def new() -> str:
    return uuid.uuid4().hex


def accepted(value: str | None) -> str | None:
    """`value` if it is usable as a request id, else None (a new one is generated then)."""
    if value and _ACCEPTED.fullmatch(value):
        return value
    return None


@contextmanager
def bound(value: str | None) -> Iterator[str | None]:
    """Make `value` the current request id inside the block."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def bind(value: str | None) -> object:
    """Set the current id; returns the token `unbind` restores from (for signal pairs)."""
    return _current.set(value)


def unbind(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def clear(**kwargs) -> None:
    """`request_finished`: the request is over, and so is its id (core/apps.py connects it)."""
    _current.set(None)


class RequestIdMiddleware:
    """First middleware: adopts the caller's X-Request-ID (or makes one), echoes it back.

    The id stays current until `request_finished`, not just until this middleware returns:
    Django logs 4xx responses after the middleware, and those lines belong to the request too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted(request.META.get(META_KEY)) or new()
        request.request_id = request_id  # type: ignore[attr-defined]
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _current.get() or ""
        return True
