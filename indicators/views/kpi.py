"""The indicators dashboard (World Bank style), its charts and its CSV / Excel downloads."""

import datetime as dt
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications.constants import Party, ServiceStatus, Utility
from applications.models import RatingLevel
from applications.views.staff.common import staff_required
from coordination.selectors.notices import awareness_by_workgroup
from core.exports import requested_download
from core.forms import error_summary

from ..evaluation import compare
from ..forms import PeriodForm
from ..selectors.kpi import (
    INDICATORS_UNAVAILABLE,
    KpiFilter,
    indicators_available,
    kpi_action_items,
    kpi_applications,
    kpi_as_of,
    kpi_commitments,
    kpi_connections,
    kpi_demand_notices,
    kpi_demands,
    kpi_fees,
    kpi_follow_ups,
    kpi_joint_works,
    kpi_longest_holds,
    kpi_party_shares,
    kpi_ratings,
    kpi_stages,
    kpi_workgroups,
)
from ..selectors.public import evaluation_city_figures


def filters_from(request: HttpRequest) -> tuple[PeriodForm, KpiFilter | None, list]:
    """`?from=YYYY-MM&to=YYYY-MM&workgroup=<id>` (the last 12 months of every workgroup by
    default): the form, its filters (None when the period is refused), and the workgroups
    the caller may choose from."""
    workgroups = kpi_workgroups(scope=request.staff_scope)
    form = PeriodForm(request.GET, today=timezone.localdate())
    return form, (form.filters(workgroups) if form.is_valid() else None), workgroups


def month(value) -> str:
    return value.strftime("%Y-%m") if value else ""


def number(value, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def rate(part: int | None, whole: int | None) -> str:
    return number(100 * part / whole) if part is not None and whole else ""


def _kpi_tables(scope, filters: KpiFilter) -> dict[str, dict]:
    """The dashboard's tables: headers and rows of display values, shared by page, charts and
    downloads."""
    utility_labels = dict(Utility.choices)
    status_labels = dict(ServiceStatus.choices)
    connections = [
        [
            utility_labels.get(r["utility"], r["utility"]),
            month(r["month"]),
            r["connected"],
            number(r["working_days_median"]),
            number(r["working_days_p90"]),
            number(r["calendar_days_median"]),
            number(r["calendar_days_p90"]),
            number(r["steps_median"]),
            r["counter_visits"],
            number(r["fee_median"], 2),
        ]
        for r in kpi_connections(scope=scope, filters=filters)
    ]
    parties = [
        [
            utility_labels.get(r["utility"], r["utility"]),
            month(r["month"]),
            r["connected"],
            *[number(r["days"][p]) for p in Party.values],
            *[number(r["share"][p]) for p in Party.values],
            number(r["steps_median"]),
            number(r["fee_median"], 2),
        ]
        for r in kpi_party_shares(scope=scope, filters=filters)
    ]
    party_labels = dict(Party.choices)
    holds = [
        [
            r["reference"],
            utility_labels.get(r["utility"], r["utility"]),
            r["operator"],
            party_labels[r["party"]],
            _("running") if r["running"] else _("ended"),
            r["held"],
            r["working_days"],
        ]
        for r in kpi_longest_holds(scope=scope, filters=filters)
    ]
    stages = [
        [
            utility_labels.get(r["utility"], r["utility"]),
            status_labels.get(r["stage"], r["stage"]),
            r["n"],
            number(r["median"]),
            number(r["p90"]),
            "" if r["on_time"] is None else r["on_time"],
            rate(r["on_time"], r["n"]),
        ]
        for r in kpi_stages(scope=scope, filters=filters)
    ]
    applications = [
        [
            utility_labels.get(r["utility"], r["utility"]),
            month(r["month"]),
            r["submitted"],
            r["corrected"],
            rate(r["corrected"], r["submitted"]),
            r["escalations_tier_1"] + r["escalations_tier_2"] + r["escalations_tier_3"],
            r["escalations_tier_1"],
            r["escalations_tier_2"],
            r["escalations_tier_3"],
        ]
        for r in kpi_applications(scope=scope, filters=filters)
    ]
    levels = [value for value, _label in RatingLevel.choices]
    counts = kpi_ratings(scope=scope, filters=filters)
    ratings = [
        [utility_labels[u], *[counts[u].get(level, 0) for level in levels], sum(counts[u].values())]
        for u in utility_labels
        if u in counts
    ]
    commitments = [
        [
            utility_labels.get(r["utility"], r["utility"]),
            r["kept"],
            r["kept_on_time"],
            rate(r["kept_on_time"], r["kept"]),
            r["broken"],
        ]
        for r in kpi_commitments(scope=scope, filters=filters)
    ]
    follow_ups = [
        [
            r["workgroup"],
            r["ratings"],
            rate(r["good_before"], r["ratings"]),
            rate(r["good_after"], r["ratings"]),
            r["follow_ups"],
            r["follow_ups_on_time"],
            rate(r["follow_ups_on_time"], r["follow_ups"]),
            r["re_rated"],
        ]
        for r in kpi_follow_ups(scope=scope, filters=filters)
    ]
    demands = [
        [
            r["workgroup"],
            r["received"],
            r["decided"],
            r["on_time"],
            rate(r["on_time"], r["decided"]),
        ]
        for r in kpi_demands(scope=scope, filters=filters)
    ]
    action_items = [
        [
            r["workgroup"],
            r["due"],
            r["on_time"],
            rate(r["on_time"], r["due"]),
            r["done"] - r["on_time"],
            r["overdue"],
        ]
        for r in kpi_action_items(scope=scope, filters=filters)
    ]
    notices = [
        [
            r["operator"],
            month(r["month"]),
            r["notices"],
            r["acknowledged"],
            rate(r["acknowledged"], r["notices"]),
        ]
        for r in kpi_demand_notices(scope=scope, filters=filters)
    ]
    fees = [
        [
            utility_labels.get(r["utility"], r["utility"]),
            r["quoted"],
            r["quoted_cny"],
            r["confirmed"],
            r["paid"],
            rate(r["paid"], r["quoted"]),
            r["paid_cny"],
            r["outstanding_cny"],
        ]
        for r in kpi_fees(scope=scope, filters=filters)
    ]
    return {
        "fees": {
            "title": _("Connection fees per utility: paid against quoted"),
            "note": _(
                "Cases submitted in the period with a fee quote. Paid in full: the payments "
                "the operators reported cover the quote the applicant confirmed."
            ),
            "headers": [
                _("Utility"),
                _("Quotes"),
                _("Quoted (CNY)"),
                _("Confirmed"),
                _("Paid in full"),
                _("Paid in full (%)"),
                _("Paid (CNY)"),
                _("Outstanding (CNY)"),
            ],
            "rows": fees,
        },
        "connections": {
            "text_columns": 2,
            "title": _("Connections per utility and month of connection"),
            "note": _(
                "Each workgroup serves one utility. Steps are what the applicant had to do "
                "(submit, answer a correction, confirm the plan and fee)."
            ),
            "headers": [
                _("Utility"),
                _("Month"),
                _("Connected"),
                _("Working days, median"),
                _("Working days, 90th percentile"),
                _("Calendar days, median"),
                _("Calendar days, 90th percentile"),
                _("Applicant steps, median"),
                _("Counter visits"),
                _("Fee quote, median (CNY)"),
            ],
            "rows": connections,
        },
        "parties": {
            "text_columns": 2,
            "title": _("Whose time it was, per utility and month of connection"),
            "note": _(
                "Working days from submission to connection, split by who held the case: "
                "government (outside-line permits), the utility operator (acceptance, survey, "
                "construction, inspection) and the applicant (corrections, plan and fee "
                "confirmation). Each part's median is taken on its own, so the parts need not "
                "add up to the median whole."
            ),
            "headers": [
                _("Utility"),
                _("Month"),
                _("Connected"),
                _("Government, median working days"),
                _("Operator, median working days"),
                _("Applicant, median working days"),
                _("Government, median share (%)"),
                _("Operator, median share (%)"),
                _("Applicant, median share (%)"),
                _("Procedures, median"),
                _("Fee, median (CNY)"),
            ],
            "rows": parties,
        },
        "holds": {
            "text_columns": 5,
            "title": _("Cases where one party held the time longest"),
            "note": _(
                "Cases connected or ended in the period, or still running, with the most "
                "working days held by a single party: the coordination meeting's agenda of "
                "where the time went. Figures as of the last refresh."
            ),
            "headers": [
                _("Case"),
                _("Utility"),
                _("Operator"),
                _("Held longest by"),
                _("State"),
                _("Working days held"),
                _("Working days in all"),
            ],
            "rows": holds,
        },
        "stages": {
            "text_columns": 2,
            "title": _("Time in each stage and stages left on time"),
            "note": _(
                "Stages left during the period. On time means the case left the stage by the "
                "deadline set when it entered; stages the applicant holds have no deadline."
            ),
            "headers": [
                _("Utility"),
                _("Stage"),
                _("Stages left"),
                _("Working days, median"),
                _("Working days, 90th percentile"),
                _("Left on time"),
                _("On-time rate (%)"),
            ],
            "rows": stages,
        },
        "applications": {
            "text_columns": 2,
            "title": _("Applications per utility and month of submission"),
            "headers": [
                _("Utility"),
                _("Month"),
                _("Submitted"),
                _("Returned for correction"),
                _("Correction rate (%)"),
                _("Escalations"),
                _("Tier 1 (lead agency)"),
                _("Tier 2 (leadership office)"),
                _("Tier 3 (leading group)"),
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
        "commitments": {
            "title": _("Commitments kept and broken, per utility"),
            "note": _(
                "Commitments (承诺制) decided in the period, counted for each utility whose "
                "applications relied on them. Kept: the agency that issues the document verified "
                "it; on time: the document was supplied before the commitment fell due."
            ),
            "headers": [
                _("Utility"),
                _("Kept"),
                _("Kept on time"),
                _("On-time rate (%)"),
                _("Broken"),
            ],
            "rows": commitments,
        },
        "follow_ups": {
            "title": _("Satisfaction before and after follow-up, per workgroup"),
            "note": _(
                "Ratings given in the period. Satisfied: very satisfied, satisfied or basically "
                "satisfied. After follow-up counts the applicant's second rating where they gave "
                "one after a dissatisfied rating was followed up, else the first. On time: "
                "the cause and the fix were recorded within 15 working days of the rating."
            ),
            "headers": [
                _("Workgroup"),
                _("Ratings"),
                _("Satisfied before follow-up (%)"),
                _("Satisfied after follow-up (%)"),
                _("Follow-ups"),
                _("Answered on time"),
                _("On-time rate (%)"),
                _("Rated again"),
            ],
            "rows": follow_ups,
        },
        "demands": {
            "title": _("Demands answered on time, per workgroup"),
            "note": _(
                "Demands and suggestions received in the period. The on-time rate is over those "
                "answered or past the answer deadline of 5 working days from receipt (as of "
                "the last refresh). On time: the first answer came by that deadline."
            ),
            "headers": [
                _("Workgroup"),
                _("Received"),
                _("Answered or past the deadline"),
                _("Answered on time"),
                _("On-time rate (%)"),
            ],
            "rows": demands,
        },
        "action_items": {
            "title": _("Meeting action items on time, per workgroup"),
            "note": _(
                "Action items of coordination meetings due in the period (by their due working "
                "day) that are done or past that day; dropped items do not count. On time: "
                "marked done by the end of the due working day."
            ),
            "headers": [
                _("Workgroup"),
                _("Action items due"),
                _("Done on time"),
                _("On-time rate (%)"),
                _("Done late"),
                _("Still open, overdue"),
            ],
            "rows": action_items,
        },
        "notices": {
            "text_columns": 2,
            "title": _("Early demand notices per operator and month"),
            "note": _(
                "Acknowledged within one working day: by the end of the working day after the "
                "notice was sent."
            ),
            "headers": [
                _("Operator"),
                _("Month"),
                _("Notices"),
                _("Acknowledged within 1 working day"),
                _("Rate (%)"),
            ],
            "rows": notices,
        },
    }


def _joint_works_tables(scope, filters: KpiFilter) -> dict[str, dict]:
    """Joint works (联合施工): trenches avoided and plans dug within their window, per month."""
    rows = [
        [
            month(r["month"]),
            r["plans"],
            r["on_time"],
            rate(r["on_time"], r["plans"]),
            r["trenches_avoided"],
        ]
        for r in kpi_joint_works(scope=scope, filters=filters)
    ]
    return {
        "joint_works": {
            "text_columns": 1,
            "title": _("Joint works: trenches avoided and plans on time, per month"),
            "note": _(
                "Joint works plans backfilled in the month. Trenches avoided: the utilities that "
                "laid their conduit in a shared trench instead of digging their own (each "
                "plan's participants less one). On time: excavation started no earlier and the "
                "trench was backfilled no later than the window every operator confirmed."
            ),
            "headers": [
                _("Month"),
                _("Joint plans backfilled"),
                _("Within their window"),
                _("On-time rate (%)"),
                _("Trenches avoided"),
            ],
            "rows": rows,
        }
    }


def _charts(scope, filters: KpiFilter, tables: dict) -> dict:
    """Chart data from the page's own figures (the tables stay the data source)."""
    months, day = [], filters.first
    while day <= filters.last:  # every month of the period: a gap shows as a break
        months.append(month(day))
        day = (day + dt.timedelta(days=31)).replace(day=1)
    series: dict[str, dict[str, float | None]] = {}
    for row in tables["connections"]["rows"]:
        series.setdefault(row[0], {})[row[1]] = float(row[3]) if row[3] else None
    status_labels = dict(ServiceStatus.choices)
    on_time = [
        (status_labels[r["stage"]], 100 * r["on_time"] / r["n"])
        for r in kpi_stages(scope=scope, filters=filters, by_utility=False)
        if r["on_time"] is not None and r["n"]
    ]
    return {
        "months": months,
        "series": [
            (name, [series[name].get(m) for m in months])
            for _value, name in Utility.choices
            if name in series
        ],
        "on_time": on_time,
    }


def unavailable_context() -> dict | None:
    """On the embedded SQLite database, what both indicator pages show instead of their
    tables, charts and downloads (the same page, whatever was asked): a notice."""
    if indicators_available():
        return None
    return {"indicators_unavailable": INDICATORS_UNAVAILABLE}


def page_context(
    request: HttpRequest, form: PeriodForm, filters: KpiFilter | None, workgroups: list
) -> dict:
    """What both indicator pages show above their tables: the filter form (as typed, with
    its errors, when the period is refused) and the date of the figures."""
    query = request.GET.copy()
    for key in ("csv", "xlsx"):
        query.pop(key, None)
    if filters is None:
        return {
            "period_errors": form.errors,
            "workgroups": workgroups,
            "period_from": form["from"].value() or "",
            "period_to": form["to"].value() or "",
        }
    return {
        "filters": filters,
        "workgroups": workgroups,
        "period_from": month(filters.first),
        "period_to": month(filters.last),
        "as_of": kpi_as_of(),
        "query": query.urlencode(),
    }


def indicator_page(
    request: HttpRequest,
    *,
    template: str,
    section: str,
    prefix: str,
    build: Callable[[object, KpiFilter], tuple[dict[str, dict], dict]],
) -> HttpResponse:
    """What the indicator pages share: the notice when figures cannot be computed here, the
    filters, a table download when one is asked for, else the page. `build` returns the
    page's tables (by name) and any further template context."""
    scope = request.staff_scope
    context = {"staff_section": section, "read_only": scope.oversight}
    unavailable = unavailable_context()
    if unavailable is not None:
        return render(request, template, {**unavailable, **context})
    form, filters, workgroups = filters_from(request)
    if filters is None:
        # The figures of another period than the one asked for would mislead: only the form.
        page = page_context(request, form, filters, workgroups)
        return render(request, template, {**page, **context, "error_links": error_summary(form)})
    tables, extra = build(scope, filters)
    download = requested_download(request, tables, prefix=prefix)
    if download is not None:
        return download
    return render(
        request,
        template,
        {**page_context(request, form, filters, workgroups), **extra, **context},
    )


def notice_awareness_for(scope) -> list:
    """Awareness of the policy notices per workgroup: every workgroup for the oversight
    bodies, otherwise the workgroups the caller leads (none: the block is not shown)."""
    rows = awareness_by_workgroup()
    if scope.oversight:
        return rows
    return [r for r in rows if r.workgroup.pk in scope.lead_workgroup_ids]


@require_GET
@staff_required
def kpi(request: HttpRequest) -> HttpResponse:
    def build(scope, filters: KpiFilter) -> tuple[dict[str, dict], dict]:
        tables = {**_kpi_tables(scope, filters), **_joint_works_tables(scope, filters)}
        return tables, {
            "tables": tables,
            "charts": _charts(scope, filters, tables),
            # Policy notices: a separate block (not a period table).
            "notice_awareness": notice_awareness_for(scope),
            # China's business environment evaluation next to the city's figures of the period.
            "evaluation": compare(evaluation_city_figures(filters=filters)),
        }

    return indicator_page(
        request, template="indicators/kpi.html", section="kpi", prefix="kpi", build=build
    )
