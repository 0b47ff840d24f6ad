"""The KPI page shows, per workgroup, the demands answered on time (issue 14 item 5): counted in
SQL in the rollup by month received, with the monthly demand analysis's rule (the first answer
by the answer deadline stamped at receipt, over the demands answered or past it)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from applications.selectors.staff import staff_scope
from coordination.services import DemandInput, demand_submit, demand_transition
from indicators.selectors.kpi import KpiFilter, kpi_demands
from indicators.services.rollup import kpi_rollup_refresh
from tests.factories import staff_of
from workgroups.models import Town

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
PERIOD = KpiFilter(first=dt.date(2025, 9, 1), last=dt.date(2025, 10, 1))


def _demand(utility: str, when: dt.datetime):
    with time_machine.travel(when, tick=False):
        return demand_submit(
            actor=None,
            data=DemandInput(
                kind="complaint",
                theme="connection",
                utility=utility,
                town=Town.objects.get(code="nanlang"),
                title="报装后迟迟未通电",
                description="工厂变压器已安装两周，仍未安排送电。",
                address="南朗街道翠亨大道8号",
                contact_name="陈先生",
                contact_mobile="13800138000",
            ),
            now=when,
        )


def _answer(actor, demand, when: dt.datetime) -> None:
    with time_machine.travel(when, tick=False):
        demand_transition(
            actor=actor, demand=demand, transition="answer", data={"answer": "已安排。"}
        )


@pytest.fixture
def demands(reference):
    """Electricity, received on Monday 15 September 2025 (answer due in 5 working days): one
    answered the next day, one answered two weeks later (late), one never answered (past due), one
    received on 30 September and not due yet when the rollup runs on 1 October. Water: one,
    answered on time."""
    lead, water_lead = staff_of("ndrc", username="kpi-ndrc"), staff_of("water-bureau")
    monday = dt.datetime(2025, 9, 15, 10, tzinfo=CST)
    on_time, late, _silent = (_demand("electricity", monday) for _ in range(3))
    _answer(lead, on_time, monday + dt.timedelta(days=1))
    _answer(lead, late, monday + dt.timedelta(days=14))
    water = _demand("water", monday)
    _answer(water_lead, water, monday + dt.timedelta(days=2))
    with time_machine.travel(dt.datetime(2025, 10, 1, 10, tzinfo=CST), tick=False):
        _demand("electricity", dt.datetime(2025, 9, 30, 10, tzinfo=CST))
        kpi_rollup_refresh()
    return lead


def test_demands_answered_on_time_per_workgroup(demands):
    office = staff_of("leadership-office", username="kpi-office")
    rows = kpi_demands(scope=staff_scope(user=office), filters=PERIOD)
    figures = {r["workgroup"]: (r["received"], r["decided"], r["on_time"]) for r in rows}
    assert figures == {"获得电力联动协调小组": (4, 3, 1), "获得用水联动协调小组": (1, 1, 1)}
    electricity = next(r for r in rows if r["received"] == 4)
    assert electricity["share_on_time"] == pytest.approx(1 / 3)


def test_a_lead_agency_sees_its_workgroups_figure_only(demands):
    rows = kpi_demands(scope=staff_scope(user=demands), filters=PERIOD)
    assert [(r["received"], r["on_time"]) for r in rows] == [(4, 1)]
    operator = staff_of("csg-zhongshan", username="kpi-operator")
    assert kpi_demands(scope=staff_scope(user=operator), filters=PERIOD) == []


def test_the_kpi_page_shows_the_demand_table(demands, client):
    client.force_login(demands)
    page = client.get(reverse("staff:kpi"), {"from": "2025-09", "to": "2025-10"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-table="demands"' in html
    assert "诉求按时答复情况" in html
    assert "33.3" in html
