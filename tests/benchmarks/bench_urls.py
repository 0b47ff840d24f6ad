"""URLconf of the API benchmark's server only (bench_settings.py, bench_wsgi.py): the portal's
own URLs plus the bare views the real pages are measured against. Never part of portal.urls.

Each bare view answers from ONE raw SQL query, with no authentication, no DRF, no form, no
template: what the database and Django's request handling cost, and nothing else. The same
view function is mounted three times, so only the middleware in front of it differs:
- `/raw/...`: served by bench_wsgi's handler with no middleware at all (the ceiling);
- `/api/bench/...`: through the portal's middleware as an API token request takes it;
- `/bench/...`: through the portal's full middleware, as a page takes it.
"""

import datetime as dt
from urllib.parse import urlencode

import orjson
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape

from portal.urls import handler400, handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

_PAGE_SQL = """
SELECT uuid::text, utility, status, due_at, paused_since IS NOT NULL, updated_at
  FROM applications_serviceapplication
 WHERE operator_id = %s AND updated_at > %s
 ORDER BY updated_at, id
 LIMIT %s
"""


def _at(zone):
    def at(moment):  # as the API writes a datetime (ISO 8601, in the current time zone)
        if moment is None:
            return None
        text = moment.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return at


def work_items(request: HttpRequest) -> HttpResponse:
    """The operator list's page body (the same keys, rows and JSON writer as
    GET /api/v1/work-items/?updated_after=...), from one query on the same index
    (sa_operator_updated); `next` carries the last row's time instead of a signed cursor."""
    operator = int(request.GET["operator"])
    after = parse_datetime(request.GET["updated_after"]) or dt.datetime.min.replace(tzinfo=dt.UTC)
    size = int(request.GET.get("page_size", "100"))
    with connection.cursor() as cursor:
        cursor.execute(_PAGE_SQL, [operator, after, size])
        rows = cursor.fetchall()
    at = _at(timezone.get_current_timezone())
    detail = request.build_absolute_uri("/api/v1/work-items/")
    results = [
        {
            "uuid": uuid,
            "url": f"{detail}{uuid}/",
            "utility": utility,
            "status": status,
            "due_at": at(due_at),
            "paused": paused,
            "updated_at": at(updated_at),
        }
        for uuid, utility, status, due_at, paused, updated_at in rows
    ]
    following = None
    if len(rows) == size:
        query = {"operator": operator, "updated_after": rows[-1][5].isoformat(), "page_size": size}
        following = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
    body = orjson.dumps({"next": following, "previous": None, "results": results})
    return HttpResponse(body, content_type="application/json")


_TRACKING_SQL = """
SELECT c.reference, p.name, sa.uuid::text, sa.utility, sa.status, sa.due_at, sa.updated_at,
       sa.fee_quote_cny
  FROM applications_combinedapplication c
  JOIN applications_project p ON p.id = c.project_id
  JOIN applications_serviceapplication sa ON sa.combined_id = c.id
 WHERE c.uuid = %s AND c.applicant_id = %s
 ORDER BY sa.utility
"""


def _table(title: str, header: tuple[str, ...], rows) -> HttpResponse:
    cells = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else v)}</td>" for v in row) + "</tr>"
        for row in rows
    )
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return HttpResponse(
        f"<!doctype html><html lang='zh-hans'><title>{escape(title)}</title>"
        f"<h1>{escape(title)}</h1><table><tr>{head}</tr>{cells}</table></html>"
    )


def tracking(request: HttpRequest, uuid) -> HttpResponse:
    """The applicant's tracking page's facts (each utility's state, deadline, fee) of one
    request of the applicant's company, as a plain table."""
    with connection.cursor() as cursor:
        cursor.execute(_TRACKING_SQL, [uuid, int(request.GET["applicant"])])
        rows = cursor.fetchall()
    if not rows:
        return HttpResponse(status=404)
    return _table(
        f"{rows[0][0]} {rows[0][1]}",
        ("uuid", "utility", "status", "due_at", "updated_at", "fee"),
        (row[2:] for row in rows),
    )


_QUEUE_SQL = """
SELECT c.reference, p.name, a.name_zh, sa.utility, sa.status, sa.due_at, sa.uuid::text
  FROM applications_serviceapplication sa
  JOIN applications_combinedapplication c ON c.id = sa.combined_id
  JOIN applications_project p ON p.id = c.project_id
  JOIN workgroups_organization a ON a.id = c.applicant_id
 WHERE sa.operator_id = %s AND sa.status <> 'draft'
 ORDER BY sa.due_at ASC NULLS LAST, sa.id
 LIMIT %s
"""


def queue(request: HttpRequest) -> HttpResponse:
    """The staff queue's first page (25 cases, most urgent first) of one operator, as a plain
    table; no count, no filters."""
    with connection.cursor() as cursor:
        cursor.execute(_QUEUE_SQL, [int(request.GET["operator"]), 25])
        rows = cursor.fetchall()
    return _table(
        "queue", ("reference", "project", "applicant", "utility", "status", "due", "uuid"), rows
    )


def _bare(prefix: str, name: str) -> list:
    return [
        path(f"{prefix}work-items/", work_items, name=f"{name}-work-items"),
        path(f"{prefix}tracking/<uuid:uuid>/", tracking, name=f"{name}-tracking"),
        path(f"{prefix}queue/", queue, name=f"{name}-queue"),
    ]


urlpatterns = [
    *_bare("raw/", "raw"),
    *_bare("api/bench/", "lane"),
    *_bare("bench/", "page"),
    *portal_urlpatterns,
]
