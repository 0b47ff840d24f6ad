"""The indicators dashboard (World Bank style) and its CSV export."""

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ...constants import (
    Utility,
)
from ...models import RatingLevel
from ...selectors_kpi import kpi_applications, kpi_connections, kpi_ratings
from .common import staff_required


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
