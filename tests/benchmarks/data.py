"""Bulk data for benchmarks, generated inside PostgreSQL with generate_series (fast: about a
million rows in tens of seconds). Never used by the test suite."""

import os
import time

import psycopg
from django.db import connection

BENCH_DB = os.environ.get("BENCH_DATABASE", "portal_bench")
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def bench_database_url() -> str:
    return f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"


def recreate_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def timed(label: str):
    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()
            return self

        def __exit__(self, *exc):
            self.seconds = time.perf_counter() - self.start
            print(f"  {label}: {self.seconds:.2f} s", flush=True)

    return Timer()


def load_service_applications(*, total: int, overdue: int, per_combined: int = 5) -> None:
    """`total` service applications spread over combined requests of `per_combined` utilities;
    exactly `overdue` of them are in a clocked state past their due date, the others are either
    closed or due in the future."""
    sql = f"""
    WITH applicant AS (
        SELECT id FROM workgroups_organization WHERE kind = 'applicant_company' LIMIT 1
    ), town AS (SELECT id FROM workgroups_town ORDER BY id LIMIT 1),
    usr AS (SELECT id FROM workgroups_user ORDER BY id LIMIT 1)
    INSERT INTO applications_project
        (uuid, code, name, kind, works_type, address, town_id, owner_id, source, created_at,
         updated_at, owner_credit_code, claim_code_digest)
    SELECT gen_random_uuid(), 'BENCH-' || g, 'Bench project ' || g, 'new', 'building',
           'Bench road ' || g, (SELECT id FROM town), (SELECT id FROM applicant), 'applicant',
           now(), now(), '', ''
    FROM generate_series(1, {total // per_combined}) AS g;

    INSERT INTO applications_combinedapplication
        (uuid, reference, project_id, applicant_id, business_type, joint_outside_works,
         submitted_by_id, submitted_at, registry_licence)
    SELECT gen_random_uuid(), 'BENCH' || p.id, p.id, p.owner_id, 'new_connection', false,
           (SELECT id FROM workgroups_user ORDER BY id LIMIT 1), now() - interval '30 days',
           '{{}}'::jsonb
    FROM applications_project p WHERE p.code LIKE 'BENCH-%';

    INSERT INTO applications_serviceapplication
        (uuid, combined_id, utility, workgroup_id, operator_id, status, details, fast_track,
         needs_inspection, sla_variant, survey_result, plan, required_permits,
         inspection_result, last_reason, returned_from, submitted_at, stage_entered_at, due_at,
         paused_working_days, updated_at, fee_items, suspended_from, unverified_commitments)
    SELECT gen_random_uuid(), c.id, w.code, w.id, cov.operator_id,
           CASE WHEN n.k % 3 = 0 THEN 'closed' ELSE 'constructing' END,
           '{{}}'::jsonb, false, true, '', '', '', '[]'::jsonb, '', '', '',
           now() - interval '30 days', now() - interval '20 days',
           CASE WHEN n.k % 3 = 0 THEN NULL ELSE now() + interval '10 days' END,
           0, now() - (n.k % 1000) * interval '1 minute', '[]'::jsonb, '', 0
    FROM (SELECT c.id, row_number() OVER (ORDER BY c.id) AS r
          FROM applications_combinedapplication c WHERE c.reference LIKE 'BENCH%') c
    JOIN LATERAL (SELECT w.id, w.code, row_number() OVER (ORDER BY w.id) AS i
                  FROM workgroups_workgroup w LIMIT {per_combined}) w ON true
    JOIN LATERAL (SELECT operator_id FROM workgroups_operatorcoverage oc
                  WHERE oc.utility = w.code ORDER BY oc.town_id NULLS FIRST LIMIT 1) cov ON true
    CROSS JOIN LATERAL (SELECT (c.r - 1) * {per_combined} + w.i AS k) n;

    WITH late AS (
        SELECT id FROM applications_serviceapplication
        WHERE status = 'constructing' ORDER BY id LIMIT {overdue}
    )
    UPDATE applications_serviceapplication sa
       SET due_at = now() - interval '2 days'
      FROM late WHERE sa.id = late.id;
    ANALYZE;
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)


def load_history(*, per_item: int) -> None:
    """`per_item` StateChange rows for every service application."""
    sql = f"""
    INSERT INTO applications_statechange
        (uuid, service_application_id, transition, from_state, to_state, at, comment, data,
         clock_event)
    SELECT gen_random_uuid(), sa.id, 'bench', 'submitted', 'accepted',
           now() - (g * interval '1 hour'), '', '{{}}'::jsonb, ''
    FROM applications_serviceapplication sa CROSS JOIN generate_series(1, {per_item}) AS g;
    ANALYZE applications_statechange;
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
