"""The per-case clock in SQL: days by party for every submitted case, and their distributions.

The same definitions as `applications.case_clock` (which the tracking and staff pages show
live): a case's stages are its own history rows in order, a working day counts for the party
holding the case when it began (the running calendar `kpi_cal`: the day a stage is entered
does not count, the day it is left does), parties come from `STAGE_PARTY`, the clock stops at
connection or at the end of the case, and neither permit rows nor facts recorded within a
stage (a counter visit) start a stage. A test checks that both
agree on generated histories.
"""

from __future__ import annotations

from typing import Any

from applications.constants import FINAL_STATES, STAGE_PARTY, Party, ServiceStatus

PARTY_MEASURES = [f"party:{p}" for p in Party.values]
SHARE_MEASURES = [f"share:{p}" for p in Party.values]


def clock_params() -> dict[str, Any]:
    """The stage table and the clock's end states, as SQL parameters."""
    return {
        "government_stages": [str(s) for s, p in STAGE_PARTY.items() if p == Party.GOVERNMENT],
        "applicant_stages": [str(s) for s, p in STAGE_PARTY.items() if p == Party.APPLICANT],
        "end_states": sorted(str(s) for s in FINAL_STATES | {ServiceStatus.CONNECTED}),
        "submitted": str(ServiceStatus.SUBMITTED),
        "connected": str(ServiceStatus.CONNECTED),
    }


# Needs kpi_cal (services.rollup) and the parameters tz, now, steps and clock_params().
CASE_CLOCKS = """
DELETE FROM indicators_caseclock;
WITH seq AS (
    SELECT sc.service_application_id AS sa_id, sc.to_state, sc.at,
           row_number() OVER w AS rn, lead(sc.at) OVER w AS left_at
    FROM applications_statechange sc
    WHERE sc.permit_request_id IS NULL AND sc.from_state <> sc.to_state
    WINDOW w AS (PARTITION BY sc.service_application_id ORDER BY sc.at, sc.id)
), ends AS (
    SELECT DISTINCT ON (sa_id) sa_id, rn AS end_rn, to_state AS end_state, at AS end_at
    FROM seq WHERE to_state = ANY(%(end_states)s)
    ORDER BY sa_id, rn
), steps AS (
    -- The applicant's procedures up to the end of the clock, facts within a stage included.
    SELECT sc.service_application_id AS sa_id, count(*) AS procedures
    FROM applications_statechange sc
    LEFT JOIN ends e ON e.sa_id = sc.service_application_id
    WHERE sc.permit_request_id IS NULL AND sc.transition = ANY(%(steps)s)
      AND (e.end_at IS NULL OR sc.at <= e.end_at)
    GROUP BY sc.service_application_id
), rows AS (
    SELECT seq.sa_id, seq.at, seq.rn, e.end_rn, e.end_state, e.end_at,
           seq.rn < coalesce(e.end_rn, seq.rn + 1) AS is_span,
           CASE WHEN seq.to_state = ANY(%(government_stages)s) THEN 'government'
                WHEN seq.to_state = ANY(%(applicant_stages)s) THEN 'applicant'
                ELSE 'operator' END AS party,
           ld.n - ed.n AS wd, ld.day - ed.day AS cal
    FROM seq
    LEFT JOIN ends e ON e.sa_id = seq.sa_id
    JOIN kpi_cal ed ON ed.day = (seq.at AT TIME ZONE %(tz)s)::date
    JOIN kpi_cal ld ON ld.day = (coalesce(seq.left_at, %(now)s) AT TIME ZONE %(tz)s)::date
    WHERE e.end_rn IS NULL OR seq.rn <= e.end_rn
), clocks AS (
    SELECT sa_id, min(at) AS submitted_at, max(end_at) AS ended_at,
           max(end_state) AS end_state, bool_and(end_rn IS NULL) AS running,
           coalesce(sum(wd) FILTER (WHERE is_span), 0) AS working_days,
           coalesce(sum(cal) FILTER (WHERE is_span), 0) AS calendar_days,
           coalesce(sum(wd) FILTER (WHERE is_span AND party = 'government'), 0) AS gov,
           coalesce(sum(wd) FILTER (WHERE is_span AND party = 'operator'), 0) AS op,
           coalesce(sum(wd) FILTER (WHERE is_span AND party = 'applicant'), 0) AS app
    FROM rows GROUP BY sa_id
)
INSERT INTO indicators_caseclock
    (service_application_id, utility, workgroup_id, operator_id, submitted_at, ended_at,
     connected_month, running, working_days, calendar_days, government_days, operator_days,
     applicant_days, procedures, fee_cny)
SELECT s.id, s.utility, s.workgroup_id, s.operator_id, c.submitted_at, c.ended_at,
       CASE WHEN c.end_state = %(connected)s
            THEN date_trunc('month', (c.ended_at AT TIME ZONE %(tz)s)::date)::date END,
       c.running, c.working_days, c.calendar_days, c.gov, c.op, c.app,
       coalesce(st.procedures, 0), s.fee_quote_cny
FROM clocks c
JOIN applications_serviceapplication s ON s.id = c.sa_id
LEFT JOIN steps st ON st.sa_id = c.sa_id
WHERE EXISTS (SELECT 1 FROM seq f WHERE f.sa_id = c.sa_id AND f.rn = 1
              AND f.to_state = %(submitted)s);
ANALYZE indicators_caseclock;
"""

# Connected cases by month of connection: working days and share of the whole per party.
PARTY_ROLLUP = """
INSERT INTO applications_kpirollup
    (month, utility, workgroup_id, operator_id, measure, value, n, on_time)
SELECT c.connected_month, c.utility, c.workgroup_id, c.operator_id, m.measure, m.value,
       count(*), 0
FROM indicators_caseclock c
CROSS JOIN LATERAL (VALUES
    ('party:government', c.government_days::numeric),
    ('party:operator', c.operator_days::numeric),
    ('party:applicant', c.applicant_days::numeric),
    ('share:government', round(100.0 * c.government_days / nullif(c.working_days, 0), 2)),
    ('share:operator', round(100.0 * c.operator_days / nullif(c.working_days, 0), 2)),
    ('share:applicant', round(100.0 * c.applicant_days / nullif(c.working_days, 0), 2))
) AS m(measure, value)
WHERE c.connected_month IS NOT NULL AND m.value IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
"""
