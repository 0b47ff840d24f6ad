"""The public transparency page's figures: per utility, what connecting took over the last
12 months and the standards the workgroups publish (B-READY Utility Services, pillars II and
III). Counts and medians only, never a name: nothing here can identify an applicant.

Four aggregate queries whatever the number of applications, cached for a few minutes.
"""

import datetime as dt

import chinese_calendar
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from workgroups.models import SlaPolicy

from .constants import Utility
from .models import APPLICANT_PERM, BAD_RATINGS, TRANSITION_PERMISSIONS, Rating
from .registry import UTILITIES

# What the applicant has to do (B-READY "procedures"): file, answer a correction, confirm the
# plan and fee. Everything else is the operator's or an agency's work.
APPLICANT_STEPS = sorted(
    name
    for name, perm in TRANSITION_PERMISSIONS.items()
    if perm == APPLICANT_PERM and name != "withdraw"
)
CACHE_KEY = "public-transparency:v1"
CACHE_SECONDS = 300
WINDOW = dt.timedelta(days=365)

_CONNECTIONS_SQL = """
WITH sa AS (
    SELECT s.utility, s.fee_quote_cny, s.paused_working_days,
           (SELECT count(*) FROM applications_statechange c
            WHERE c.service_application_id = s.id
              AND c.transition = ANY(%(applicant_steps)s)) AS steps,
           (s.submitted_at AT TIME ZONE %(tz)s)::date AS sub_day,
           (s.connected_at AT TIME ZONE %(tz)s)::date AS con_day
    FROM applications_serviceapplication s
    WHERE s.connected_at >= %(since)s AND s.connected_at <= %(now)s
      AND s.submitted_at IS NOT NULL
),
cal AS (
    -- A running count of working days (statutory holidays and make-up days included), so the
    -- days between two dates are the difference of two lookups.
    SELECT g.d::date AS day,
           sum(CASE WHEN g.d::date = ANY(%(workdays)s::date[])
                      OR (extract(isodow FROM g.d) < 6
                          AND NOT g.d::date = ANY(%(holidays)s::date[]))
                    THEN 1 ELSE 0 END) OVER (ORDER BY g.d) AS n
    FROM generate_series((SELECT min(sub_day) FROM sa), (SELECT max(con_day) FROM sa),
                         interval '1 day') AS g(d)
),
days AS (
    SELECT sa.utility, sa.fee_quote_cny, sa.steps,
           GREATEST(c2.n - c1.n - sa.paused_working_days, 0) AS working_days
    FROM sa JOIN cal c1 ON c1.day = sa.sub_day JOIN cal c2 ON c2.day = sa.con_day
)
SELECT utility, count(*) AS connections,
       avg(working_days) AS working_days_avg,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY working_days) AS working_days_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY fee_quote_cny) AS fee_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY steps) AS steps_median
FROM days
GROUP BY utility
"""

# Each application-level state change closes the stage the previous one opened; that stage
# was on time when it closed by the deadline stamped on entry. Stages without a deadline (the
# applicant's turn) do not count.
_ON_TIME_SQL = """
WITH stages AS (
    SELECT s.utility, c.at,
           lag(c.due_at) OVER (PARTITION BY c.service_application_id ORDER BY c.at, c.id) AS due
    FROM applications_statechange c
    JOIN applications_serviceapplication s ON s.id = c.service_application_id
    WHERE c.permit_request_id IS NULL
)
SELECT utility, count(*) AS stages, count(*) FILTER (WHERE at <= due) AS on_time
FROM stages
WHERE due IS NOT NULL AND at >= %(since)s AND at <= %(now)s
GROUP BY utility
"""


def _rows(sql: str, params: dict) -> dict[str, dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def _rounded(value, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _compute(now: dt.datetime) -> dict:
    since = now - WINDOW
    params = {
        "tz": settings.TIME_ZONE,
        "since": since,
        "now": now,
        "holidays": sorted(d for d in chinese_calendar.holidays if d.weekday() < 5),
        "workdays": sorted(d for d in chinese_calendar.workdays if d.weekday() >= 5),
        "applicant_steps": APPLICANT_STEPS,
    }
    connections = _rows(_CONNECTIONS_SQL, params)
    on_time = _rows(_ON_TIME_SQL, params)
    ratings = {
        row["service_application__utility"]: row
        for row in Rating.objects.filter(created_at__gte=since, created_at__lte=now)
        .values("service_application__utility")
        .annotate(total=Count("pk"), bad=Count("pk", filter=Q(level__in=BAD_RATINGS)))
        .order_by()
    }
    slas: dict[str, list[dict]] = {u: [] for u in Utility.values}
    for row in SlaPolicy.objects.values(
        "workgroup__code", "stage", "variant", "working_days"
    ).order_by("workgroup__code", "stage", "variant"):
        slas.setdefault(row["workgroup__code"], []).append(row)

    utilities = []
    for utility in Utility.values:
        conn = connections.get(utility, {})
        stages = on_time.get(utility, {})
        rated = ratings.get(utility, {})
        utilities.append(
            {
                "utility": utility,
                "connections": conn.get("connections", 0),
                "working_days_avg": _rounded(conn.get("working_days_avg")),
                "working_days_median": _rounded(conn.get("working_days_median")),
                "fee_median": _rounded(conn.get("fee_median"), 2),
                "steps_median": _rounded(conn.get("steps_median")),
                "on_time_share": _share(stages.get("on_time", 0), stages.get("stages", 0)),
                "ratings": rated.get("total", 0),
                "satisfaction_share": _share(
                    rated.get("total", 0) - rated.get("bad", 0), rated.get("total", 0)
                ),
                # Every step is online: no visit to a counter is ever required.
                "counter_visits": 0,
                "slas": slas.get(utility, []),
                "documents": list(UTILITIES[utility].documents),
            }
        )
    return {"generated_at": now, "since": since, "utilities": utilities}


def transparency_figures() -> dict:
    """The page's figures, computed at most once every few minutes for every visitor."""
    return cache.get_or_set(CACHE_KEY, lambda: _compute(timezone.now()), CACHE_SECONDS)
