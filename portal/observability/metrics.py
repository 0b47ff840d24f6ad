"""Prometheus metrics: the request metrics every web process keeps, and /metrics's exposition
and access rule (a bearer token and/or allowed networks from settings; off when neither is set).

Under gunicorn each worker process counts its own requests; with PROMETHEUS_MULTIPROC_DIR set
(docker-compose.yml sets it for web) the processes share their counts through that folder and
the exposition adds them up (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from .collector import PortalCollector

REQUEST_DURATION = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a request, by route (the URL pattern's name) and method.",
    ["route", "method"],
)
REQUESTS = Counter(
    "portal_http_requests",
    "Requests answered, by route, method and status class (2xx, 3xx, 4xx, 5xx).",
    ["route", "method", "status"],
)
CSP_REPORTS = Counter(
    "portal_csp_reports",
    "Content-Security-Policy violations browsers reported to /csp-report/, by the directive "
    "broken (a directive outside the policy counts as 'other').",
    ["directive"],
)

_DATABASE_REGISTRY = CollectorRegistry(auto_describe=False)
_DATABASE_REGISTRY.register(PortalCollector())


def exposition() -> bytes:
    """This process's (or, in multiprocess mode, every web process's) metrics, the default
    registry's included, followed by the collector's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        local = generate_latest(registry)
    else:
        local = generate_latest(REGISTRY)
    return local + generate_latest(_DATABASE_REGISTRY)


@lru_cache(maxsize=8)
def _networks(
    spec: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def access(request: HttpRequest) -> bool | None:
    """None when /metrics is off (no token, no network); else whether this caller may read it.

    The network rule sees the direct peer (REMOTE_ADDR): allow Prometheus's address, never the
    reverse proxy's, or every client the proxy forwards would be allowed.
    """
    token = settings.METRICS_TOKEN
    networks = _networks(tuple(settings.METRICS_ALLOWED_NETWORKS))
    if not token and not networks:
        return None
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    presented = given.strip().encode("utf-8", "surrogateescape")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(presented, token.encode()):
        return True
    if networks:
        try:
            peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(peer in network for network in networks)
    return False
