"""Project-level views: the home page, the probes for load balancers and monitoring
(answered ahead of the middleware stack: portal/observability/middleware.py), the API docs page
and the receiver of browsers' Content-Security-Policy violation reports."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.views import SpectacularSwaggerSplitView
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from portal.observability import csp_reports, readiness
from portal.observability import metrics as portal_metrics


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


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI (/api/docs/) under the site's Content-Security-Policy as it is: its start-up
    script comes from this same view as a file (`?script`), never inline, and the page's few
    styles from a stylesheet (templates/portal/swagger_ui.html)."""

    template_name = "portal/swagger_ui.html"


@csrf_exempt  # browsers post reports without a CSRF token (and often without cookies)
@never_cache
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """A browser's Content-Security-Policy violation report: counted and logged, then 204.
    A body larger than CSP_REPORT_MAX_BYTES gets 413, anything but a report 415 or 400."""
    if request.content_type not in csp_reports.CONTENT_TYPES:
        return HttpResponse(status=415)
    limit = settings.CSP_REPORT_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponse(status=400)
    if declared > limit:
        return HttpResponse(status=413)
    body = request.read(limit + 1)  # also bounded when the length was not declared
    if len(body) > limit:
        return HttpResponse(status=413)
    try:
        csp_reports.csp_reports_record(body)
    except csp_reports.InvalidReport:
        return HttpResponse(status=400)
    return HttpResponse(status=204)
