"""The work queue: cases (and permit requests) the caller's organisation may act on, and the
bulk action on several of them at once."""

import uuid as uuid_lib

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from workgroups.access_log import record_access
from workgroups.constants import AccessKind

from ...constants import (
    CONNECTION_BUSINESS_TYPES,
    BusinessType,
    ServiceStatus,
    Utility,
)
from ...selectors.staff import (
    QueueFilters,
    StaffScope,
    bulk_targets,
    filter_towns,
    permits_for_agency,
    queue_for_staff,
)
from ...services import service_applications_transition_each
from ...workflow import BULK_TRANSITIONS, PERMIT, PERMIT_DECISIONS, SERVICE
from .common import PAGE_SIZES, _filters, _page, error_page, staff_required

BULK_MAX = 100


def _may_bulk(scope: StaffScope) -> bool:
    """Only operators move cases; the leadership bodies and agencies read them."""
    return bool(scope.operator_ids) or scope.superuser


@require_GET
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """/staff/: the staff site's front door leads to the caller's work queue (an anonymous
    visitor signs in first and comes back here)."""
    return redirect("staff:queue")


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
        # Each row names the applicant, a person's name when a person applied: a read of the
        # page's cases (one access-log row for the page).
        record_access(
            request,
            kind=AccessKind.CASE,
            subjects=[sa.uuid for sa in page],
            cases=[(sa.combined.uuid, sa.combined.reference or "") for sa in page],
        )
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
            # Cases are connection requests: a payment is no business type of a case.
            "business_types": [
                c for c in BusinessType.choices if c[0] in CONNECTION_BUSINESS_TYPES
            ],
            "towns": filter_towns(),
            "page_sizes": PAGE_SIZES,
            "show_permits_tab": bool(scope.agency_ids),
            "permit_decisions": {n: PERMIT[n].button for n in PERMIT_DECISIONS},
            "read_only": scope.oversight,
            # A town reads the cases of its area only (no other role is an area body).
            "area_only": bool(scope.area_ids)
            and not (scope.oversight or scope.lead_workgroup_ids or scope.operator_ids),
            "bulk_actions": [(name, SERVICE[name].button) for name in BULK_TRANSITIONS]
            if _may_bulk(scope)
            else [],
            "staff_section": "queue",
        },
    )


def _uuids(values: list[str]) -> list[str]:
    valid = []
    for value in values[:BULK_MAX]:
        try:
            valid.append(str(uuid_lib.UUID(value)))
        except ValueError:
            continue
    return list(dict.fromkeys(valid))


def _bulk_failure(sa, reason: str) -> str:
    return _("%(reference)s · %(utility)s: %(reason)s") % {
        "reference": sa.combined.reference or sa.combined.uuid,
        "utility": sa.get_utility_display(),
        "reason": reason,
    }


def _apply_each(request: HttpRequest, name: str, uuids: list[str]) -> tuple[int, list[str]]:
    """The transition on each selected case found in the caller's queue; what fails is
    described, the rest is done."""
    targets = bulk_targets(user=request.user, scope=request.staff_scope, uuids=uuids)
    failures = [
        _("%(id)s: not found in your queue.") % {"id": key} for key in uuids if key not in targets
    ]
    outcomes = service_applications_transition_each(
        actor=request.user,
        service_applications=[targets[key] for key in uuids if key in targets],
        transition=name,
    )
    failures += [_bulk_failure(o.service_application, o.error) for o in outcomes if o.error]
    return sum(1 for o in outcomes if not o.error), failures


@require_POST
@staff_required
def queue_bulk(request: HttpRequest) -> HttpResponse:
    """One no-input transition on every selected case; the message counts what was done and
    lists what was not, with the reason."""
    scope = request.staff_scope
    # Back to the same filtered page; re-encoded, so only a query string can come of it.
    query = QueryDict(request.POST.get("querystring", "")[:500]).urlencode()
    back = reverse("staff:queue") + (f"?{query}" if query else "")
    name = request.POST.get("transition", "")
    if not _may_bulk(scope):
        message = _("Your organisation reads these cases; it does not act on them.")
        return error_page(request, message, back=back, status=403)
    if name not in BULK_TRANSITIONS:
        messages.error(request, _("Choose an action that needs no further input."))
        return redirect(back)
    uuids = _uuids(request.POST.getlist("case"))
    if not uuids:
        messages.error(request, _("Select at least one application."))
        return redirect(back)
    done, failures = _apply_each(request, name, uuids)
    label = SERVICE[name].button
    summary = _("%(action)s: done for %(done)d of %(total)d selected applications.") % {
        "action": label,
        "done": done,
        "total": len(uuids),
    }
    (messages.success if not failures else messages.warning)(request, summary)
    for failure in failures:
        messages.error(request, failure)
    return redirect(back)
