"""Project-level views: the home page, and the probes for load balancers and monitoring
(answered ahead of the middleware stack: portal/observability/middleware.py)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from portal.observability import metrics as portal_metrics
from portal.observability import readiness


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so it stays up (and JSON) while
    the database or Redis is down; /readyz says whether the portal can work."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every check passes, 503 naming the failing ones."""
    body = readiness.report()
    response = JsonResponse(body, status=200 if body["status"] == "ok" else 503)
    # Each failing check is logged as a warning already; Django's own ERROR line for a 5xx
    # would repeat it at every probe, and become an error report each time.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, for the token's bearer or an allowed network only."""
    allowed = portal_metrics.access(request)
    if allowed is None:
        return HttpResponse("Not found\n", status=404, content_type="text/plain")
    if not allowed:
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(portal_metrics.exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
