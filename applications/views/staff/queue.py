"""The work queue: cases (and permit requests) the caller's organisation may act on."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ...constants import (
    BusinessType,
    ServiceStatus,
    Utility,
)
from ...selectors_staff import (
    QueueFilters,
    filter_towns,
    permits_for_agency,
    queue_for_staff,
)
from .common import PAGE_SIZES, PERMIT_DECISION_LABELS, _filters, _page, staff_required


@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    scope = request.staff_scope
    tab = request.GET.get("tab", "cases")
    if tab == "permits" and scope.agency_ids:
        page = _page(request, permits_for_agency(scope=scope))
        filters = QueueFilters()
    else:
        tab = "cases"
        filters = _filters(request.GET)
        page = _page(request, queue_for_staff(user=request.user, scope=scope, filters=filters))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "staff/queue.html",
        {
            "tab": tab,
            "page": page,
            "filters": filters,
            "querystring": params.urlencode(),
            "utilities": Utility.choices,
            "statuses": [c for c in ServiceStatus.choices if c[0] != ServiceStatus.DRAFT],
            "business_types": BusinessType.choices,
            "towns": filter_towns(),
            "page_sizes": PAGE_SIZES,
            "show_permits_tab": bool(scope.agency_ids),
            "permit_decisions": PERMIT_DECISION_LABELS,
            "read_only": scope.oversight,
            "staff_section": "queue",
        },
    )
