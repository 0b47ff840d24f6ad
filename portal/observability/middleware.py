"""Middleware: each request measured, logged and tagged; the probes answered first.

Order in settings.MIDDLEWARE: core.request_id's, then RequestObservationMiddleware, then
ProbeMiddleware, then Django's own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from core import request_id

from .metrics import REQUEST_DURATION, REQUESTS

logger = logging.getLogger("portal.request")

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request: HttpRequest) -> str:
    """The name of the URL pattern that answered (never the raw path: bounded labels)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    if match.namespace == "admin" or match.view_name.startswith("admin:"):
        return "admin"
    return match.view_name


class RequestObservationMiddleware:
    """Latency and status class by route for /metrics, one JSON log line per request, and the
    request id on any error report."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        if sentry_sdk.get_client().is_active():
            sentry_sdk.set_tag("request_id", request_id.current() or "")
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        method = request.method if request.method in _METHODS else "other"
        REQUEST_DURATION.labels(route, method).observe(elapsed)
        REQUESTS.labels(route, method, f"{response.status_code // 100}xx").inc()
        logger.log(
            logging.DEBUG if request.path_info in PROBE_PATHS else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )
        return response


class ProbeMiddleware:
    """/healthz, /readyz and /metrics answered before the rest of the stack: no session, no
    HTTPS redirect, no Host check, so load balancers, docker-compose and Prometheus reach them
    by container address over plain HTTP, and a liveness probe never touches the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PROBE_PATHS:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return self.get_response(request)
            request.resolver_match = match
            return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
