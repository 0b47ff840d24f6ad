"""World Bank style indicators (DOMAIN), computed by SQL aggregation over the rollup that
`services.rollup.kpi_rollup_refresh` rebuilds, scoped by the caller first.

Every function runs a fixed number of queries whatever the number of cases: medians and 90th
percentiles come from the rollup's exact distributions (interpolated like percentile_cont),
counts from its tallies. Leadership bodies see everything, lead agencies their workgroups'
cases and their operators' demand notices, operators their own; the public transparency page
sees every case, aggregated per utility, through the same queries.

The SQL is PostgreSQL's (arrays, FILTER, window functions): on the embedded SQLite demo
database `indicators_available()` is false, and every page says so instead of computing.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from applications.constants import CLOCKED_STATES, Party, Utility
from applications.models import BAD_RATINGS, RatingLevel, ServiceApplication
from applications.selectors.common import ZERO, with_fees
from applications.selectors.staff import StaffScope
from workgroups.constants import OrganizationKind, WorkgroupRole
from workgroups.models import Organization, Workgroup

from ..models import CaseClockRow, KpiRefresh
from ..services.case_clocks import PARTY_MEASURES, SHARE_MEASURES
from ..services.rollup import MEASURED_STAGES

RATING_MEASURES = [f"rating:{level}" for level, _label in RatingLevel.choices]
# The same ratings after follow-up (the second rating where one was given).
FINAL_RATING_MEASURES = [f"rating_final:{level}" for level, _label in RatingLevel.choices]
GOOD_FINAL_RATING_MEASURES = [
    f"rating_final:{lv}" for lv, _ in RatingLevel.choices if lv not in BAD_RATINGS
]
GOOD_RATING_MEASURES = [f"rating:{lv}" for lv, _ in RatingLevel.choices if lv not in BAD_RATINGS]
STAGE_MEASURES = [f"stage:{s}" for s in MEASURED_STAGES]
CLOCKED_STAGE_MEASURES = [f"stage:{s}" for s in MEASURED_STAGES if s in CLOCKED_STATES]
ESCALATION_MEASURES = ["escalations_tier_1", "escalations_tier_2", "escalations_tier_3"]
# Utilities in the policy's order (electricity, water, gas, network, cable TV).
UTILITY_ORDER = {value: i for i, (value, _label) in enumerate(Utility.choices)}
# What every indicators page (staff, downloads, public) shows instead of figures on SQLite.
INDICATORS_UNAVAILABLE = gettext_lazy(
    "Indicators are computed by PostgreSQL; this installation runs on the embedded SQLite "
    "demo database. Set DATABASE_URL to a PostgreSQL database to see them."
)
# What the public transparency page says instead (the reason is for operators:
# docs/operations.md, "Indicators need PostgreSQL").
PUBLIC_INDICATORS_UNAVAILABLE = gettext_lazy(
    "The figures are not published on this site yet. The service standards below apply."
)
# The public page's figures are over every case: the oversight scope, aggregated per utility.
PUBLIC_SCOPE = StaffScope(oversight=True)


def indicators_available() -> bool:
    """Whether this database can compute the indicators (rollup refresh and every figure):
    PostgreSQL only; the embedded SQLite demo database cannot."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class KpiFilter:
    """Months covered (first day of the first and of the last month, both included) and,
    optionally, the one workgroup to look at (within the caller's scope)."""

    first: dt.date
    last: dt.date
    workgroup_id: int | None = None

    @classmethod
    def last_months(cls, today: dt.date, months: int = 12) -> "KpiFilter":
        last = today.replace(day=1)
        index = last.year * 12 + last.month - 1 - (months - 1)
        return cls(first=dt.date(index // 12, index % 12 + 1, 1), last=last)


# Rows the caller may see: their workgroups' and operators' cases; for demand notices
# (no workgroup), also the notices of the operators serving a workgroup they lead.
_SCOPE = """(%(all)s OR workgroup_id = ANY(%(workgroups)s) OR operator_id = ANY(%(operators)s)
    OR (workgroup_id IS NULL AND operator_id IN (
        SELECT organization_id FROM workgroups_workgroupmembership
        WHERE role = %(operator_role)s AND workgroup_id = ANY(%(workgroups)s))))
    AND month BETWEEN %(first)s AND %(last)s AND measure = ANY(%(measures)s)
    AND (%(workgroup)s::integer IS NULL OR workgroup_id = %(workgroup)s
         OR (workgroup_id IS NULL AND operator_id IN (
             SELECT organization_id FROM workgroups_workgroupmembership
             WHERE role = %(operator_role)s AND workgroup_id = %(workgroup)s)))"""

# Column lists are chosen from these constants only, never from the request.
_KEYS = {
    "utility_month": "utility, month, ",
    "utility": "utility, ",
    "workgroup": "workgroup_id, ",
    "measure": "",
    "operator": "operator_id, ",
    "operator_month": "operator_id, month, ",
    "month": "month, ",
}

_DISTRIBUTION = """
WITH h AS (
    SELECT {k}measure, value, sum(n) AS n, sum(on_time) AS on_time
    FROM applications_kpirollup WHERE value IS NOT NULL AND {scope}
    GROUP BY {k}measure, value
), c AS (
    SELECT h.*, sum(n) OVER (PARTITION BY {k}measure ORDER BY value) AS cum,
           sum(n) OVER (PARTITION BY {k}measure) AS total
    FROM h
), q AS (
    SELECT {k}measure, max(total) AS total, sum(on_time) AS on_time,
           max((total - 1) * 0.5) AS h50, max((total - 1) * 0.9) AS h90,
           min(value) FILTER (WHERE cum > floor((total - 1) * 0.5)) AS lo50,
           min(value) FILTER (WHERE cum > ceil((total - 1) * 0.5)) AS hi50,
           min(value) FILTER (WHERE cum > floor((total - 1) * 0.9)) AS lo90,
           min(value) FILTER (WHERE cum > ceil((total - 1) * 0.9)) AS hi90,
           sum(value * n) / max(total) AS mean
    FROM c GROUP BY {k}measure
)
SELECT {k}measure, total::integer AS n, on_time::integer AS on_time, mean::float AS mean,
       (lo50 + (h50 - floor(h50)) * (hi50 - lo50))::float AS median,
       (lo90 + (h90 - floor(h90)) * (hi90 - lo90))::float AS p90
FROM q ORDER BY {k}measure
"""

_TALLY = """
SELECT {k}measure, sum(n)::integer AS n, sum(on_time)::integer AS on_time
FROM applications_kpirollup WHERE {scope}
GROUP BY {k}measure ORDER BY {k}measure
"""


def _params(scope: StaffScope, filters: KpiFilter, measures: list[str]) -> dict:
    return {
        "all": scope.oversight,
        "workgroups": sorted(scope.lead_workgroup_ids),
        "operators": sorted(scope.operator_ids),
        "operator_role": WorkgroupRole.OPERATOR,
        "first": filters.first,
        "last": filters.last,
        "measures": measures,
        "workgroup": filters.workgroup_id,
    }


def _query(template: str, keys: str, scope, filters, measures) -> list[dict]:
    if not scope.is_staff or not indicators_available():
        return []
    sql = template.format(k=_KEYS[keys], scope=_SCOPE)
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(scope, filters, measures))
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _distribution(keys: str, *, scope, filters, measures) -> list[dict]:
    """Per key and measure: cases counted, left on time, mean, median and 90th percentile."""
    return _query(_DISTRIBUTION, keys, scope, filters, measures)


def _tally(keys: str, *, scope, filters, measures) -> list[dict]:
    """Per key and measure: summed counts."""
    return _query(_TALLY, keys, scope, filters, measures)


def _pivot(rows: list[dict], key: tuple[str, ...]) -> dict[tuple, dict[str, dict]]:
    """{key values: {measure: row}} of already aggregated rows."""
    out: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        out.setdefault(tuple(row[k] for k in key), {})[row["measure"]] = row
    return out


def _total(row: dict | None) -> int:
    """The sum of a distribution (its mean times its count), e.g. counter visits."""
    return round(row["mean"] * row["n"]) if row else 0


def _month_after(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def kpi_fees(*, filters: KpiFilter, scope: StaffScope | None = None) -> list[dict]:
    """Per utility, the connection fees of the cases submitted in the period: quoted (count
    and sum), confirmed by the applicant, paid in full (count) and paid (sum of the payments),
    outstanding. One SQL query over the cases and their payments; `scope` None is the public
    view of every case (counts and sums only)."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(filters.first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(_month_after(filters.last), dt.time.min, tzinfo=zone)
    cases = ServiceApplication.objects.filter(
        fee_quote_cny__isnull=False, submitted_at__gte=start, submitted_at__lt=end
    )
    if scope is not None:
        if not scope.is_staff:
            return []
        if not scope.oversight:
            cases = cases.filter(
                Q(workgroup_id__in=sorted(scope.lead_workgroup_ids))
                | Q(operator_id__in=sorted(scope.operator_ids))
            )
    if filters.workgroup_id is not None:
        cases = cases.filter(workgroup_id=filters.workgroup_id)
    money = DecimalField(max_digits=16, decimal_places=2)
    settled = Q(fee_paid_cny__gte=F("fee_quote_cny"), fee_confirmed_at__isnull=False)
    rows = (
        with_fees(cases)
        .order_by()
        .values("utility")
        .annotate(
            quoted=Count("pk"),
            quoted_cny=Coalesce(Sum("fee_quote_cny"), ZERO, output_field=money),
            confirmed=Count("pk", filter=Q(fee_confirmed_at__isnull=False)),
            paid=Count("pk", filter=settled),
            paid_cny=Coalesce(Sum("fee_paid_cny"), ZERO, output_field=money),
            payments=Coalesce(Sum("fee_payment_count"), 0),
        )
    )
    by_utility = {row["utility"]: row for row in rows}
    out = []
    for utility in Utility.values:
        row = by_utility.get(utility)
        if row is None:
            continue
        outstanding = max(row["quoted_cny"] - row["paid_cny"], ZERO)
        out.append({**row, "outstanding_cny": outstanding})
    return out


def kpi_workgroups(*, scope: StaffScope) -> list[tuple[int, str]]:
    """Workgroups the caller may narrow the indicators to: all for the leadership bodies and
    operators (an operator's figures are its own in any case), the led ones for lead agencies."""
    qs = Workgroup.objects.order_by("id")
    if not (scope.oversight or scope.operator_ids):
        qs = qs.filter(pk__in=sorted(scope.lead_workgroup_ids))
    return list(qs.values_list("pk", "name_zh"))


def kpi_as_of() -> dt.datetime | None:
    """When the figures were last rebuilt."""
    refresh = KpiRefresh.objects.order_by("-refreshed_at").first()
    return refresh.refreshed_at if refresh else None


def kpi_connections(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """Per utility (each workgroup serves one) and month of connection: connected, median and
    90th percentile working days (the applicant's time excluded, as on the clock) and calendar
    days from submission to connection, median applicant-facing steps, counter visits staff
    recorded (0 by design: every step is online) and median fee quote."""
    measures = ["working_days", "calendar_days", "steps", "fee", "visits"]
    rows = _distribution("utility_month", scope=scope, filters=filters, measures=measures)
    out = []
    for (utility, month), m in _pivot(rows, ("utility", "month")).items():
        if "working_days" not in m:
            continue
        out.append(
            {
                "utility": utility,
                "month": month,
                "connected": m["working_days"]["n"],
                "working_days_median": m["working_days"]["median"],
                "working_days_p90": m["working_days"]["p90"],
                "calendar_days_median": m["calendar_days"]["median"],
                "calendar_days_p90": m["calendar_days"]["p90"],
                "steps_median": m["steps"]["median"],
                "counter_visits": _total(m.get("visits")),
                "fee_median": m["fee"]["median"] if "fee" in m else None,
            }
        )
    out.sort(key=lambda r: (-r["month"].toordinal(), UTILITY_ORDER.get(r["utility"], 99)))
    return out


def kpi_party_shares(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """Whose time it was, per utility and month of connection: the median working days and
    the median share of the whole that government, the operator and the applicant held a
    connected case, with the median procedures and fee. Medians of each part separately:
    they need not add up to the median whole."""
    measures = [*PARTY_MEASURES, *SHARE_MEASURES, "working_days", "steps", "fee"]
    rows = _distribution("utility_month", scope=scope, filters=filters, measures=measures)
    out = []
    for (utility, month), m in _pivot(rows, ("utility", "month")).items():
        if "party:operator" not in m:
            continue

        def median(measure: str, m=m) -> float | None:
            return m[measure]["median"] if measure in m else None

        out.append(
            {
                "utility": utility,
                "month": month,
                "connected": m["party:operator"]["n"],
                "days": {p: median(f"party:{p}") for p in Party.values},
                "share": {p: median(f"share:{p}") for p in Party.values},
                "steps_median": median("steps"),
                "fee_median": median("fee"),
            }
        )
    out.sort(key=lambda r: (-r["month"].toordinal(), UTILITY_ORDER.get(r["utility"], 99)))
    return out


def kpi_stages(*, scope: StaffScope, filters: KpiFilter, by_utility: bool = True) -> list[dict]:
    """Per utility (or over all the caller sees) and stage left in the period: stages left,
    median and 90th percentile working days in the stage, and how many left by the deadline
    stamped on entry (stages the applicant holds have no deadline: `on_time` is None)."""
    keys = "utility" if by_utility else "measure"
    rows = _distribution(keys, scope=scope, filters=filters, measures=STAGE_MEASURES)
    order = {m: i for i, m in enumerate(STAGE_MEASURES)}
    rows.sort(key=lambda r: (UTILITY_ORDER.get(r.get("utility") or "", 99), order[r["measure"]]))
    for row in rows:
        row["stage"] = row.pop("measure").removeprefix("stage:")
        if f"stage:{row['stage']}" not in CLOCKED_STAGE_MEASURES:
            row["on_time"] = None
    return rows


def kpi_applications(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """Per utility and month of submission: submitted, returned for correction (补正) at least
    once, and escalations by the tier they reached."""
    measures = ["submitted", "corrected", *ESCALATION_MEASURES]
    rows = _tally("utility_month", scope=scope, filters=filters, measures=measures)
    out = []
    for (utility, month), m in _pivot(rows, ("utility", "month")).items():
        count = {name: m[name]["n"] if name in m else 0 for name in measures}
        out.append({"utility": utility, "month": month, **count})
    out.sort(key=lambda r: (-r["month"].toordinal(), UTILITY_ORDER.get(r["utility"], 99)))
    return out


def kpi_ratings(*, scope: StaffScope, filters: KpiFilter) -> dict[str, dict[str, int]]:
    """Satisfaction (好差评): {utility: {level: ratings given in the period}}."""
    rows = _tally("utility", scope=scope, filters=filters, measures=RATING_MEASURES)
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        out.setdefault(row["utility"], {})[row["measure"].removeprefix("rating:")] = row["n"]
    return out


COMMITMENT_MEASURES = ["commitments_kept", "commitments_broken"]


def kpi_commitments(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """Commitments (承诺制) decided in the period, per utility whose applications relied on
    them: kept (document verified), kept on time (supplied before it fell due), broken."""
    pivot = _pivot(
        _tally("utility", scope=scope, filters=filters, measures=COMMITMENT_MEASURES),
        ("utility",),
    )
    out = []
    for utility in Utility.values:
        m = pivot.get((utility,))
        if not m:
            continue
        kept = m.get("commitments_kept", {})
        out.append(
            {
                "utility": utility,
                "kept": kept.get("n", 0),
                "kept_on_time": kept.get("on_time", 0),
                "broken": m.get("commitments_broken", {}).get("n", 0),
            }
        )
    return out


def kpi_follow_ups(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """Per workgroup, over the ratings given in the period: satisfied ratings (the three good
    levels) before follow-up (the first rating) and after it (the second rating where the
    applicant gave one after the follow-up, else the first); follow-ups opened, answered by
    their deadline, and rated again."""
    measures = [
        *RATING_MEASURES,
        *FINAL_RATING_MEASURES,
        "follow_ups",
        "follow_ups_re_rated",
    ]
    pivot = _pivot(
        _tally("workgroup", scope=scope, filters=filters, measures=measures), ("workgroup_id",)
    )
    names = dict(
        Workgroup.objects.filter(pk__in=[k[0] for k in pivot]).values_list("pk", "name_zh")
    )
    out = []
    for (workgroup_id,), m in sorted(pivot.items(), key=lambda kv: kv[0][0] or 0):

        def n(*names: str, field: str = "n", m=m) -> int:
            return sum(m[x][field] for x in names if x in m)

        ratings = n(*RATING_MEASURES)
        if not ratings:
            continue
        out.append(
            {
                "workgroup_id": workgroup_id,
                "workgroup": names.get(workgroup_id, ""),
                "ratings": ratings,
                "good_before": n(*GOOD_RATING_MEASURES),
                "good_after": n(*GOOD_FINAL_RATING_MEASURES),
                "follow_ups": n("follow_ups"),
                "follow_ups_on_time": n("follow_ups", field="on_time"),
                "re_rated": n("follow_ups_re_rated"),
            }
        )
    return out


def kpi_demands(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """Per workgroup, over the demands and suggestions received in the period: received,
    decided (answered, or past the answer deadline stamped at receipt), answered on time
    (the first answer by that deadline) and the share on time of those decided, as the
    monthly demand analysis counts them; one query over the rollup."""
    pivot = _pivot(
        _tally("workgroup", scope=scope, filters=filters, measures=["demands", "demands_decided"]),
        ("workgroup_id",),
    )
    names = dict(
        Workgroup.objects.filter(pk__in=[k[0] for k in pivot]).values_list("pk", "name_zh")
    )
    out = []
    for (workgroup_id,), m in sorted(pivot.items(), key=lambda kv: kv[0][0] or 0):
        received = m["demands"]["n"] if "demands" in m else 0
        decided = m["demands_decided"]["n"] if "demands_decided" in m else 0
        on_time = m["demands"]["on_time"] if "demands" in m else 0
        out.append(
            {
                "workgroup_id": workgroup_id,
                "workgroup": names.get(workgroup_id, ""),
                "received": received,
                "decided": decided,
                "on_time": on_time,
                "share_on_time": on_time / decided if decided else None,
            }
        )
    return out


def kpi_action_items(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """Per workgroup, over the meetings' action items due in the period (dropped ones aside)
    that are done or past their due working day: how many were done by that day, done at all,
    and are still open past it."""
    measures = ["action_items", "action_items_done", "action_items_overdue"]
    pivot = _pivot(
        _tally("workgroup", scope=scope, filters=filters, measures=measures), ("workgroup_id",)
    )
    names = dict(
        Workgroup.objects.filter(pk__in=[k[0] for k in pivot]).values_list("pk", "name_zh")
    )
    out = []
    for (workgroup_id,), m in sorted(pivot.items(), key=lambda kv: kv[0][0] or 0):
        due = m.get("action_items")
        if not due:
            continue
        out.append(
            {
                "workgroup_id": workgroup_id,
                "workgroup": names.get(workgroup_id, ""),
                "due": due["n"],
                "on_time": due["on_time"],
                "done": m["action_items_done"]["n"] if "action_items_done" in m else 0,
                "overdue": m["action_items_overdue"]["n"] if "action_items_overdue" in m else 0,
            }
        )
    return out


def _operator_names(ids) -> dict[int, str]:
    return dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name_zh"))


def kpi_demand_notices(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """Per operator and month sent: early demand notices (关口前移) and how many the operator
    acknowledged within one working day."""
    measures = ["notices", "notices_ack_1wd"]
    rows = _tally("operator_month", scope=scope, filters=filters, measures=measures)
    pivot = _pivot(rows, ("operator_id", "month"))
    names = _operator_names({op for op, _month in pivot})
    out = [
        {
            "operator": names.get(op, ""),
            "month": month,
            "notices": m["notices"]["n"],
            "acknowledged": m["notices_ack_1wd"]["n"] if "notices_ack_1wd" in m else 0,
        }
        for (op, month), m in pivot.items()
        if "notices" in m
    ]
    out.sort(key=lambda r: (-r["month"].toordinal(), r["operator"]))
    return out


def _scorecard_operators(scope: StaffScope, filters: KpiFilter) -> list[tuple[int, str]]:
    """Operators the caller compares: all for the leadership bodies, those serving a workgroup
    they lead for lead agencies, their own for operators; of one workgroup if asked."""
    qs = Organization.objects.filter(kind=OrganizationKind.OPERATOR, is_active=True)
    if filters.workgroup_id is not None:
        qs = qs.filter(
            workgroup_memberships__workgroup_id=filters.workgroup_id,
            workgroup_memberships__role=WorkgroupRole.OPERATOR,
        )
    if not scope.oversight:
        qs = qs.filter(pk__in=sorted(scope.operator_ids)) | qs.filter(
            workgroup_memberships__workgroup_id__in=sorted(scope.lead_workgroup_ids),
            workgroup_memberships__role=WorkgroupRole.OPERATOR,
        )
    return list(qs.distinct().order_by("code").values_list("pk", "name_zh"))


def kpi_scorecards(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """One row per operator the caller may compare, the same indicators side by side. Lead
    agencies see each operator's figures within their workgroups only (demand notices are the
    operator's own, they carry no workgroup)."""
    if not scope.is_staff:
        return []
    operators = _scorecard_operators(scope, filters)
    days = {
        r["operator_id"]: r
        for r in _distribution("operator", scope=scope, filters=filters, measures=["working_days"])
    }
    measures = [
        "submitted",
        "corrected",
        *ESCALATION_MEASURES,
        *RATING_MEASURES,
        "notices",
        "notices_ack_1wd",
        *CLOCKED_STAGE_MEASURES,
    ]
    tally = _pivot(
        _tally("operator", scope=scope, filters=filters, measures=measures), ("operator_id",)
    )
    out = []
    for pk, name in operators:
        m = tally.get((pk,), {})

        def n(*names: str, m=m) -> int:
            return sum(m[x]["n"] for x in names if x in m)

        stages_on_time = sum(m[x]["on_time"] for x in CLOCKED_STAGE_MEASURES if x in m)
        d = days.get(pk, {})
        out.append(
            {
                "operator_id": pk,
                "operator": name,
                "connected": d.get("n", 0),
                "working_days_median": d.get("median"),
                "working_days_p90": d.get("p90"),
                "stages_left": n(*CLOCKED_STAGE_MEASURES),
                "stages_on_time": stages_on_time,
                "submitted": n("submitted"),
                "corrected": n("corrected"),
                "escalations": n(*ESCALATION_MEASURES),
                "ratings": n(*RATING_MEASURES),
                "ratings_good": n(*GOOD_RATING_MEASURES),
                "notices": n("notices"),
                "notices_acknowledged": n("notices_ack_1wd"),
            }
        )
    return out


def kpi_public(*, filters: KpiFilter) -> dict[str, dict]:
    """The public transparency page's figures per utility, over every case, with the staff
    dashboard's definitions: connections by month of connection with their mean and median
    working days, median fee quote, median applicant steps and median working days held by
    each party; the share of clocked stages
    left on time (as on the scorecards); the share of satisfied ratings. Two queries."""
    days = _pivot(
        _distribution(
            "utility",
            scope=PUBLIC_SCOPE,
            filters=filters,
            measures=["working_days", "fee", "steps", "visits", *PARTY_MEASURES],
        ),
        ("utility",),
    )
    tally = _pivot(
        _tally(
            "utility",
            scope=PUBLIC_SCOPE,
            filters=filters,
            measures=[*CLOCKED_STAGE_MEASURES, *RATING_MEASURES, *COMMITMENT_MEASURES],
        ),
        ("utility",),
    )
    out = {}
    for utility in Utility.values:
        d, m = days.get((utility,), {}), tally.get((utility,), {})

        def total(names: list[str], field: str = "n", m=m) -> int:
            return sum(m[x][field] for x in names if x in m)

        out[utility] = {
            "connections": d["working_days"]["n"] if "working_days" in d else 0,
            "working_days_avg": d["working_days"]["mean"] if "working_days" in d else None,
            "working_days_median": d["working_days"]["median"] if "working_days" in d else None,
            "fee_median": d["fee"]["median"] if "fee" in d else None,
            "steps_median": d["steps"]["median"] if "steps" in d else None,
            "party_days_median": {
                p: d[f"party:{p}"]["median"] if f"party:{p}" in d else None for p in Party.values
            },
            "stages_left": total(CLOCKED_STAGE_MEASURES),
            "stages_on_time": total(CLOCKED_STAGE_MEASURES, "on_time"),
            "ratings": total(RATING_MEASURES),
            "ratings_good": total(GOOD_RATING_MEASURES),
            "commitments_kept": total(["commitments_kept"]),
            "commitments_kept_on_time": total(["commitments_kept"], "on_time"),
            "commitments_broken": total(["commitments_broken"]),
            # Every step is online: a visit to a counter is counted only if staff record one.
            "counter_visits": _total(d.get("visits")),
        }
    return out


def kpi_longest_holds(*, scope: StaffScope, filters: KpiFilter, limit: int = 20) -> list[dict]:
    """The cases of the period (connected or ended in it, or still running) in which one
    party held the case longest, longest first: the coordination meeting's list of where the
    time went. One query; figures as of the last refresh."""
    if not scope.is_staff or not indicators_available():
        return []
    rows = CaseClockRow.objects.all()
    if not scope.oversight:
        rows = rows.filter(
            Q(workgroup_id__in=sorted(scope.lead_workgroup_ids))
            | Q(operator_id__in=sorted(scope.operator_ids))
        )
    if filters.workgroup_id is not None:
        rows = rows.filter(workgroup_id=filters.workgroup_id)
    after = _month_start(filters.first)
    before = _month_start((filters.last + dt.timedelta(days=31)).replace(day=1))
    rows = rows.filter(Q(running=True) | Q(ended_at__gte=after, ended_at__lt=before))
    held = Greatest("government_days", "operator_days", "applicant_days")
    rows = (
        rows.filter(working_days__gt=0)
        .annotate(
            held=held,
            party=Case(
                When(operator_days=held, then=Value(Party.OPERATOR.value)),
                When(government_days=held, then=Value(Party.GOVERNMENT.value)),
                default=Value(Party.APPLICANT.value),
            ),
            reference=Subquery(
                ServiceApplication.objects.filter(pk=OuterRef("service_application_id")).values(
                    "combined__reference"
                )[:1]
            ),
            operator_name=Subquery(
                Organization.objects.filter(pk=OuterRef("operator_id")).values("name_zh")[:1]
            ),
        )
        .order_by("-held", "-working_days", "service_application_id")[:limit]
    )
    return [
        {
            "reference": r.reference,
            "utility": r.utility,
            "operator": r.operator_name,
            "party": r.party,
            "held": r.held,
            "working_days": r.working_days,
            "running": r.running,
        }
        for r in rows
    ]


def _month_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), timezone.get_current_timezone())


# --- Joint works (联合施工): trenches avoided and plans on time --------------------------------

JOINT_WORKS_MEASURES = ["joint_plans", "trenches_avoided"]


def kpi_joint_works(*, scope: StaffScope, filters: KpiFilter) -> list[dict]:
    """Per month of backfill, over the joint works plans the caller sees: plans backfilled,
    of them dug within their agreed window, and trenches avoided (the utilities that laid
    their conduit in another's trench instead of digging their own: participants - 1 per
    plan). One query over the rollup."""
    rows = _tally("month", scope=scope, filters=filters, measures=JOINT_WORKS_MEASURES)
    out = []
    for (month,), m in _pivot(rows, ("month",)).items():
        plans = m.get("joint_plans")
        out.append(
            {
                "month": month,
                "plans": plans["n"] if plans else 0,
                "on_time": plans["on_time"] if plans else 0,
                "trenches_avoided": m["trenches_avoided"]["n"] if "trenches_avoided" in m else 0,
            }
        )
    out.sort(key=lambda r: -r["month"].toordinal())
    return out


def kpi_public_joint_works(*, filters: KpiFilter) -> dict[str, int]:
    """The public page's joint works figures over the period, city-wide: plans backfilled,
    dug within their window, trenches avoided. One query."""
    rows = _tally("measure", scope=PUBLIC_SCOPE, filters=filters, measures=JOINT_WORKS_MEASURES)
    m = {row["measure"]: row for row in rows}
    plans = m.get("joint_plans")
    return {
        "plans": plans["n"] if plans else 0,
        "on_time": plans["on_time"] if plans else 0,
        "trenches_avoided": m["trenches_avoided"]["n"] if "trenches_avoided" in m else 0,
    }
