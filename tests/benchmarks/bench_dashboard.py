"""`make bench` part: the staff indicators page over 500,000 service applications.

Run: .venv/bin/python -m tests.benchmarks.bench_dashboard
Generates, inside a scratch PostgreSQL database (BENCH_DATABASE, default
portal_bench_dashboard) and with generate_series only, BENCH_SERVICE_APPLICATIONS service
applications (default 500,000) submitted over the last two years, each with the state-change
history of its stages (about 15% returned for correction once; deadlines stamped on entry),
escalations, satisfaction ratings and early demand notices. Then it rebuilds the indicators
rollup (the Celery beat task's work) and reports, in one run, the median time of the full KPI
page and the scorecards page (Django view through the test client, as the leadership office)
next to a bare `SELECT count(*)` over the same service-application table.
Targets: page under 500 ms and within 10x of the bare count.
"""

import os
import statistics
import time

os.environ.setdefault("BENCH_DATABASE", "portal_bench_dashboard")  # read by .data

TOTAL = int(os.environ.get("BENCH_SERVICE_APPLICATIONS", "500000"))
NOTICES = int(os.environ.get("BENCH_DEMAND_SIGNALS", "20000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
PER_COMBINED = 5


def setup_django() -> None:
    from tests.benchmarks.data import bench_database_url, recreate_database

    recreate_database()
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.local"
    import django

    django.setup()
    from django.conf import settings

    # Static files are served by whitenoise from a collected manifest in production; the
    # page's own work is what is measured here, so plain static URLs do.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host and a local-memory mail backend
    call_command("migrate", verbosity=0)
    call_command("seed_reference", verbosity=0)


# One plan row per application: when it was submitted and how long each stage took (hours).
_PLAN = """
CREATE TABLE bench_plan AS
SELECT k,
       now() - random() * interval '730 days' AS t0,
       random() < 0.15 AS corrected,
       2 + random() * 60 AS h_submitted,
       24 + random() * 96 AS h_returned,
       2 + random() * 30 AS h_resubmitted,
       4 + random() * 60 AS h_accepted,
       24 + random() * 120 AS h_surveying,
       12 + random() * 96 AS h_plan,
       72 + random() * 400 AS h_constructing,
       12 + random() * 96 AS h_inspecting,
       (ARRAY['very_satisfied','very_satisfied','satisfied','satisfied','satisfied',
              'basically_satisfied','dissatisfied','very_dissatisfied'])[1 + (k %% 8)]
           AS rating,
       (500 + (k %% 40) * 250)::numeric(12, 2) AS fee
FROM generate_series(1, %(total)s) AS k;
CREATE UNIQUE INDEX ON bench_plan (k);
"""

# Each plan expanded to its steps: (step number, transition, from, to, hours after t0, SLA
# working days of the stage entered); a correction adds two steps.
_STEPS = """
CREATE TABLE bench_steps AS
SELECT p.k, s.i, s.transition, s.from_state, s.to_state,
       p.t0 + s.hours * interval '1 hour' AS at, s.sla
FROM bench_plan p
CROSS JOIN LATERAL (
    SELECT a.*, sum(a.dh) OVER (ORDER BY a.i) AS hours FROM (VALUES
        (1, 'submit', 'draft', 'submitted', 0::float8, 1),
        (2, 'return_for_correction', 'submitted', 'returned', p.h_submitted, 0),
        (3, 'resubmit', 'returned', 'submitted', p.h_returned, 1),
        (4, 'accept', 'submitted', 'accepted',
            CASE WHEN p.corrected THEN p.h_resubmitted ELSE p.h_submitted END, 3),
        (5, 'start_survey', 'accepted', 'surveying', p.h_accepted, 10),
        (6, 'issue_plan', 'surveying', 'plan_issued', p.h_surveying, 0),
        (7, 'confirm_plan', 'plan_issued', 'constructing', p.h_plan, 15),
        (8, 'complete_construction', 'constructing', 'inspecting', p.h_constructing, 5),
        (9, 'connect', 'inspecting', 'connected', p.h_inspecting, 0)
    ) AS a(i, transition, from_state, to_state, dh, sla)
    WHERE p.corrected OR a.i NOT IN (2, 3)
) s
WHERE p.t0 + s.hours * interval '1 hour' < now();
CREATE INDEX ON bench_steps (k, i);
"""

_APPLICATIONS = """
WITH applicant AS (
    SELECT id FROM workgroups_organization WHERE kind = 'applicant_company' LIMIT 1
), town AS (SELECT id FROM workgroups_town ORDER BY id LIMIT 1),
usr AS (SELECT id FROM workgroups_user ORDER BY id LIMIT 1)
INSERT INTO applications_project
    (uuid, code, name, kind, works_type, address, town_id, owner_id, source, created_at,
     updated_at)
SELECT gen_random_uuid(), 'BENCH-' || g, 'Bench project ' || g, 'new', 'building',
       'Bench road ' || g, (SELECT id FROM town), (SELECT id FROM applicant), 'applicant',
       now(), now()
FROM generate_series(1, %(combined)s) AS g;

INSERT INTO applications_combinedapplication
    (uuid, reference, project_id, applicant_id, business_type, joint_outside_works,
     submitted_by_id, submitted_at)
SELECT gen_random_uuid(), 'BENCH' || p.id, p.id, p.owner_id, 'new_connection', false,
       (SELECT id FROM workgroups_user ORDER BY id LIMIT 1), now()
FROM applications_project p WHERE p.code LIKE 'BENCH-%%';

WITH last AS (SELECT DISTINCT ON (k) k, to_state, at FROM bench_steps ORDER BY k, i DESC),
paused AS (
    SELECT k, sum(extract(epoch FROM lead_at - at) / 86400 * 5 / 7)::int AS days
    FROM (SELECT k, to_state, at, lead(at) OVER (PARTITION BY k ORDER BY i) AS lead_at
          FROM bench_steps) x
    WHERE to_state IN ('returned', 'plan_issued') AND lead_at IS NOT NULL GROUP BY k
)
INSERT INTO applications_serviceapplication
    (uuid, combined_id, utility, workgroup_id, operator_id, status, details, fast_track,
     needs_inspection, sla_variant, survey_result, plan, required_permits,
     inspection_result, last_reason, returned_from, submitted_at, stage_entered_at, due_at,
     paused_working_days, connected_at, fee_quote_cny, updated_at)
SELECT gen_random_uuid(), c.id, w.code, w.id, cov.operator_id, last.to_state,
       jsonb_build_object('bench', n.k), false, true, '', '', '', '[]'::jsonb, '', '', '',
       p.t0, last.at, NULL, coalesce(paused.days, 0),
       CASE WHEN last.to_state = 'connected' THEN last.at END,
       CASE WHEN last.to_state IN ('plan_issued', 'constructing', 'inspecting', 'connected')
            THEN p.fee END,
       last.at
FROM (SELECT c.id, row_number() OVER (ORDER BY c.id) AS r
      FROM applications_combinedapplication c WHERE c.reference LIKE 'BENCH%%') c
JOIN LATERAL (SELECT w.id, w.code, row_number() OVER (ORDER BY w.id) AS i
              FROM workgroups_workgroup w LIMIT %(per_combined)s) w ON true
CROSS JOIN LATERAL (SELECT (c.r - 1) * %(per_combined)s + w.i AS k) n
JOIN LATERAL (SELECT DISTINCT operator_id FROM workgroups_operatorcoverage oc
              WHERE oc.utility = w.code ORDER BY oc.operator_id
              OFFSET (n.k / %(per_combined)s) %% (SELECT count(DISTINCT operator_id)
                  FROM workgroups_operatorcoverage WHERE utility = w.code)
              LIMIT 1) cov ON true
JOIN bench_plan p ON p.k = n.k
JOIN last ON last.k = n.k
LEFT JOIN paused ON paused.k = n.k;
"""

_HISTORY = """
INSERT INTO applications_statechange
    (uuid, service_application_id, transition, from_state, to_state, actor_id, at, comment,
     data, clock_event, due_at)
SELECT gen_random_uuid(), sa.id, s.transition, s.from_state, s.to_state,
       CASE WHEN s.transition IN ('submit', 'resubmit', 'confirm_plan') THEN u.id END,
       s.at, '', '{}'::jsonb, '',
       CASE WHEN s.sla > 0 THEN date_trunc('day', s.at) + (1 + s.sla * 7 / 5) * interval '1 day'
       END
FROM applications_serviceapplication sa
JOIN bench_steps s ON s.k = (sa.details ->> 'bench')::int
CROSS JOIN (SELECT id FROM workgroups_user ORDER BY id LIMIT 1) u;

INSERT INTO applications_escalation
    (uuid, service_application_id, stage, breached_due_at, tier, status, opened_at, tier_since,
     resolution_note)
SELECT gen_random_uuid(), sc.service_application_id, sc.to_state, sc.due_at,
       1 + (sc.id %% 10 = 0)::int + (sc.id %% 30 = 0)::int, 'resolved', sc.due_at, sc.due_at, ''
FROM applications_statechange sc
WHERE sc.due_at IS NOT NULL AND sc.due_at < now() AND sc.id %% 20 = 0;

INSERT INTO applications_rating
    (uuid, service_application_id, level, comment, rated_by_id, organization_id, created_at)
SELECT gen_random_uuid(), sa.id, p.rating, '', u.id, c.applicant_id,
       sa.connected_at + interval '3 days'
FROM applications_serviceapplication sa
JOIN applications_combinedapplication c ON c.id = sa.combined_id
JOIN bench_plan p ON p.k = (sa.details ->> 'bench')::int
CROSS JOIN (SELECT id FROM workgroups_user ORDER BY id LIMIT 1) u
WHERE sa.connected_at IS NOT NULL AND p.k %% 5 <> 0;

INSERT INTO notifications_demandsignal
    (uuid, kind, source_organization_id, title, town_id, location, expected_utilities,
     expected_loads, created_at)
SELECT gen_random_uuid(), 'land_sale', (SELECT id FROM workgroups_organization
                                         WHERE kind = 'agency' ORDER BY id LIMIT 1),
       'Bench signal ' || g, (SELECT id FROM workgroups_town ORDER BY id LIMIT 1), '',
       '[]'::jsonb, '{}'::jsonb, now() - random() * interval '730 days'
FROM generate_series(1, %(signals)s) AS g;

INSERT INTO notifications_demandnotice
    (uuid, signal_id, operator_id, utilities, status, created_at, acknowledged_at)
SELECT gen_random_uuid(), s.id, o.id, '[]'::jsonb,
       CASE WHEN (s.id + o.id) %% 10 = 0 THEN 'new' ELSE 'acknowledged' END, s.created_at,
       CASE WHEN (s.id + o.id) %% 10 <> 0
            THEN s.created_at + random() * interval '72 hours' END
FROM notifications_demandsignal s
JOIN workgroups_organization o ON o.kind = 'operator' AND (s.id + o.id) %% 3 = 0;

DROP TABLE bench_steps;
DROP TABLE bench_plan;
ANALYZE;
"""


def load() -> None:
    from django.db import connection

    from tests.benchmarks.data import timed

    params = {
        "total": TOTAL,
        "combined": TOTAL // PER_COMBINED,
        "per_combined": PER_COMBINED,
        "signals": NOTICES,
    }
    with connection.cursor() as cursor:
        with timed("plan"):
            cursor.execute(_PLAN, params)
        with timed("stage steps"):
            cursor.execute(_STEPS, params)
        with timed("projects, requests, service applications"):
            cursor.execute(_APPLICATIONS, params)
        with timed("history, escalations, ratings, demand notices"):
            cursor.execute(_HISTORY, params)
        cursor.execute(
            "SELECT (SELECT count(*) FROM applications_serviceapplication),"
            " (SELECT count(*) FROM applications_serviceapplication"
            "  WHERE connected_at IS NOT NULL),"
            " (SELECT count(*) FROM applications_statechange),"
            " (SELECT count(*) FROM applications_escalation),"
            " (SELECT count(*) FROM applications_rating),"
            " (SELECT count(*) FROM notifications_demandnotice)"
        )
        counts = cursor.fetchone()
    print(
        "  rows: {:,} applications ({:,} connected), {:,} state changes, {:,} escalations, "
        "{:,} ratings, {:,} demand notices".format(*counts)
    )


def median_ms(fn, runs: int = RUNS) -> tuple[float, list[float]]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), samples


def main() -> None:
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from indicators.services.rollup import kpi_rollup_refresh
    from tests.benchmarks.data import timed
    from tests.factories import company, member_of, staff_of

    member_of(company("bench", "基准测试公司"), username="bench")
    print(f"Generating {TOTAL:,} service applications with their history...")
    with timed("generation, total"):
        load()
    with timed("rollup refresh (the periodic task)") as refresh:
        kpi_rollup_refresh()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM applications_kpirollup")
        rollup_rows = cursor.fetchone()[0]

    def bare_count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM applications_serviceapplication")
            return cursor.fetchone()[0]

    assert bare_count() == TOTAL
    bare_count()  # warm the cache like the pages below
    count_ms, _ = median_ms(bare_count)

    results = {}
    for label, code in (
        ("leadership office", "leadership-office"),
        ("lead agency (electricity)", "ndrc"),
        ("operator (中山供电局)", "csg-zhongshan"),
    ):
        client = Client()
        client.force_login(staff_of(code, username=f"bench-{code}"))
        for name in ("kpi", "scorecards"):
            url = reverse(f"staff:{name}")

            def page(client=client, url=url):
                response = client.get(url)
                assert response.status_code == 200, response.status_code
                return response

            rows = page().context["tables" if name == "kpi" else "table"]  # warm-up
            results[(label, name)] = median_ms(page)[0]
            if name == "kpi" and code == "leadership-office":
                connected = sum(r[2] for r in rows["connections"]["rows"])
                print(f"  KPI page (last 12 months) covers {connected:,} connections")

    print()
    print(f"Indicators over {TOTAL:,} service applications (median of {RUNS} runs)")
    print(f"  {'rollup refresh (Celery beat, every 10 min)':52}: {refresh.seconds:8.1f} s")
    print(f"  {'rollup rows':52}: {rollup_rows:8,}")
    print(f"  {'bare SELECT count(*) of service applications':52}: {count_ms:8.1f} ms")
    ok = True
    for (label, name), ms in results.items():
        ratio = ms / count_ms
        page = f"/staff/{name}/ as {label}"
        print(f"  {page:52}: {ms:8.1f} ms ({ratio:.1f}x the count)")
        if label == "leadership office":
            ok = ok and ms < 500 and ratio <= 10
    print("  targets (leadership office: < 500 ms, <= 10x the count):", "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
