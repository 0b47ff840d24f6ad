"""Rebuilding the indicators rollup (KpiRollup) in SQL.

The dashboard must answer in well under a second over hundreds of thousands of cases, and
medians cannot be added up month by month, so a periodic task rebuilds a small table of
counts and exact integer distributions (working days, stage durations, steps, fees) per month,
utility, workgroup and operator; the selectors in `selectors.kpi` compute every figure for the
caller's scope from it. The rebuild replaces the rows in one transaction: readers keep seeing
the previous figures until it commits.

Working days use one running calendar (a temporary table of day -> working days so far, from
the working-day calendar table `workgroups_calendarday`, Monday-Friday for a day it does not
hold, as workgroups.calendar counts), so "working days between two dates" is the difference
of two lookups, the start day not counting, as on the SLA clock.
"""

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from applications.constants import ServiceStatus
from applications.registry import COMMITMENT_RULES, utilities_needing
from applications.workflow import APPLICANT_STEPS as _STEPS
from applications.workflow import COUNTER_VISIT

from ..models import KpiRefresh
from .case_clocks import CASE_CLOCKS, PARTY_ROLLUP, clock_params

# Steps the applicant performs (procedures in the World Bank sense), as the transition table
# marks them: the staff dashboard and the public transparency page both read them from here.
APPLICANT_STEPS = sorted(_STEPS)
# Stages whose duration is measured: every state a case leaves again on its way.
MEASURED_STAGES = [
    ServiceStatus.SUBMITTED,
    ServiceStatus.RETURNED,
    ServiceStatus.ACCEPTED,
    ServiceStatus.SURVEYING,
    ServiceStatus.PLAN_ISSUED,
    ServiceStatus.PERMITTING,
    ServiceStatus.CONSTRUCTING,
    ServiceStatus.INSPECTING,
]

# (document, utility needing it) for every document a commitment may stand for.
_NEEDS = [(doc, utility) for doc in COMMITMENT_RULES for utility in utilities_needing(doc)]


_CALENDAR = """
DROP TABLE IF EXISTS kpi_cal;
CREATE TEMPORARY TABLE kpi_cal (day date PRIMARY KEY, n integer NOT NULL);
INSERT INTO kpi_cal
SELECT g.d::date,
       sum(CASE WHEN coalesce(c.is_working_day, extract(isodow FROM g.d) < 6) THEN 1 ELSE 0 END)
           OVER (ORDER BY g.d)
FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS g(d)
LEFT JOIN workgroups_calendarday c ON c.day = g.d::date;
ANALYZE kpi_cal;
"""

# Connected cases, by month of connection: working days (the applicant's time excluded, as on
# the clock), calendar days, fee quote, applicant-facing steps and counter visits among them.
_CONNECTED = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT f.month, f.utility, f.workgroup_id, f.operator_id, m.measure, m.value, count(*), 0
FROM (
    SELECT s.utility, s.workgroup_id, s.operator_id, date_trunc('month', cd.day)::date AS month,
           GREATEST(cd.n - sd.n - s.paused_working_days, 0) AS wd, cd.day - sd.day AS cal,
           s.fee_quote_cny AS fee, coalesce(st.steps, 0) AS steps,
           coalesce(st.visits, 0) AS visits
    FROM applications_serviceapplication s
    JOIN kpi_cal sd ON sd.day = ((s.submitted_at) AT TIME ZONE %(tz)s)::date
    JOIN kpi_cal cd ON cd.day = ((s.connected_at) AT TIME ZONE %(tz)s)::date
    LEFT JOIN (
        SELECT service_application_id, count(*) AS steps,
               count(*) FILTER (WHERE transition = %(visit)s) AS visits
        FROM applications_statechange
        WHERE permit_request_id IS NULL AND transition = ANY(%(steps)s)
        GROUP BY service_application_id
    ) st ON st.service_application_id = s.id
    WHERE s.connected_at IS NOT NULL AND s.submitted_at IS NOT NULL
) f
CROSS JOIN LATERAL (VALUES ('working_days', f.wd::numeric), ('calendar_days', f.cal::numeric),
                           ('fee', f.fee), ('steps', f.steps::numeric),
                           ('visits', f.visits::numeric)) AS m(measure, value)
WHERE m.value IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
"""

# Every stage a case entered and left again, by month it was left: working days in the stage,
# and whether it was left by the deadline stamped when it was entered (StateChange.due_at).
_STAGES = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT date_trunc('month', ld.day)::date, s.utility, s.workgroup_id, s.operator_id,
       'stage:' || seq.stage, (ld.n - ed.n)::numeric, count(*),
       count(*) FILTER (WHERE seq.left_at <= seq.due_at)
FROM (
    SELECT sc.service_application_id, sc.to_state AS stage, sc.at, sc.due_at,
           lead(sc.at) OVER (PARTITION BY sc.service_application_id ORDER BY sc.at, sc.id)
               AS left_at
    FROM applications_statechange sc
    WHERE sc.permit_request_id IS NULL AND sc.from_state <> sc.to_state
) seq
JOIN applications_serviceapplication s ON s.id = seq.service_application_id
JOIN kpi_cal ed ON ed.day = ((seq.at) AT TIME ZONE %(tz)s)::date
JOIN kpi_cal ld ON ld.day = ((seq.left_at) AT TIME ZONE %(tz)s)::date
WHERE seq.left_at IS NOT NULL AND seq.stage = ANY(%(stages)s)
GROUP BY 1, 2, 3, 4, 5, 6
"""

# Applications by month of submission: submitted, returned for correction at least once,
# escalations by the tier they reached.
_APPLICATIONS = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT date_trunc('month', ((s.submitted_at) AT TIME ZONE %(tz)s)::date)::date,
       s.utility, s.workgroup_id, s.operator_id, m.measure, NULL::numeric, sum(m.n), 0
FROM applications_serviceapplication s
LEFT JOIN (
    SELECT service_application_id, count(*) FILTER (WHERE tier = 1) AS t1,
           count(*) FILTER (WHERE tier = 2) AS t2, count(*) FILTER (WHERE tier >= 3) AS t3
    FROM applications_escalation GROUP BY service_application_id
) e ON e.service_application_id = s.id
CROSS JOIN LATERAL (VALUES
    ('submitted', 1),
    ('corrected', CASE WHEN EXISTS (
        SELECT 1 FROM applications_statechange c
        WHERE c.service_application_id = s.id AND c.transition = 'return_for_correction')
        THEN 1 ELSE 0 END),
    ('escalations_tier_1', coalesce(e.t1, 0)),
    ('escalations_tier_2', coalesce(e.t2, 0)),
    ('escalations_tier_3', coalesce(e.t3, 0))
) AS m(measure, n)
WHERE s.submitted_at IS NOT NULL AND m.n > 0
GROUP BY 1, 2, 3, 4, 5
"""

# Satisfaction ratings by month rated.
_RATINGS = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT date_trunc('month', ((r.created_at) AT TIME ZONE %(tz)s)::date)::date,
       s.utility, s.workgroup_id, s.operator_id,
       'rating:' || r.level, NULL::numeric, count(*), 0
FROM applications_rating r
JOIN applications_serviceapplication s ON s.id = r.service_application_id
GROUP BY 1, 2, 3, 4, 5
"""

# Follow-ups of bad ratings (回访), by month of the first rating: every rating's final level (the
# second rating where the applicant gave one after the follow-up, else the first), so
# satisfaction before follow-up ('rating:*') and after it ('rating_final:*') compare the same
# ratings; and the follow-ups themselves: answered by their deadline (on_time), rated again.
_FOLLOW_UPS = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT date_trunc('month', ((r.created_at) AT TIME ZONE %(tz)s)::date)::date,
       s.utility, s.workgroup_id, s.operator_id, m.measure, NULL::numeric, sum(m.n),
       sum(m.on_time)
FROM applications_rating r
JOIN applications_serviceapplication s ON s.id = r.service_application_id
LEFT JOIN coordination_followup f ON f.rating_id = r.id
CROSS JOIN LATERAL (VALUES
    ('rating_final:' || coalesce(nullif(f.final_level, ''), r.level), 1, 0),
    ('follow_ups', CASE WHEN f.id IS NULL THEN 0 ELSE 1 END,
     CASE WHEN f.answered_at IS NOT NULL AND f.answered_at <= coalesce(f.due_at, f.answered_at)
          THEN 1 ELSE 0 END),
    ('follow_ups_re_rated', CASE WHEN coalesce(f.final_level, '') <> '' THEN 1 ELSE 0 END, 0)
) AS m(measure, n, on_time)
WHERE m.n > 0
GROUP BY 1, 2, 3, 4, 5
"""

# Demands and suggestions (诉求与建议) by month received, per workgroup: every demand; those
# decided (answered, or past the answer deadline stamped at receipt, at the time of the
# refresh); on time: the first answer came by that deadline (as the monthly demand analysis).
_DEMANDS = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT date_trunc('month', ((d.submitted_at) AT TIME ZONE %(tz)s)::date)::date,
       d.utility, d.workgroup_id, NULL::integer, m.measure, NULL::numeric, sum(m.n),
       sum(m.on_time)
FROM coordination_demand d
CROSS JOIN LATERAL (VALUES
    ('demands', 1, CASE WHEN d.first_answered_at <= d.answer_due_at THEN 1 ELSE 0 END),
    ('demands_decided',
     CASE WHEN d.first_answered_at IS NOT NULL OR d.answer_due_at < %(now)s THEN 1 ELSE 0 END,
     CASE WHEN d.first_answered_at <= d.answer_due_at THEN 1 ELSE 0 END)
) AS m(measure, n, on_time)
WHERE m.n > 0
GROUP BY 1, 2, 3, 4, 5
"""

# Coordination meetings' action items (督办事项) per workgroup, by month of their due working
# day: those judged (done, or open past their due day; dropped ones do not count), done by
# their due day (on_time), done at all, and still open past it.
_ACTION_ITEMS = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT date_trunc('month', a.due_day)::date, '', a.workgroup_id, NULL::integer, m.measure,
       NULL::numeric, sum(m.n), sum(m.on_time)
FROM coordination_actionitem a
CROSS JOIN LATERAL (VALUES
    ('action_items', 1,
     CASE WHEN a.status = 'done' AND a.done_at <= (a.due_day + 1)::timestamp AT TIME ZONE %(tz)s
          THEN 1 ELSE 0 END),
    ('action_items_done', CASE WHEN a.status = 'done' THEN 1 ELSE 0 END, 0),
    ('action_items_overdue', CASE WHEN a.status = 'open' THEN 1 ELSE 0 END, 0)
) AS m(measure, n, on_time)
WHERE a.status <> 'dropped'
  AND (a.status = 'done' OR (a.due_day + 1)::timestamp AT TIME ZONE %(tz)s <= %(now)s)
  AND m.n > 0
GROUP BY 1, 2, 3, 4, 5
"""

# Early demand notices per operator by month sent: acknowledged within one working day means
# by the end of the working day after the notice (the SLA clock's rule for one day).
_NOTICES = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT date_trunc('month', cd.day)::date, '', NULL::integer, d.operator_id, m.measure,
       NULL::numeric, sum(m.n), 0
FROM notifications_demandnotice d
JOIN kpi_cal cd ON cd.day = ((d.created_at) AT TIME ZONE %(tz)s)::date
LEFT JOIN kpi_cal ad ON ad.day = ((d.acknowledged_at) AT TIME ZONE %(tz)s)::date
CROSS JOIN LATERAL (VALUES
    ('notices', 1),
    ('notices_ack_1wd', CASE WHEN ad.n - cd.n <= 1 THEN 1 ELSE 0 END)
) AS m(measure, n)
GROUP BY 1, 2, 3, 4, 5
"""

# --- Joint works (联合施工): trenches avoided and plans on time --------------------------------
# Every plan backfilled (or since restored), by month of backfill. Each utility that laid its
# conduit in the plan's trench instead of digging its own counts one trench avoided: every
# installed participant but the lead operator's (participants - 1 per plan), under its own
# utility, workgroup and operator so each caller sees its own share. The plan itself counts once,
# under the lead operator's participant; on time: excavation started no earlier and backfill
# came no later than the agreed window (local dates).
_JOINT_WORKS = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT date_trunc('month', ((p.backfilled_at) AT TIME ZONE %(tz)s)::date)::date,
       s.utility, s.workgroup_id, jp.operator_id, m.measure, NULL::numeric, sum(m.n),
       sum(m.on_time)
FROM (
    SELECT x.plan_id, x.operator_id, x.service_application_id,
           row_number() OVER (PARTITION BY x.plan_id
                              ORDER BY (x.operator_id = pl.lead_operator_id) DESC, x.id) AS rn
    FROM applications_jointworksparticipant x
    JOIN applications_jointworksplan pl ON pl.id = x.plan_id
    WHERE x.active AND x.installed_at IS NOT NULL
) jp
JOIN applications_jointworksplan p ON p.id = jp.plan_id
JOIN applications_serviceapplication s ON s.id = jp.service_application_id
CROSS JOIN LATERAL (VALUES
    ('joint_plans', CASE WHEN jp.rn = 1 THEN 1 ELSE 0 END,
     CASE WHEN jp.rn = 1
               AND ((p.excavation_started_at) AT TIME ZONE %(tz)s)::date >= p.window_start
               AND ((p.backfilled_at) AT TIME ZONE %(tz)s)::date <= p.window_end
          THEN 1 ELSE 0 END),
    ('trenches_avoided', CASE WHEN jp.rn > 1 THEN 1 ELSE 0 END, 0)
) AS m(measure, n, on_time)
WHERE p.status IN ('backfilled', 'restored') AND p.backfilled_at IS NOT NULL AND m.n > 0
GROUP BY 1, 2, 3, 4, 5
"""
JOINT_WORKS_ROLLUPS = (_JOINT_WORKS,)
# --- end of joint works -------------------------------------------------------------------
# Commitments (承诺制) decided, by month of the decision, per application that relied on one (the
# utilities needing the document, as the registry says): kept (verified; on time when the
# document came before the commitment fell due) and broken.
_COMMITMENTS = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT date_trunc('month', ((c.decided_at) AT TIME ZONE %(tz)s)::date)::date,
       s.utility, s.workgroup_id, s.operator_id,
       CASE WHEN c.status = 'verified' THEN 'commitments_kept' ELSE 'commitments_broken' END,
       NULL::numeric, count(*),
       count(*) FILTER (WHERE c.status = 'verified'
                        AND (c.fell_due_at IS NULL OR c.submitted_at < c.fell_due_at))
FROM applications_commitment c
JOIN unnest(%(need_docs)s::text[], %(need_utilities)s::text[]) AS need(doc_type, utility)
    ON need.doc_type = c.doc_type
JOIN applications_serviceapplication s
    ON s.combined_id = c.combined_id AND s.utility = need.utility AND s.status <> 'draft'
WHERE c.status IN ('verified', 'breached') AND c.decided_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
"""

_BOUNDS = """
SELECT least((SELECT min(submitted_at) FROM applications_serviceapplication),
             (SELECT min(at) FROM applications_statechange),
             (SELECT min(created_at) FROM notifications_demandnotice),
             (SELECT min(created_at) FROM applications_rating)),
       greatest((SELECT max(at) FROM applications_statechange),
                (SELECT max(connected_at) FROM applications_serviceapplication),
                (SELECT max(acknowledged_at) FROM notifications_demandnotice),
                (SELECT max(created_at) FROM applications_rating))
"""


@transaction.atomic
def kpi_rollup_refresh() -> KpiRefresh:
    """Rebuild every rollup row from the case records; returns the refresh stamp.
    PostgreSQL only: callers check `selectors.kpi.indicators_available()` first."""
    started = time.perf_counter()
    now = timezone.now()
    today = timezone.localdate(now)
    with connection.cursor() as cursor:
        # Two refreshes at once would both delete, then both insert: the second waits.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('kpi_rollup_refresh'))")
        cursor.execute(_BOUNDS)
        first, last = cursor.fetchone()
        start = timezone.localdate(first) if first else today
        end = max(timezone.localdate(last), today) if last else today
        params: dict[str, Any] = {
            "tz": settings.TIME_ZONE,
            "start": start - dt.timedelta(days=1),
            "end": end + dt.timedelta(days=1),
            "steps": APPLICANT_STEPS,
            "visit": COUNTER_VISIT,
            "stages": [str(s) for s in MEASURED_STAGES],
            "now": now,
            "need_docs": [doc for doc, _u in _NEEDS],
            "need_utilities": [u for _doc, u in _NEEDS],
            **clock_params(),
        }
        cursor.execute(_CALENDAR, params)
        cursor.execute("DELETE FROM applications_kpirollup")
        rebuilds = (
            _CONNECTED,
            _STAGES,
            _APPLICATIONS,
            _RATINGS,
            _FOLLOW_UPS,
            _DEMANDS,
            _ACTION_ITEMS,
            _NOTICES,
            _COMMITMENTS,
        )
        for sql in (*rebuilds, *JOINT_WORKS_ROLLUPS, CASE_CLOCKS, PARTY_ROLLUP):
            cursor.execute(sql, params)
        cursor.execute("DROP TABLE kpi_cal")
        cursor.execute("ANALYZE applications_kpirollup")
    KpiRefresh.objects.all().delete()
    return KpiRefresh.objects.create(
        refreshed_at=now, seconds=round(time.perf_counter() - started, 3)
    )
