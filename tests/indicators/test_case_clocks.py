"""The per-case clock in SQL agrees with the Python clock the pages show, case by case, on
generated histories across holidays; the rollup's medians by party come from it."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from applications.case_clock import case_clock
from applications.constants import Party, ServiceStatus
from applications.models import StateChange
from applications.selectors.staff import staff_scope
from indicators.models import CaseClockRow
from indicators.selectors.kpi import KpiFilter, kpi_party_shares
from indicators.services.rollup import kpi_rollup_refresh
from tests.factories import make_service, staff_of

CST = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 30, 9, tzinfo=CST)
PERIOD = {"from": "2026-10", "to": "2026-11"}
S = ServiceStatus
# The main road of a case, with the detours a generated history may take.
ROAD = [
    ("accept", S.ACCEPTED),
    ("start_survey", S.SURVEYING),
    ("issue_plan", S.PLAN_ISSUED),
    ("confirm_plan", S.PERMITTING),
    ("permits_approved", S.CONSTRUCTING),
    ("complete_construction", S.INSPECTING),
    ("connect", S.CONNECTED),
    ("close", S.CLOSED),
]


def _history(rng: random.Random, start: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    """A random but plausible history: corrections at intake, a permit returned to the
    applicant, withdrawal, or a case still running; moments spread over days and hours,
    several on one day."""
    at = start
    rows = [("submit", S.SUBMITTED, at)]

    def step() -> dt.datetime:
        return at + dt.timedelta(hours=rng.choice([0, 1, 5, 20, 26, 49, 75, 170, 250]))

    while rng.random() < 0.3:
        at = step()
        rows.append(("return_for_correction", S.RETURNED, at))
        at = step()
        rows.append(("resubmit", S.SUBMITTED, at))
    stop = rng.randrange(len(ROAD) + 2)
    for i, (transition, state) in enumerate(ROAD):
        if i == stop:
            if state != S.CLOSED and rng.random() < 0.3:  # a connected case is not withdrawn
                at = step()
                rows.append(("withdraw", S.WITHDRAWN, at))
            break
        if state == S.CONSTRUCTING and rng.random() < 0.3:
            at = step()
            rows.append(("permit_returned", S.RETURNED, at))
            at = step()
            rows.append(("resubmit", S.PERMITTING, at))
        at = step()
        rows.append((transition, state, at))
        if state != S.CONNECTED and state != S.CLOSED and rng.random() < 0.15:
            at = step()  # the applicant had to come to a counter: counted, no new stage
            rows.append(("record_visit", state, at))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_and_python_agree_case_by_case(seed, applicant_org, applicant, project):
    rng = random.Random(seed)
    # Around the Spring Festival and National Day holidays and their make-up Saturdays.
    starts = [dt.datetime(2026, 2, 9, 9, tzinfo=CST), dt.datetime(2026, 9, 21, 15, tzinfo=CST)]
    cases, last = [], starts[0]
    for _ in range(40):
        start = rng.choice(starts) + dt.timedelta(hours=rng.randrange(0, 24 * 12))
        sa = make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            fee_quote_cny=rng.choice([None, 0, 1200, "88000.50"]),
        )
        rows = _history(rng, start)
        StateChange.objects.bulk_create(
            StateChange(service_application=sa, transition=t, from_state=f, to_state=s, at=a)
            for (t, s, a), f in zip(rows, ["draft"] + [s for _t, s, _a in rows], strict=False)
        )
        cases.append(sa)
        last = max(last, rows[-1][2])
    now = last + dt.timedelta(hours=rng.randrange(1, 100))  # some cases still running
    with time_machine.travel(now, tick=False):
        kpi_rollup_refresh()

    sql = {r.service_application_id: r for r in CaseClockRow.objects.all()}
    assert set(sql) == {sa.pk for sa in cases}
    for sa in cases:
        sa.refresh_from_db()
        changes = list(StateChange.objects.filter(service_application=sa, permit_request=None))
        py = case_clock(changes, fee_cny=sa.fee_quote_cny, now=now)
        row = sql[sa.pk]
        assert (
            row.working_days,
            row.calendar_days,
            row.government_days,
            row.operator_days,
            row.applicant_days,
            row.procedures,
            row.running,
            row.fee_cny,
        ) == (
            py.working_days,
            py.calendar_days,
            py.working_by_party[Party.GOVERNMENT],
            py.working_by_party[Party.OPERATOR],
            py.working_by_party[Party.APPLICANT],
            py.procedures,
            py.running,
            sa.fee_quote_cny,
        ), f"case {sa.pk}: {[(c.transition, c.at) for c in changes]}"
        assert (row.connected_month is not None) == any(c.to_state == S.CONNECTED for c in changes)


@pytest.fixture
def three_connected(applicant_org, applicant, project):
    """Three connected power cases in October 2026, each stage held whole working days."""

    def connected(days: dict[str, int]) -> None:
        # Each stage held for whole working days in October 2026 (after the holiday).
        sa = make_service(applicant_org=applicant_org, applicant=applicant, project=project)
        at = dt.datetime(2026, 10, 12, 10, tzinfo=CST)  # a Monday
        plan = [
            ("submit", S.SUBMITTED, days["operator"]),
            ("accept", S.ACCEPTED, 0),
            ("start_survey", S.SURVEYING, 0),
            ("issue_plan", S.PLAN_ISSUED, days["applicant"]),
            ("confirm_plan", S.PERMITTING, days["government"]),
            ("permits_approved", S.CONSTRUCTING, 0),
            ("complete_construction", S.INSPECTING, 0),
            ("connect", S.CONNECTED, 0),
        ]
        rows = []
        for transition, state, held in plan:
            rows.append(
                StateChange(
                    service_application=sa,
                    transition=transition,
                    from_state="",
                    to_state=state,
                    at=at,
                )
            )
            for _ in range(held):
                at += dt.timedelta(days=1)
                while at.weekday() >= 5:
                    at += dt.timedelta(days=1)
            at += dt.timedelta(minutes=1)
        StateChange.objects.bulk_create(rows)

    connected({"operator": 2, "applicant": 1, "government": 1})  # 4 days: 50 / 25 / 25
    connected({"operator": 4, "applicant": 2, "government": 2})  # 8 days: 50 / 25 / 25
    connected({"operator": 1, "applicant": 0, "government": 3})  # 4 days: 25 / 0 / 75
    with time_machine.travel(NOW, tick=False):
        kpi_rollup_refresh()


def test_medians_by_party_per_utility_and_month(three_connected):
    """The medians by party are the middle figures of the three cases, part by part."""
    scope = staff_scope(user=staff_of("leadership-office"))
    rows = kpi_party_shares(
        scope=scope, filters=KpiFilter(first=dt.date(2026, 10, 1), last=dt.date(2026, 11, 1))
    )
    [row] = [r for r in rows if r["utility"] == "electricity"]
    assert row["connected"] == 3
    assert row["days"] == {"government": 2, "operator": 2, "applicant": 1}
    assert row["share"] == {"government": 25, "operator": 50, "applicant": 25}


def test_the_staff_page_lists_medians_by_party_and_the_longest_holds(three_connected, client):
    client.force_login(staff_of("leadership-office"))
    with time_machine.travel(NOW, tick=False):
        tables = client.get(reverse("staff:kpi"), PERIOD).context["tables"]
    [row] = tables["parties"]["rows"]
    # Utility, month, connected, days (government, operator, applicant), shares, procedures.
    assert row[:9] == ["电力", "2026-10", 3, "2.0", "2.0", "1.0", "25.0", "50.0", "25.0"]
    holds = [(r[3], r[5], r[6]) for r in tables["holds"]["rows"]]
    assert holds == [("公用服务企业", 4, 8), ("政府部门", 3, 4), ("公用服务企业", 2, 4)]


@pytest.mark.parametrize(("prefix", "label"), [("", "政府审批"), ("/en", "Government approvals")])
def test_the_public_page_publishes_the_medians_by_party(three_connected, client, prefix, label):
    with time_machine.travel(NOW, tick=False):
        html = client.get(f"{prefix}/transparency/").content.decode()
    table = html[html.index('data-table="public-parties"') :]
    table = table[: table.index("</table>")]
    assert label in table
    row = table[table.index('data-utility="electricity"') :]
    assert 'data-col="government">2.0<' in row
    assert 'data-col="operator">2.0<' in row
    assert 'data-col="applicant">1.0<' in row
