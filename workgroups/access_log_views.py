"""The staff site's access-log search (/staff/access-log/): who read which personal data.

The leadership office (and platform administrators) search every row; an organisation's
manager the reads done for their own organisation; anyone else gets 403. A constant number of
queries per page: the caller's scope, the organisation list (office only), the count and the
page. `?csv=records` downloads every matching row (up to EXPORT_MAX).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.exports import table_download
from core.forms import error_summary

from .constants import STAFF_KINDS, AccessDoor, AccessKind
from .forms import AccessLogFilterForm
from .models import Organization
from .selectors import AccessLogFilters, access_log_scope, access_records_search

PAGE_SIZE = 50
EXPORT_MAX = 100_000


def _filters(form: AccessLogFilterForm) -> AccessLogFilters:
    data = form.cleaned_data
    organization = data.get("organization")
    return AccessLogFilters(
        person=data["person"].strip(),
        organization_id=organization.pk if organization is not None else None,
        subject=data["subject"].strip(),
        kind=data["kind"],
        door=data["door"],
        since=data["since"],
        until=data["until"],
        ip_address=data["ip_address"] or "",
    )


def _csv(rows) -> HttpResponse:
    kinds, doors = dict(AccessKind.choices), dict(AccessDoor.choices)
    zone = timezone.get_current_timezone()
    table = {
        "headers": [
            _("Time"),
            _("Person"),
            _("Organisation"),
            _("Door"),
            _("What was read"),
            _("Case references"),
            _("Cases"),
            _("Items read"),
            _("IP address"),
            _("Request id"),
            _("Address read"),
        ],
        "rows": (
            [
                row.at.astimezone(zone).isoformat(timespec="seconds"),
                row.username,
                row.organization_name,
                doors.get(row.door, row.door),
                kinds.get(row.kind, row.kind),
                " ".join(row.case_references),
                " ".join(row.cases),
                " ".join(row.subjects),
                row.ip_address or "",
                row.request_id,
                row.path,
            ]
            for row in rows
        ),
    }
    return table_download(table, name="access-log", fmt="csv")


@require_GET
@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    scope = access_log_scope(user=request.user)
    if not scope.allowed:
        raise PermissionDenied
    organizations = (
        Organization.objects.filter(kind__in=STAFF_KINDS).order_by("kind", "code")
        if scope.everyone
        else None
    )
    form = AccessLogFilterForm(request.GET or None, organizations=organizations)
    valid = form.is_valid() if request.GET else True
    if request.GET and not valid:
        rows = access_records_search(scope=scope, filters=AccessLogFilters()).none()
    else:
        filters = _filters(form) if request.GET else AccessLogFilters()
        rows = access_records_search(scope=scope, filters=filters)
        if request.GET.get("csv") == "records":
            return _csv(rows[:EXPORT_MAX].iterator())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("csv", None)
    return render(
        request,
        "staff/access_log.html",
        {
            "form": form,
            "page": page,
            "querystring": query.urlencode(),
            "everyone": scope.everyone,
            "error_links": error_summary(form) if request.GET else [],
            "retention_days": settings.ACCESS_LOG_RETENTION_DAYS,
            "staff_section": "access_log",
        },
    )
