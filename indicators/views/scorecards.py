"""Operator scorecards: the same indicators side by side, one row per operator."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications.views.staff.common import staff_required

from ..selectors.kpi import kpi_scorecards
from .kpi import indicator_page, number, rate
from .training_block import training_table


def _scorecard_table(scope, filters) -> dict:
    rows = [
        [
            r["operator"],
            r["connected"],
            number(r["working_days_median"]),
            number(r["working_days_p90"]),
            rate(r["stages_on_time"], r["stages_left"]),
            r["submitted"],
            rate(r["corrected"], r["submitted"]),
            r["escalations"],
            r["ratings"],
            rate(r["ratings_good"], r["ratings"]),
            r["notices"],
            rate(r["notices_acknowledged"], r["notices"]),
        ]
        for r in kpi_scorecards(scope=scope, filters=filters)
    ]
    return {
        "title": _("Operator scorecards"),
        "headers": [
            _("Operator"),
            _("Connected"),
            _("Working days, median"),
            _("Working days, 90th percentile"),
            _("Stages left on time (%)"),
            _("Submitted"),
            _("Correction rate (%)"),
            _("Escalations"),
            _("Ratings"),
            _("Satisfied (%)"),
            _("Demand notices"),
            _("Acknowledged within 1 working day (%)"),
        ],
        "rows": rows,
    }


@require_GET
@staff_required
def scorecards(request: HttpRequest) -> HttpResponse:
    def build(scope, filters) -> tuple[dict[str, dict], dict]:
        table = _scorecard_table(scope, filters)
        training = training_table(filters)
        return {"scorecards": table, "training": training}, {"table": table, "training": training}

    return indicator_page(
        request,
        template="indicators/scorecards.html",
        section="scorecards",
        prefix="operators",
        build=build,
    )
