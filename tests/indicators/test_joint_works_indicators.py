"""Joint works indicators: trenches avoided (participants less one per plan backfilled, by
month of backfill) and plans dug within their window, computed in SQL by the rollup; on the
staff KPI page and the public transparency page, in both languages."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from applications.models import JointWorksParticipant, JointWorksPlan
from applications.selectors.staff import staff_scope
from indicators.selectors.kpi import KpiFilter, kpi_joint_works
from indicators.services.rollup import kpi_rollup_refresh
from tests.applications.joint_works_helpers import UTILITIES, services_for
from tests.factories import UserFactory, staff_of
from workgroups.models import Organization

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
PERIOD = KpiFilter(first=dt.date(2026, 9, 1), last=dt.date(2026, 11, 1))


def _at(day: str, hour: int = 15) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


def _plan(services, *, status, window, started=None, backfilled=None, left=()):
    """A plan as its works left it (set-up only: the walk through the services is tested in
    tests/applications/test_joint_works.py)."""
    lead = Organization.objects.get(code=UTILITIES[services[0].utility][0])
    plan = JointWorksPlan.objects.create(
        project=services[0].combined.project,
        lead_operator=lead,
        road_name="和清路",
        route_description="沿和清路北侧",
        window_start=dt.date.fromisoformat(window[0]),
        window_working_days=9,
        window_end=dt.date.fromisoformat(window[1]),
        proposed_by=UserFactory(),
    )
    JointWorksPlan.objects.filter(pk=plan.pk).update(
        status=status,
        excavation_started_at=_at(started) if started else None,
        backfilled_at=_at(backfilled) if backfilled else None,
    )
    for sa in services:
        gone = sa.utility in left
        JointWorksParticipant.objects.create(
            plan=plan,
            service_application=sa,
            operator=sa.operator,
            active=not gone,
            installed_at=None if gone or not started else _at(started),
        )
    return plan


@pytest.fixture
def plans(applicant_org, applicant, project):
    def make(utilities):
        return services_for(
            utilities,
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
        )

    # October: four utilities in one trench, dug within the window (3 trenches avoided).
    _plan(
        make(["electricity", "water", "gas", "network"]),
        status="restored",
        window=("2026-10-08", "2026-10-20"),
        started="2026-10-09",
        backfilled="2026-10-15",
    )
    # November: two (one had left before the lock), backfilled after the window (1 avoided).
    _plan(
        make(["water", "electricity", "cable_tv"]),
        status="backfilled",
        window=("2026-10-20", "2026-10-30"),
        started="2026-10-21",
        backfilled="2026-11-03",
        left=("cable_tv",),
    )
    # Still digging: not counted.
    _plan(
        make(["gas", "network"]),
        status="excavating",
        window=("2026-11-02", "2026-11-20"),
        started="2026-11-03",
    )
    kpi_rollup_refresh()


def test_trenches_avoided_and_plans_on_time_per_month_of_backfill(plans):
    leadership = staff_scope(user=staff_of("leadership-office", username="kpi-office"))
    rows = kpi_joint_works(scope=leadership, filters=PERIOD)
    assert rows == [
        {"month": dt.date(2026, 11, 1), "plans": 1, "on_time": 0, "trenches_avoided": 1},
        {"month": dt.date(2026, 10, 1), "plans": 1, "on_time": 1, "trenches_avoided": 3},
    ]


def test_a_lead_agency_sees_its_own_workgroups_share(plans):
    # The water bureau: water shared the electricity trench in October and led in November.
    water = staff_scope(user=staff_of("water-bureau", username="kpi-water"))
    rows = {r["month"]: r for r in kpi_joint_works(scope=water, filters=PERIOD)}
    assert rows[dt.date(2026, 10, 1)]["trenches_avoided"] == 1
    assert rows[dt.date(2026, 10, 1)]["plans"] == 0
    assert rows[dt.date(2026, 11, 1)] == {
        "month": dt.date(2026, 11, 1),
        "plans": 1,
        "on_time": 0,
        "trenches_avoided": 0,
    }


@pytest.mark.parametrize(
    ("prefix", "title", "avoided"),
    [("", "减少开挖次数", "联合施工"), ("/en", "Trenches avoided", "Joint works")],
)
def test_the_kpi_page_shows_the_table_in_both_languages(client, plans, prefix, title, avoided):
    client.force_login(staff_of("leadership-office", username="kpi-office-page"))
    page = client.get(f"{prefix}{reverse('staff:kpi')}", {"from": "2026-09", "to": "2026-11"})
    html = page.content.decode()
    assert page.status_code == 200
    table = html[html.index(avoided) :]
    assert title in table
    assert "2026-10" in table and "2026-11" in table


@pytest.mark.parametrize(("prefix", "title"), [("", "减少开挖次数"), ("/en", "Trenches avoided")])
def test_the_public_page_shows_trenches_avoided(client, plans, prefix, title):
    html = client.get(f"{prefix}/transparency/").content.decode()
    section = html[html.index('data-table="public-joint-works"') :]
    assert title in section
    cell = section[section.index('data-col="trenches_avoided"') :]
    assert ">4<" in cell[: cell.index("</td>") + 5]
    on_time = section[section.index('data-col="joint_on_time"') :]
    assert ">50.0%<" in on_time[: on_time.index("</td>") + 5]
