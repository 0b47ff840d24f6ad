"""The public transparency page: the published figures match the cases behind them, nobody's
personal data appears, and it reads in Chinese by default and in English under /en/."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from applications.constants import ServiceStatus, Utility
from applications.models import Rating, StateChange
from applications.selectors.staff import StaffScope
from indicators.selectors.kpi import KpiFilter, kpi_as_of, kpi_connections, kpi_stages
from indicators.selectors.public import transparency_figures
from indicators.services.rollup import kpi_rollup_refresh
from tests.factories import ProjectFactory, UserFactory, make_service, member_of
from workgroups.constants import OrganizationKind
from workgroups.services import organization_upsert

pytestmark = pytest.mark.django_db

CST = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=CST)
# Distinctive personal data of the applicant: none of it may reach the public page.
PERSONAL = {
    "company_zh": "中山市独一无二精密制造有限公司",
    "company_en": "Unmistakable Precision Manufacturing",
    "credit_code": "91442000MA4WZZZZ9X",
    "mobile": "13987650123",
    "email": "wang.unmistakable@example.cn",
    "person": "王独特",
    "project_name": "翠亨独特智造园三期",
    "project_code": "2026-442000-48-01-987654",
    "address": "中山市南朗街道独特路88号",
}


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


@pytest.fixture
def figures_fixture(reference):
    org = organization_upsert(
        code="unmistakable",
        name_zh=PERSONAL["company_zh"],
        name_en=PERSONAL["company_en"],
        kind=OrganizationKind.APPLICANT_COMPANY,
        unified_social_credit_code=PERSONAL["credit_code"],
    )
    person = member_of(
        org,
        username=PERSONAL["mobile"],
        email=PERSONAL["email"],
        first_name=PERSONAL["person"],
    )
    project = ProjectFactory(
        owner=org,
        created_by=person,
        name=PERSONAL["project_name"],
        code=PERSONAL["project_code"],
        address=PERSONAL["address"],
    )

    def connected(utility, submitted, done, fee=None, paused=0, operator="csg-zhongshan"):
        return make_service(
            applicant_org=org,
            applicant=person,
            project=project,
            utility=utility,
            operator_code=operator,
            status=ServiceStatus.CONNECTED,
            submitted_at=at(submitted),
            connected_at=at(done, 16),
            fee_quote_cny=fee,
            paused_working_days=paused,
        )

    # Electricity: 4, 6 (8 minus 2 paused) and 2 working days; fees 1000, 3000, 2000.
    a = connected("electricity", "2026-06-01", "2026-06-05", Decimal("1000"))
    b = connected("electricity", "2026-06-08", "2026-06-18", Decimal("3000"), paused=2)
    c = connected("electricity", "2026-07-01", "2026-07-03", Decimal("2000"))
    # More than 12 months ago: not counted.
    connected("electricity", "2025-06-02", "2025-06-30", Decimal("90000"))
    # Water: one connection of 3 working days, no fee.
    connected("water", "2026-09-01", "2026-09-04", operator="zs-water")

    # Electricity stages: acceptance on time, the next stage late -> 1 of 2 on time.
    t0 = at("2026-06-01")
    for transition, stage, when, due in (
        ("submit", ServiceStatus.SUBMITTED, t0, t0 + dt.timedelta(days=1)),
        ("accept", ServiceStatus.ACCEPTED, t0 + dt.timedelta(hours=2), t0 + dt.timedelta(days=3)),
        ("connect", ServiceStatus.CONNECTED, t0 + dt.timedelta(days=4), None),
    ):
        StateChange.objects.create(
            service_application=a,
            transition=transition,
            from_state="",
            to_state=stage,
            at=when,
            due_at=due,
        )
    # What the applicants had to do: a filed once; b filed, corrected and confirmed; c filed.
    # Withdrawing is not a step towards a connection: c's (undone) withdrawal does not count.
    for sa, steps in ((b, ("submit", "resubmit", "confirm_plan")), (c, ("submit", "withdraw"))):
        for transition in steps:
            StateChange.objects.create(
                service_application=sa,
                transition=transition,
                from_state="",
                to_state="",
                at=at("2026-06-10"),
            )
    # Ratings: two content, one dissatisfied -> 66.7 % satisfied.
    for sa, level in ((a, "very_satisfied"), (b, "dissatisfied"), (c, "basically_satisfied")):
        Rating.objects.create(
            service_application=sa,
            level=level,
            comment=f"{PERSONAL['person']} 的评价",
            rated_by=person,
            organization=org,
            created_at=at("2026-08-01"),
        )
    # The figures come from the indicators rollup, as on the staff dashboard.
    kpi_rollup_refresh()
    cache.clear()


def _row(figures, utility):
    return next(u for u in figures["utilities"] if u["utility"] == utility)


@time_machine.travel(NOW, tick=False)
def test_figures_match_the_cases_of_the_last_twelve_months(figures_fixture):
    figures = transparency_figures()
    power = _row(figures, "electricity")
    assert power["connections"] == 3
    assert power["working_days_avg"] == 4.0
    assert power["working_days_median"] == 4.0
    assert power["fee_median"] == 2000.0
    assert power["steps_median"] == 1.0  # 1, 3 and 1 steps
    assert power["on_time_share"] == 50.0
    assert power["ratings"] == 3
    assert power["satisfaction_share"] == 66.7
    assert power["counter_visits"] == 0
    water = _row(figures, "water")
    assert (water["connections"], water["working_days_median"], water["fee_median"]) == (
        1,
        3.0,
        None,
    )
    gas = _row(figures, "gas")
    assert gas["connections"] == 0 and gas["working_days_avg"] is None
    # Published standards: the workgroup's SLAs and the registry's documents.
    assert {s["stage"] for s in power["slas"]} >= {"submitted", "accepted", "inspecting"}
    assert "business_licence" in power["documents"]
    assert "electrical_equipment" in power["documents"]
    assert "gas_equipment" not in power["documents"]


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_the_figures_in_the_indicator_table(client, figures_fixture):
    html = client.get("/en/transparency/").content.decode()
    power = html[html.index('<tr data-utility="electricity">') :]
    power = power[: power.index("</tr>")]
    for col, value in (
        ("connections", ">3<"),
        ("working_days_avg", ">4.0<"),
        ("working_days_median", ">4.0<"),
        ("fee_median", ">2000.00<"),
        ("steps_median", ">1.0<"),
        ("on_time_share", ">50.0%<"),
        ("counter_visits", ">0<"),
    ):
        cell = power[power.index(f'data-col="{col}"') :]
        assert value in cell[: cell.index("</td>") + 5], col
    assert "66.7%" in power


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_no_personal_data_anywhere_on_the_page(client, figures_fixture, prefix):
    response = client.get(f"{prefix}/transparency/")
    assert response.status_code == 200
    html = response.content.decode()
    for label, value in PERSONAL.items():
        assert value not in html, label


@time_machine.travel(NOW, tick=False)
def test_constant_queries_and_cached_until_the_next_refresh(figures_fixture):
    with CaptureQueriesContext(connection) as first:
        transparency_figures()
    assert 0 < len(first) <= 6  # figures, joint works, as-of, standards, fees, cache (one each)
    with CaptureQueriesContext(connection) as again:
        transparency_figures()
    assert len(again) == 1  # when the figures were refreshed: the cache key
    # Ten times the connections: still the same number of queries.
    org_user = UserFactory(username="bulk-maker")
    project = ProjectFactory(created_by=org_user, owner=Rating.objects.first().organization)
    for _ in range(10):
        make_service(
            applicant_org=project.owner,
            applicant=org_user,
            project=project,
            status=ServiceStatus.CONNECTED,
            submitted_at=at("2026-10-12"),
            connected_at=at("2026-10-16"),
        )
    # Until the rollup is refreshed, the page shows the figures as of the last refresh.
    assert _row(transparency_figures(), "electricity")["connections"] == 3
    kpi_rollup_refresh()
    with CaptureQueriesContext(connection) as more:
        figures = transparency_figures()
    assert len(more) == len(first)
    assert _row(figures, "electricity")["connections"] == 13


def test_chinese_by_default_english_under_en(client, reference):
    chinese = client.get("/transparency/")
    english = client.get("/en/transparency/")
    assert chinese.status_code == english.status_code == 200
    with translation.override("zh-hans"):
        power_zh = str(Utility.ELECTRICITY.label)
    assert power_zh != "Electricity"
    assert 'lang="zh-hans"' in chinese.content.decode()
    assert power_zh in chinese.content.decode()
    assert 'lang="en"' in english.content.decode()
    assert '<th scope="row">Electricity</th>' in english.content.decode()


def test_linked_from_every_page_footer(client, reference):
    assert 'href="/transparency/"' in client.get("/").content.decode()
    assert 'href="/en/transparency/"' in client.get("/en/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_figures_are_the_staff_dashboards_over_the_same_twelve_months(figures_fixture):
    filters = KpiFilter.last_months(NOW.date())
    leadership = StaffScope(oversight=True)
    figures = transparency_figures()
    assert (figures["first"], figures["last"]) == (filters.first, filters.last)
    connected: dict[str, int] = {}
    for row in kpi_connections(scope=leadership, filters=filters):
        connected[row["utility"]] = connected.get(row["utility"], 0) + row["connected"]
    stages = kpi_stages(scope=leadership, filters=filters)
    for utility in Utility.values:
        public = _row(figures, utility)
        assert public["connections"] == connected.get(utility, 0), utility
        clocked = [r for r in stages if r["utility"] == utility and r["on_time"] is not None]
        left, on_time = sum(r["n"] for r in clocked), sum(r["on_time"] for r in clocked)
        assert public["on_time_share"] == (round(100 * on_time / left, 1) if left else None)


@time_machine.travel(NOW, tick=False)
def test_the_page_says_when_the_figures_were_computed(client, figures_fixture):
    html = client.get("/en/transparency/").content.decode()
    as_of = timezone.localtime(kpi_as_of()).strftime("%Y-%m-%d %H:%M")
    assert f"Figures as of {as_of}" in html
    assert "from 2025-12 to 2026-11" in html
