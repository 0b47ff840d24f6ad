"""The staff site's demand pages: the queue (soonest due first), one demand with the actions the
caller may perform and its escalations, and the monthly analysis with its downloads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications.constants import ServiceStatus
from applications.selectors.staff import staff_scope
from applications.views.documents import private_file_response
from applications.views.staff.common import PAGE_SIZES, staff_errors
from applications.workflow import permissions_of
from core.errors import ValidationError
from core.exports import requested_download
from core.forms import error_summary
from core.months import parse_month
from core.web import errors_to_form
from workgroups.access_log import record_access
from workgroups.constants import AccessKind
from workgroups.models import Town

from ..clock import working_days_left
from ..constants import DemandKind, DemandTheme, EscalationStatus, ItemKind, Utility
from ..forms import queue_filters
from ..models import Demand, ItemEscalation
from ..registry import DEMAND_LIMITS
from ..selectors.analysis import DemandAnalysis, Figures, add_months, demand_analysis
from ..selectors.staff import (
    REFERRAL_PAGE_KINDS,
    analysis_workgroups,
    demand_for_staff,
    demand_queue,
    demand_scope,
    item_escalation_for_staff,
    item_escalations_for_staff,
)
from ..services import demand_transition, item_escalation_transition
from ..workflow import (
    COMMENT_MAX_LENGTH,
    DEMAND,
    ITEM_ESCALATION,
    STAFF_ACTIONS,
    TierHolding,
    demand_history_label,
)


def demand_staff_required(view: Callable) -> Callable:
    """Signed in and a member of a workgroup's lead agency, a town's governing organisation or
    a leadership body."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        scope = demand_scope(user=request.user)
        if not scope.is_staff:
            if staff_scope(user=request.user).is_staff:  # an operator or a permit agency
                return render(
                    request,
                    "staff/demands_not_yours.html",
                    {"staff_section": "demands"},
                    status=403,
                )
            return render(request, "staff/not_staff.html", status=403)
        request.demand_scope = scope
        return view(request, *args, **kwargs)

    return wrapper


def _page(request: HttpRequest, queryset):
    try:
        size = int(request.GET.get("size", PAGE_SIZES[0]))
    except ValueError:
        size = PAGE_SIZES[0]
    size = size if size in PAGE_SIZES else PAGE_SIZES[0]
    return Paginator(queryset, size).get_page(request.GET.get("page"))


@require_GET
@demand_staff_required
def demand_queue_page(request: HttpRequest) -> HttpResponse:
    filters = queue_filters(request.GET)
    queue = demand_queue(user=request.user, scope=request.demand_scope, filters=filters)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "staff/demands.html",
        {
            "page": _page(request, queue),
            "filters": filters,
            "querystring": params.urlencode(),
            "utilities": Utility.choices,
            "themes": DemandTheme.choices,
            "kinds": DemandKind.choices,
            "towns": Town.objects.order_by("code"),
            "page_sizes": PAGE_SIZES,
            "read_only": request.demand_scope.oversight,
            "staff_section": "demands",
        },
    )


def _demand(request: HttpRequest, uuid) -> Demand:
    demand = demand_for_staff(user=request.user, scope=request.demand_scope, uuid=uuid)
    if demand is None:
        raise Http404
    return demand


def _demand_case(demand: Demand) -> list[tuple[object, str]]:
    """The case a demand is about, for its access-log rows (selected with the demand)."""
    sa = demand.service_application
    if sa is None:
        return []
    return [(sa.combined.uuid, sa.combined.reference or "")]


def _render_demand(
    request: HttpRequest,
    demand: Demand,
    *,
    failed: tuple[str, Form] | None = None,
    error: str = "",
) -> HttpResponse:
    now = timezone.now()
    # The page shows who submitted it and how to reach them.
    record_access(
        request, kind=AccessKind.DEMAND_CONTACT, subjects=[demand.uuid], cases=_demand_case(demand)
    )
    perms = permissions_of(request.user, [demand])
    actions = []
    for name in DEMAND.available(request.user, demand, perms=perms):
        form = failed[1] if failed and failed[0] == name else DEMAND.form(name, demand, prefix=name)
        actions.append((name, DEMAND[name].button, form))
    holding = TierHolding(request.user)
    escalations = [
        (escalation, _escalation_moves(request, escalation, holding))
        for escalation in demand.escalations.all()
    ]
    limit = DEMAND_LIMITS.get(demand.status)
    return render(
        request,
        "staff/demand.html",
        {
            "demand": demand,
            "history": [(entry, demand_history_label(entry)) for entry in demand.history.all()],
            "actions": actions,
            "escalations": escalations,
            "deadline_for": limit.what if limit else "",
            "days_left": working_days_left(demand.due_at, now=now),
            "comment_max_length": COMMENT_MAX_LENGTH,
            "error": error,
            "error_links": error_summary(failed[1] if failed else None, messages=[error]),
            "staff_section": "demands",
        },
    )


@require_GET
@demand_staff_required
def demand_page(request: HttpRequest, uuid) -> HttpResponse:
    return _render_demand(request, _demand(request, uuid))


def _demand_url(request: HttpRequest, uuid, **kwargs) -> str:
    return reverse("staff:demand", args=[uuid])


def _prefixed(post: QueryDict, prefix: str) -> dict:
    return {
        key[len(prefix) + 1 :]: post.get(key)
        for key in post
        if key.startswith(prefix + "-") and key != f"{prefix}-comment"
    }


@require_POST
@demand_staff_required
@staff_errors(back=_demand_url)
def demand_act(request: HttpRequest, uuid, name: str) -> HttpResponse:
    demand = _demand(request, uuid)
    if name not in STAFF_ACTIONS:
        raise Http404  # no such button on this page
    data = _prefixed(request.POST, name)
    try:
        demand_transition(
            actor=request.user,
            demand=demand,
            transition=name,
            data=data,
            comment=request.POST.get(f"{name}-comment", ""),
        )
    except ValidationError as exc:
        form = DEMAND.form(name, demand, data=request.POST, prefix=name)
        if form is None:
            return _render_demand(request, demand, error=" ".join(exc.messages))
        rest = errors_to_form(form, exc) if form.is_valid() else {}
        error = " ".join(message for found in rest.values() for message in found)
        return _render_demand(request, demand, failed=(name, form), error=error)
    messages.success(request, _("%(action)s: done.") % {"action": DEMAND[name].button})
    return redirect("staff:demand", uuid=uuid)


def _escalation_moves(
    request: HttpRequest, escalation: ItemEscalation, holding: TierHolding
) -> list[tuple]:
    """What the caller may do with an escalation now: (name, button, input form)."""
    return [
        (name, ITEM_ESCALATION[name].button, ITEM_ESCALATION.form(name, escalation))
        for name in ITEM_ESCALATION.available(request.user, escalation, perms=holding)
    ]


def _escalation_back(request: HttpRequest, uuid, **kwargs) -> str:
    """The page the escalation was handled from: the escalations list, or its item's page."""
    if request.POST.get("from") == "escalations":
        return reverse("staff:demand_escalations")
    if request.POST.get("from") == "referrals":
        return reverse("staff:referrals")
    escalation = (
        ItemEscalation.objects.filter(uuid=uuid)
        .select_related("demand", "follow_up", "action_item", "service_application__combined")
        .first()
    )
    if escalation is not None and escalation.follow_up is not None:
        return reverse("staff:follow_up", args=[escalation.follow_up.uuid])
    if escalation is not None and escalation.service_application is not None:
        return reverse("staff:case", args=[escalation.service_application.combined.uuid])
    if escalation is not None and escalation.action_item is not None:
        return reverse("staff:action_item", args=[escalation.action_item.uuid])
    if escalation is None or escalation.demand is None:
        return reverse("staff:demands")
    return reverse("staff:demand", args=[escalation.demand.uuid])


@require_POST
@demand_staff_required
@staff_errors(back=_escalation_back)
def demand_escalation_act(request: HttpRequest, uuid, action: str) -> HttpResponse:
    escalation = item_escalation_for_staff(scope=request.demand_scope, uuid=uuid)
    if escalation is None or action not in ITEM_ESCALATION or ITEM_ESCALATION[action].system_only:
        raise Http404
    form = ITEM_ESCALATION.form(action, escalation)
    data = {name: request.POST.get(name, "") for name in (form.fields if form else ())}
    item_escalation_transition(
        actor=request.user, escalation=escalation, transition=action, data=data
    )
    messages.success(request, _("%(action)s: done.") % {"action": ITEM_ESCALATION[action].button})
    return redirect(_escalation_back(request, uuid))


ESCALATION_TABS = (
    (EscalationStatus.OPEN, EscalationStatus.OPEN.label),
    (EscalationStatus.ACKNOWLEDGED, EscalationStatus.ACKNOWLEDGED.label),
    (EscalationStatus.RESOLVED, EscalationStatus.RESOLVED.label),
)


@require_GET
@demand_staff_required
def demand_escalations_page(request: HttpRequest) -> HttpResponse:
    """The escalations and referrals the caller's organisations hold, of demands and cases:
    missed deadlines and referrals up to them, with their history, and what they may do now.
    Served at /staff/referrals/ and at its first address, /staff/demands/escalations/."""
    tab = request.GET.get("status", EscalationStatus.OPEN)
    if tab not in EscalationStatus.values:
        tab = EscalationStatus.OPEN
    kind = request.GET.get("kind", "")
    kind = kind if kind in REFERRAL_PAGE_KINDS else ""
    page = _page(
        request, item_escalations_for_staff(scope=request.demand_scope, status=tab, kind=kind)
    )
    holding = TierHolding(request.user)
    referrals_url = request.resolver_match.url_name == "referrals"
    query = QueryDict(mutable=True)
    query["status"] = tab
    if kind:
        query["kind"] = kind
    return render(
        request,
        "staff/demand_escalations.html",
        {
            "tab": tab,
            "tabs": ESCALATION_TABS,
            "kind": kind,
            "kinds": [(k, ItemKind(k).label) for k in REFERRAL_PAGE_KINDS],
            "page": page,
            "querystring": query.urlencode(),
            "rows": [(e, _escalation_moves(request, e, holding)) for e in page],
            "limits": {state: limit.what for state, limit in DEMAND_LIMITS.items()},
            "status_labels": dict(ServiceStatus.choices),
            "back": "referrals" if referrals_url else "escalations",
            "comment_max_length": COMMENT_MAX_LENGTH,
            "staff_section": "referrals" if referrals_url else "demands",
        },
    )


@require_GET
@demand_staff_required
def demand_staff_attachment(request: HttpRequest, uuid, attachment_uuid) -> FileResponse:
    demand = _demand(request, uuid)
    attachment = next((a for a in demand.attachments.all() if a.uuid == attachment_uuid), None)
    if attachment is None or not attachment.file:
        raise Http404
    record_access(
        request,
        kind=AccessKind.DEMAND_ATTACHMENT,
        subjects=[attachment.uuid, demand.uuid],
        cases=_demand_case(demand),
    )
    return private_file_response(attachment, inline=False)


# --- The monthly analysis ----------------------------------------------------------------------


def _month(value: str) -> dt.date | None:
    """The month asked for; a month out of bounds (year 9999 has no next month) as none."""
    return parse_month(value)


def _percent(figures: Figures) -> str:
    share = figures.share_on_time
    return "" if share is None else f"{100 * share:.1f}"


def _median(figures: Figures) -> str:
    median = figures.median_days
    return "" if median is None else f"{median:.1f}"


def _row(label: str, figures: Figures) -> list:
    return [
        label,
        figures.received,
        figures.answered,
        figures.on_time,
        _percent(figures),
        _median(figures),
    ]


def _town_name(town: dict) -> str:
    english = not (get_language() or "").startswith("zh")
    return town["name_en"] if english and town["name_en"] else town["name_zh"]


def analysis_tables(analysis: DemandAnalysis) -> dict[str, dict]:
    """The page's tables (headers and display rows), the same for the page and its downloads."""
    figures = [
        _("Received"),
        _("Answered"),
        _("Answered on time"),
        _("Answered on time (%)"),
        _("Working days to answer, median"),
    ]
    utilities, themes, kinds = (
        dict(Utility.choices),
        dict(DemandTheme.choices),
        dict(DemandKind.choices),
    )
    return {
        "utility": {
            "title": _("By utility"),
            "headers": [_("Utility"), *figures],
            "rows": [_row(str(utilities[v]), f) for v, f in analysis.by_utility],
        },
        "town": {
            "title": _("By town or sub-district"),
            "headers": [_("Town or sub-district"), *figures],
            "rows": [_row(_town_name(t), f) for t, f in analysis.by_town],
        },
        "theme": {
            "title": _("By theme"),
            "headers": [_("Theme"), *figures],
            "rows": [_row(str(themes[v]), f) for v, f in analysis.by_theme],
        },
        "kind": {
            "title": _("By kind"),
            "headers": [_("Kind"), *figures],
            "rows": [_row(str(kinds[v]), f) for v, f in analysis.by_kind],
        },
        "trend": {
            "title": _("Last 12 months"),
            "headers": [_("Month"), *figures],
            "rows": [_row(m.strftime("%Y-%m"), f) for m, f in analysis.trend],
        },
    }


@require_GET
@demand_staff_required
def demand_analysis_page(request: HttpRequest) -> HttpResponse:
    scope = request.demand_scope
    workgroups = analysis_workgroups(scope=scope)
    wanted = request.GET.get("workgroup", "")
    chosen = next((wg for wg in workgroups if str(wg.pk) == wanted), None)
    if chosen is None and not (scope.oversight or scope.town_ids) and workgroups:
        chosen = workgroups[0]  # a lead agency's own workgroup, never everything
    today = timezone.localdate()
    month = _month(request.GET.get("month", "")) or today.replace(day=1)
    analysis = demand_analysis(
        user=request.user,
        scope=scope,
        month=month,
        workgroup_id=chosen.pk if chosen else None,
    )
    tables = analysis_tables(analysis)
    prefix = f"demands-{analysis.month:%Y-%m}" + (f"-{chosen.code}" if chosen else "")
    download = requested_download(request, tables, prefix=prefix)
    if download is not None:
        return download
    query = request.GET.copy()
    for key in ("csv", "xlsx"):
        query.pop(key, None)
    return render(
        request,
        "staff/demand_analysis.html",
        {
            "analysis": analysis,
            "tables": tables,
            "total": analysis.total,
            "total_share": _percent(analysis.total),
            "total_median": _median(analysis.total),
            "workgroups": workgroups,
            "chosen": chosen,
            "all_allowed": scope.oversight or bool(scope.town_ids),
            "month_value": f"{analysis.month:%Y-%m}",
            "previous_month": f"{add_months(analysis.month, -1):%Y-%m}",
            "next_month": f"{add_months(analysis.month, 1):%Y-%m}",
            "query": query.urlencode(),
            "staff_section": "demands",
        },
    )
