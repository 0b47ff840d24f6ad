"""URLconf of the API benchmark's server only (bench_settings.py): the portal's own URLs plus
`/bench/bare/`, the baseline the REST API is measured against. Never part of portal.urls."""

import datetime as dt
from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.dateparse import parse_datetime

from applications.models import ServiceApplication
from portal.urls import handler400, handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def bare(request: HttpRequest) -> JsonResponse:
    """The same page of the same operator's items as the API, from one query on the same index
    (sa_operator_updated), as plain JSON: no authentication, no DRF, no serializer."""
    operator = int(request.GET["operator"])
    after = parse_datetime(request.GET["updated_after"]) or dt.datetime.min.replace(tzinfo=dt.UTC)
    size = int(request.GET.get("page_size", "100"))
    rows = list(
        ServiceApplication.objects.filter(operator_id=operator, updated_at__gt=after)
        .order_by("updated_at", "id")
        .values("uuid", "utility", "status", "due_at", "updated_at")[:size]
    )
    following = None
    if len(rows) == size:
        query = {
            "operator": operator,
            "updated_after": rows[-1]["updated_at"].isoformat(),
            "page_size": size,
        }
        following = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
    return JsonResponse({"next": following, "results": rows})


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *portal_urlpatterns]
