"""World Bank style indicators (DOMAIN), computed by SQL aggregation, scoped by the caller."""

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth

from .models import (
    Rating,
    ServiceApplication,
    StateChange,
)
from .selectors_staff import StaffScope


def _kpi_scope(scope: StaffScope) -> Q | None:
    """What the caller's KPIs cover: everything for the leadership bodies, their workgroups'
    and their own operator's applications for the others; None when nothing."""
    if scope.oversight:
        return Q()
    if not (scope.lead_workgroup_ids or scope.operator_ids):
        return None
    return Q(workgroup_id__in=scope.lead_workgroup_ids) | Q(operator_id__in=scope.operator_ids)


def _calendar_exceptions() -> tuple[list[dt.date], list[dt.date]]:
    """Statutory holidays falling on weekdays, and make-up working days (调休), from the same
    package the SLA clock uses; outside its years both lists are empty (Monday-Friday)."""
    holidays = sorted(d for d in chinese_calendar.holidays if d.weekday() < 5)
    workdays = sorted(d for d in chinese_calendar.workdays if d.weekday() >= 5)
    return holidays, workdays


_CONNECTIONS_SQL = """
WITH sa AS (
    SELECT s.utility, s.fee_quote_cny, s.paused_working_days,
           (s.submitted_at AT TIME ZONE %(tz)s)::date AS sub_day,
           (s.connected_at AT TIME ZONE %(tz)s)::date AS con_day
    FROM applications_serviceapplication s
    WHERE s.connected_at IS NOT NULL AND s.submitted_at IS NOT NULL
      AND (%(all)s OR s.workgroup_id = ANY(%(workgroups)s) OR s.operator_id = ANY(%(operators)s))
),
cal AS (
    -- A running count of working days: the days between two dates are a difference of two
    -- lookups, so the whole table costs two hash joins instead of a loop per row.
    SELECT g.d::date AS day,
           sum(CASE WHEN g.d::date = ANY(%(workdays)s::date[])
                      OR (extract(isodow FROM g.d) < 6
                          AND NOT g.d::date = ANY(%(holidays)s::date[]))
                    THEN 1 ELSE 0 END) OVER (ORDER BY g.d) AS n
    FROM generate_series((SELECT min(sub_day) FROM sa), (SELECT max(con_day) FROM sa),
                         interval '1 day') AS g(d)
),
days AS (
    SELECT sa.utility, date_trunc('month', sa.con_day)::date AS month, sa.fee_quote_cny,
           sa.con_day - sa.sub_day AS calendar_days,
           GREATEST(c2.n - c1.n - sa.paused_working_days, 0) AS working_days
    FROM sa JOIN cal c1 ON c1.day = sa.sub_day JOIN cal c2 ON c2.day = sa.con_day
)
SELECT utility, month, count(*) AS connected,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY working_days) AS working_days_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY working_days) AS working_days_p90,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY calendar_days) AS calendar_days_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY calendar_days) AS calendar_days_p90,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY fee_quote_cny) AS fee_median
FROM days
GROUP BY utility, month
ORDER BY month DESC, utility
"""


def kpi_connections(*, scope: StaffScope) -> list[dict]:
    """Per utility per month of connection: connected, median and 90th percentile working and
    calendar days from submission to connection (the applicant's correction and plan
    confirmation time excluded from working days, as on the clock), median fee quote.
    Counter visits are 0 by design (every step is online) and reported as such."""
    if _kpi_scope(scope) is None:
        return []
    holidays, workdays = _calendar_exceptions()
    params = {
        "tz": settings.TIME_ZONE,
        "all": scope.oversight,
        "workgroups": sorted(scope.lead_workgroup_ids),
        "operators": sorted(scope.operator_ids),
        "holidays": holidays,
        "workdays": workdays,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CONNECTIONS_SQL, params)
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["counter_visits"] = 0
    return rows


def kpi_applications(*, scope: StaffScope) -> QuerySet:
    """Per utility per month of submission: applications, how many were returned for
    correction (补正) at least once, and the escalations they caused."""

    where = _kpi_scope(scope)
    if where is None:
        return ServiceApplication.objects.none().values()
    corrected = StateChange.objects.filter(
        service_application=OuterRef("pk"), transition="return_for_correction"
    )
    return (
        ServiceApplication.objects.filter(where, submitted_at__isnull=False)
        .annotate(month=TruncMonth("submitted_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values("utility", "month")
        .annotate(
            submitted=Count("pk", distinct=True),
            corrected=Count("pk", distinct=True, filter=Q(Exists(corrected))),
            escalations=Count("escalations", distinct=True),
        )
        .order_by("-month", "utility")
    )


def kpi_ratings(*, scope: StaffScope) -> QuerySet:
    """Satisfaction (好差评): number of ratings per utility and level."""
    where = _kpi_scope(scope)
    if where is None:
        return Rating.objects.none().values()
    visible = ServiceApplication.objects.filter(where).values("pk")
    return (
        Rating.objects.filter(service_application__in=visible)
        .values("service_application__utility", "level")
        .annotate(count=Count("pk"))
        .order_by("service_application__utility", "level")
    )
