"""The staff site beside the Django admin: queues, case pages, the escalations inbox.

Views are thin: parse the request, call one selector or service from `selectors_staff` /
`services`, render. Domain errors map once: IllegalTransition -> 409, PermissionDenied -> 403,
ValidationError -> 400 with the form re-rendered, NotFound (or not visible) -> 404.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ...clock import working_days_used
from ...constants import (
    TRANSITION_ACTION_LABELS,
    BusinessType,
    EscalationStatus,
    PermitStatus,
    ServiceStatus,
    Utility,
)
from ...errors import IllegalTransition, NotFound
from ...models import RatingLevel, ServiceApplication
from ...registry import UTILITIES
from ...selectors import combined_status
from ...selectors_staff import (
    QueueFilters,
    case_for_staff,
    case_permissions,
    escalation_for_staff,
    escalations_for_staff,
    filter_towns,
    kpi_applications,
    kpi_connections,
    kpi_ratings,
    permit_for_agency,
    permits_for_agency,
    queue_for_staff,
    service_for_staff,
    staff_scope,
)
from ...services import (
    escalation_acknowledge,
    escalation_resolve,
    permit_request_decide,
    service_application_transition,
    transitions_available,
)
from ...transition_inputs import TRANSITION_INPUTS, ConnectInput
from ..common import apply_errors

PAGE_SIZES = (25, 50, 100)
PERMIT_DECISION_LABELS = {
    "approve": gettext_lazy("Approve"),
    "return_to_applicant": gettext_lazy("Return to applicant"),
    "reject": gettext_lazy("Reject"),
}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def staff_required(view: Callable) -> Callable:
    """Signed in and a member of an agency, operator or leadership body."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        scope = staff_scope(user=request.user)
        if not scope.is_staff:
            return render(request, "staff/not_staff.html", status=403)
        request.staff_scope = scope
        return view(request, *args, **kwargs)

    return wrapper


def _filters(params: QueryDict) -> QueueFilters:
    def choice(name: str, choices) -> str:
        value = params.get(name, "")
        return value if value in {c for c, _ in choices} else ""

    return QueueFilters(
        utility=choice("utility", Utility.choices),
        status=choice("status", ServiceStatus.choices),
        town=params.get("town", "")[:40],
        business_type=choice("business_type", BusinessType.choices),
        overdue=params.get("overdue") == "1",
        q=params.get("q", "")[:100],
    )


def _page(request: HttpRequest, queryset):
    try:
        size = int(request.GET.get("size", PAGE_SIZES[0]))
    except ValueError:
        size = PAGE_SIZES[0]
    size = size if size in PAGE_SIZES else PAGE_SIZES[0]
    return Paginator(queryset, size).get_page(request.GET.get("page"))


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


@dataclass
class Column:
    """One utility of the case, as the case page shows it."""

    sa: ServiceApplication
    working_days: int
    details: list[tuple[str, str]] = field(default_factory=list)
    documents_open: bool = False
    actions: list[tuple[str, str, Form | None]] = field(default_factory=list)


def _details_display(sa: ServiceApplication) -> list[tuple[str, str]]:
    """What the applicant stated, with the registry form's labels and choice names."""
    fields = UTILITIES[sa.utility].details_form().fields
    rows = []
    for name, value in sa.details.items():
        form_field = fields.get(name)
        if form_field is None:
            continue
        choices = dict(getattr(form_field, "choices", ()) or ())
        values = value if isinstance(value, list) else [value]
        if isinstance(value, bool):
            shown = _("Yes") if value else _("No")
        else:
            shown = ", ".join(str(choices.get(v, v)) for v in values)
        rows.append((str(form_field.label), shown))
    return rows


def _transition_form(sa: ServiceApplication, name: str, data=None) -> Form | None:
    form_class = TRANSITION_INPUTS.get(name)
    if form_class is None:
        return None
    kwargs = {"status": sa.status} if form_class is ConnectInput else {}
    return form_class(data=data, prefix=f"t{sa.pk}-{name}", **kwargs)


def _render_case(
    request: HttpRequest,
    uuid,
    *,
    failed: tuple[int, str, Form] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    combined = case_for_staff(user=request.user, scope=request.staff_scope, uuid=uuid)
    if combined is None:
        raise Http404
    services = list(combined.services.all())
    perms = case_permissions(user=request.user, services=services)
    now = timezone.now()
    columns = []
    for sa in services:
        column = Column(
            sa=sa,
            working_days=working_days_used(sa, now=now),
            details=_details_display(sa),
            documents_open=sa.pk in perms.viewing,
        )
        available = (
            transitions_available(actor=request.user, service_application=sa)
            if sa.pk in perms.acting
            else []
        )
        for name in available:
            if failed and failed[0] == sa.pk and failed[1] == name:
                form = failed[2]
            else:
                form = _transition_form(sa, name)
            column.actions.append((name, TRANSITION_ACTION_LABELS[name], form))
        columns.append(column)
    escalations = sorted(
        (e for sa in services for e in sa.escalations.all()),
        key=lambda e: e.opened_at,
        reverse=True,
    )
    return render(
        request,
        "staff/case.html",
        {
            "combined": combined,
            "derived": combined_status(sa.status for sa in services),
            "columns": columns,
            "escalations": escalations,
            "commitments": list(combined.commitments.all()),
            "image_types": IMAGE_TYPES,
            "error": error,
            "staff_section": "queue",
            "transition_labels": TRANSITION_ACTION_LABELS,
            # Permit states share the history column with the application's states.
            "status_labels": {**dict(PermitStatus.choices), **dict(ServiceStatus.choices)},
        },
        status=status,
    )


@require_GET
@staff_required
def case(request: HttpRequest, uuid) -> HttpResponse:
    return _render_case(request, uuid)


def _unprefixed(post: QueryDict, prefix: str) -> QueryDict:
    data = QueryDict(mutable=True)
    for key in post:
        if key.startswith(prefix + "-"):
            data.setlist(key[len(prefix) + 1 :], post.getlist(key))
    return data


@require_POST
@staff_required
def case_transition(request: HttpRequest, uuid, sa_uuid, name: str) -> HttpResponse:
    sa = service_for_staff(
        user=request.user, scope=request.staff_scope, combined_uuid=uuid, uuid=sa_uuid
    )
    if sa is None:
        raise Http404
    prefix = f"t{sa.pk}-{name}"
    try:
        service_application_transition(
            actor=request.user,
            service_application=sa,
            transition=name,
            data=_unprefixed(request.POST, prefix),
            comment=request.POST.get(f"{prefix}-comment", "")[:2000],
        )
    except NotFound as exc:
        raise Http404 from exc
    except IllegalTransition as exc:
        return render(
            request,
            "staff/conflict.html",
            {"message": exc.message, "back": reverse("staff:case", args=[uuid])},
            status=409,
        )
    except ValidationError as exc:
        form = _transition_form(sa, name, data=request.POST)
        if form is None:
            return _render_case(request, uuid, error=" ".join(exc.messages), status=400)
        # Errors the form itself finds are shown by it; the service's others go beside it.
        rest = apply_errors(form, exc) if form.is_valid() else []
        return _render_case(
            request, uuid, failed=(sa.pk, name, form), error=" ".join(rest), status=400
        )
    messages.success(
        request,
        _("%(action)s: done for %(utility)s.")
        % {"action": TRANSITION_ACTION_LABELS[name], "utility": sa.get_utility_display()},
    )
    return redirect("staff:case", uuid=uuid)


@require_POST
@staff_required
def permit_decide(request: HttpRequest, uuid, decision: str) -> HttpResponse:
    permit = permit_for_agency(scope=request.staff_scope, uuid=uuid)
    if permit is None or decision not in PERMIT_DECISION_LABELS:
        raise Http404
    back = reverse("staff:queue") + "?tab=permits"
    try:
        permit_request_decide(
            actor=request.user,
            permit_request=permit,
            decision=decision,
            data={"reason": request.POST.get("reason", "")},
        )
    except NotFound as exc:
        raise Http404 from exc
    except IllegalTransition as exc:
        return render(
            request, "staff/conflict.html", {"message": exc.message, "back": back}, status=409
        )
    except ValidationError as exc:
        return render(
            request,
            "staff/conflict.html",
            {"message": " ".join(exc.messages), "back": back},
            status=400,
        )
    messages.success(
        request,
        _("%(decision)s: %(permit)s.")
        % {
            "decision": PERMIT_DECISION_LABELS[decision],
            "permit": permit.get_permit_type_display(),
        },
    )
    return redirect(back)


ESCALATION_TABS = (
    (EscalationStatus.OPEN, EscalationStatus.OPEN.label),
    (EscalationStatus.ACKNOWLEDGED, EscalationStatus.ACKNOWLEDGED.label),
    (EscalationStatus.RESOLVED, EscalationStatus.RESOLVED.label),
)


@require_GET
@staff_required
def escalations(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("status", EscalationStatus.OPEN)
    if tab not in EscalationStatus.values:
        tab = EscalationStatus.OPEN
    page = _page(request, escalations_for_staff(scope=request.staff_scope, status=tab))
    return render(
        request,
        "staff/escalations.html",
        {
            "tab": tab,
            "tabs": ESCALATION_TABS,
            "page": page,
            "staff_section": "escalations",
            "status_labels": dict(ServiceStatus.choices),
        },
    )


def _escalation_action(request: HttpRequest, uuid, action: Callable[..., object]) -> HttpResponse:
    escalation = escalation_for_staff(scope=request.staff_scope, uuid=uuid)
    if escalation is None:
        raise Http404
    back = reverse("staff:escalations") + f"?status={escalation.status}"
    try:
        action(escalation)
    except IllegalTransition as exc:
        return render(
            request, "staff/conflict.html", {"message": exc.message, "back": back}, status=409
        )
    except ValidationError as exc:
        return render(
            request,
            "staff/conflict.html",
            {"message": " ".join(exc.messages), "back": back},
            status=400,
        )
    return redirect(back)


@require_POST
@staff_required
def escalation_ack(request: HttpRequest, uuid) -> HttpResponse:
    def act(escalation):
        escalation_acknowledge(actor=request.user, escalation=escalation)
        messages.success(request, _("Escalation acknowledged."))

    return _escalation_action(request, uuid, act)


@require_POST
@staff_required
def escalation_res(request: HttpRequest, uuid) -> HttpResponse:
    def act(escalation):
        escalation_resolve(
            actor=request.user, escalation=escalation, note=request.POST.get("note", "")[:4000]
        )
        messages.success(request, _("Escalation resolved."))

    return _escalation_action(request, uuid, act)


def _kpi_tables(scope) -> dict[str, dict]:
    """The dashboard's tables: headers and rows of display values, shared by page and CSV."""
    utility_labels = dict(Utility.choices)

    def month(value) -> str:
        return value.strftime("%Y-%m") if value else ""

    def number(value, digits: int = 1) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    connections = [
        [
            utility_labels.get(r["utility"], r["utility"]),
            month(r["month"]),
            r["connected"],
            number(r["working_days_median"]),
            number(r["working_days_p90"]),
            number(r["calendar_days_median"]),
            number(r["calendar_days_p90"]),
            r["counter_visits"],
            number(r["fee_median"], 2),
        ]
        for r in kpi_connections(scope=scope)
    ]
    applications = [
        [
            utility_labels.get(r["utility"], r["utility"]),
            month(r["month"]),
            r["submitted"],
            r["corrected"],
            number(100 * r["corrected"] / r["submitted"]) if r["submitted"] else "",
            r["escalations"],
        ]
        for r in kpi_applications(scope=scope)
    ]
    levels = [value for value, _label in RatingLevel.choices]
    counts: dict[str, dict[str, int]] = {}
    for r in kpi_ratings(scope=scope):
        counts.setdefault(r["service_application__utility"], {})[r["level"]] = r["count"]
    ratings = [
        [utility_labels[u], *[counts[u].get(level, 0) for level in levels], sum(counts[u].values())]
        for u in utility_labels
        if u in counts
    ]
    return {
        "connections": {
            "title": _("Connections per utility and month of connection"),
            "headers": [
                _("Utility"),
                _("Month"),
                _("Connected"),
                _("Working days, median"),
                _("Working days, 90th percentile"),
                _("Calendar days, median"),
                _("Calendar days, 90th percentile"),
                _("Counter visits"),
                _("Fee quote, median (CNY)"),
            ],
            "rows": connections,
        },
        "applications": {
            "title": _("Applications per utility and month of submission"),
            "headers": [
                _("Utility"),
                _("Month"),
                _("Submitted"),
                _("Returned for correction"),
                _("Correction rate (%)"),
                _("Escalations"),
            ],
            "rows": applications,
        },
        "ratings": {
            "title": _("Satisfaction ratings per utility"),
            "headers": [
                _("Utility"),
                *[label for _value, label in RatingLevel.choices],
                _("Total"),
            ],
            "rows": ratings,
        },
    }


@require_GET
@staff_required
def kpi(request: HttpRequest) -> HttpResponse:
    tables = _kpi_tables(request.staff_scope)
    name = request.GET.get("csv")
    if name in tables:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="kpi-{name}.csv"'
        response.write("\ufeff")  # a BOM, so spreadsheet programs read the Chinese correctly
        writer = csv.writer(response)
        writer.writerow([str(h) for h in tables[name]["headers"]])
        writer.writerows(tables[name]["rows"])
        return response
    return render(
        request,
        "staff/kpi.html",
        {"tables": tables, "staff_section": "kpi", "read_only": request.staff_scope.oversight},
    )
