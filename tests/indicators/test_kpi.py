"""The KPI dashboard: every figure checked against a hand-computed fixture that crosses
National Day 2025 (1-8 October off, Sunday 28 September and Saturday 11 October worked), with a
correction pause and a plan confirmation held by the applicant; computed in SQL from the
rollup the periodic task rebuilds."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.constants import ServiceStatus
from applications.models import Escalation, Rating, StateChange
from indicators.services.rollup import APPLICANT_STEPS, kpi_rollup_refresh
from indicators.tasks import kpi_refresh_task
from notifications.models import DemandNotice, DemandSignal
from tests.factories import make_service, staff_of
from workgroups.calendar import add_working_days, working_days_between
from workgroups.models import Organization, Town, Workgroup

CST = ZoneInfo("Asia/Shanghai")
PERIOD = {"from": "2025-09", "to": "2025-10"}


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


def history(sa, applicant, steps):
    """StateChange rows as the services write them: each stage entry stamps its deadline
    (`sla` working days after entry), applicant steps carry the applicant as actor."""
    state = "draft"
    for transition, to_state, moment, sla in steps:
        StateChange.objects.create(
            service_application=sa,
            transition=transition,
            from_state=state,
            to_state=to_state,
            at=moment,
            due_at=add_working_days(moment, sla) if sla else None,
            actor=applicant if transition in {"submit", "resubmit", "confirm_plan"} else None,
        )
        state = to_state


@pytest.fixture
def cases(applicant_org, applicant, project):
    """Electricity (中山供电局):
    A: Fri 26 Sep -> Mon 13 Oct 2025, fast track: 7 working days, 2 of them held by the
       applicant for a correction -> 5; 17 calendar days; 2 applicant steps (submit,
       resubmit); rated satisfied; an escalation that reached tier 2.
       Stages: submitted 26 Sep -> 29 Sep = 2 WD (Sunday 28 worked), due end of Sun 28: late;
       returned 29 Sep -> 9 Oct = 2 WD (30 Sep, 9 Oct); submitted 9 -> 10 Oct = 1 WD, on time;
       accepted 10 -> Sat 11 Oct (worked) = 1 WD, on time; constructing 11 -> 13 Oct = 1 WD.
    B: Tue 14 Oct -> Fri 24 Oct 2025: 8 working days, 1 held for plan confirmation -> 7; 10
       calendar days; 2 applicant steps (submit, confirm plan); rated dissatisfied; an
       escalation at tier 1. Stages: submitted 14 -> 16 Oct = 2 WD, due end of 15 Oct: late;
       accepted 0 WD; surveying 1 WD; plan issued 1 WD; constructing 2 WD; inspecting 22 -> 24
       Oct = 2 WD, due end of 23 Oct: late.
    Water (中山公用水务): C: Mon 20 Oct -> Thu 23 Oct 2025, fast track: 3 working days, 1 step,
       every stage on time (submitted 1 WD, accepted 0, constructing 2)."""

    def make(submitted, connected_at, paused, fee, **kwargs):
        return make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            status=ServiceStatus.CONNECTED,
            submitted_at=submitted,
            connected_at=connected_at,
            paused_working_days=paused,
            fee_quote_cny=Decimal(fee),
            **kwargs,
        )

    a = make(at("2025-09-26"), at("2025-10-13", 16), 2, "1000.00", fast_track=True)
    history(
        a,
        applicant,
        [
            ("submit", ServiceStatus.SUBMITTED, at("2025-09-26"), 1),
            ("return_for_correction", ServiceStatus.RETURNED, at("2025-09-29"), 0),
            ("resubmit", ServiceStatus.SUBMITTED, at("2025-10-09"), 1),
            ("accept", ServiceStatus.ACCEPTED, at("2025-10-10", 9), 3),
            ("start_construction", ServiceStatus.CONSTRUCTING, at("2025-10-11"), 15),
            ("connect", ServiceStatus.CONNECTED, at("2025-10-13", 16), 0),
        ],
    )
    b = make(at("2025-10-14"), at("2025-10-24", 9), 1, "2000.00")
    history(
        b,
        applicant,
        [
            ("submit", ServiceStatus.SUBMITTED, at("2025-10-14"), 1),
            ("accept", ServiceStatus.ACCEPTED, at("2025-10-16", 9), 1),
            ("start_survey", ServiceStatus.SURVEYING, at("2025-10-16", 15), 3),
            ("issue_plan", ServiceStatus.PLAN_ISSUED, at("2025-10-17"), 0),
            ("confirm_plan", ServiceStatus.CONSTRUCTING, at("2025-10-20"), 15),
            ("complete_construction", ServiceStatus.INSPECTING, at("2025-10-22"), 1),
            ("connect", ServiceStatus.CONNECTED, at("2025-10-24", 9), 0),
        ],
    )
    c = make(
        at("2025-10-20"),
        at("2025-10-23", 11),
        0,
        "500.00",
        utility="water",
        operator_code="zs-water",
        fast_track=True,
    )
    history(
        c,
        applicant,
        [
            ("submit", ServiceStatus.SUBMITTED, at("2025-10-20"), 1),
            ("accept", ServiceStatus.ACCEPTED, at("2025-10-21"), 3),
            ("start_construction", ServiceStatus.CONSTRUCTING, at("2025-10-21", 14), 15),
            ("connect", ServiceStatus.CONNECTED, at("2025-10-23", 11), 0),
        ],
    )
    Escalation.objects.create(
        service_application=a, stage="submitted", breached_due_at=at("2025-09-29", 0), tier=2
    )
    Escalation.objects.create(
        service_application=b, stage="submitted", breached_due_at=at("2025-10-16", 0)
    )
    for sa, level, day in ((a, "satisfied", "2025-10-20"), (b, "dissatisfied", "2025-10-27")):
        Rating.objects.create(
            service_application=sa,
            level=level,
            rated_by=applicant,
            organization=applicant_org,
            created_at=at(day),
        )
    demand_notices()
    kpi_rollup_refresh()
    return a, b, c


def demand_notices():
    """中山供电局: sent Tue 30 Sep 15:00, acknowledged Thu 9 Oct (1 WD across the holiday: in
    time); sent Fri 10 Oct 17:00, acknowledged Mon 13 Oct (2 WD: Saturday 11 was worked: late);
    sent Mon 13 Oct, never acknowledged. 中山公用水务: sent and acknowledged on Mon 20 Oct."""
    town = Town.objects.get(code="nanlang")
    source = Organization.objects.get(code="ndrc")
    for code, sent, acked in (
        ("csg-zhongshan", at("2025-09-30", 15), at("2025-10-09", 9)),
        ("csg-zhongshan", at("2025-10-10", 17), at("2025-10-13")),
        ("csg-zhongshan", at("2025-10-13"), None),
        ("zs-water", at("2025-10-20", 9), at("2025-10-20", 11)),
    ):
        signal = DemandSignal.objects.create(
            kind="land_sale", source_organization=source, title="地块", town=town, created_at=sent
        )
        DemandNotice.objects.create(
            signal=signal,
            operator=Organization.objects.get(code=code),
            created_at=sent,
            acknowledged_at=acked,
            status="acknowledged" if acked else "new",
        )


def test_fixture_matches_the_clock(cases):
    a, b, c = cases
    assert working_days_between(a.submitted_at, a.connected_at) == 7
    assert working_days_between(b.submitted_at, b.connected_at) == 8
    assert working_days_between(c.submitted_at, c.connected_at) == 3


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _tables(user, params=PERIOD):
    client = _client(user)
    response = client.get(reverse("staff:kpi"), params)
    assert response.status_code == 200
    return response.context["tables"], client


@pytest.mark.django_db
def test_leadership_office_sees_the_hand_computed_numbers(cases):
    tables, client = _tables(staff_of("leadership-office", username="lo"))
    # Electricity: working days [5, 7] -> median 6, p90 6.8; calendar days [17, 10] -> 13.5,
    # 16.3; steps [2, 2]; fees [1000, 2000].
    assert tables["connections"]["rows"] == [
        ["电力", "2025-10", 2, "6.0", "6.8", "13.5", "16.3", "2.0", 0, "1500.00"],
        ["供水", "2025-10", 1, "3.0", "3.0", "3.0", "3.0", "1.0", 0, "500.00"],
    ]
    assert tables["stages"]["rows"] == [
        ["电力", "已提交", 3, "2.0", "2.0", 1, "33.3"],  # [2, 1, 2]: A late, A on time, B late
        ["电力", "退回补正", 1, "2.0", "2.0", "", ""],  # held by the applicant: no deadline
        ["电力", "已受理", 2, "0.5", "0.9", 2, "100.0"],  # [1, 0]
        ["电力", "现场勘查", 1, "1.0", "1.0", 1, "100.0"],
        ["电力", "已答复方案，待确认", 1, "1.0", "1.0", "", ""],
        ["电力", "外线施工", 2, "1.5", "1.9", 2, "100.0"],  # [1, 2]
        ["电力", "竣工验收", 1, "2.0", "2.0", 0, "0.0"],  # due end of 23 Oct, left 24 Oct
        ["供水", "已提交", 1, "1.0", "1.0", 1, "100.0"],
        ["供水", "已受理", 1, "0.0", "0.0", 1, "100.0"],
        ["供水", "外线施工", 1, "2.0", "2.0", 1, "100.0"],
    ]
    assert tables["applications"]["rows"] == [
        ["电力", "2025-10", 1, 0, "0.0", 1, 1, 0, 0],
        ["供水", "2025-10", 1, 0, "0.0", 0, 0, 0, 0],
        ["电力", "2025-09", 1, 1, "100.0", 1, 0, 1, 0],
    ]
    assert tables["ratings"]["rows"] == [["电力", 0, 1, 0, 1, 0, 2]]
    assert tables["notices"]["rows"] == [
        ["中山供电局", "2025-10", 2, 0, "0.0"],
        ["中山公用水务投资有限公司", "2025-10", 1, 1, "100.0"],
        ["中山供电局", "2025-09", 1, 1, "100.0"],
    ]

    response = client.get(reverse("staff:kpi"), {**PERIOD, "csv": "connections"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["电力", "2025-10", "2", "6.0", "6.8", "13.5", "16.3", "2.0", "0", "1500.00"]


@pytest.mark.django_db
def test_the_page_draws_both_charts_from_its_figures(cases):
    client = _client(staff_of("leadership-office", username="lo"))
    response = client.get(reverse("staff:kpi"), PERIOD)
    charts = response.context["charts"]
    assert charts["months"] == ["2025-09", "2025-10"]
    assert charts["series"] == [("电力", [None, 6.0]), ("供水", [None, 3.0])]
    # All stages with a deadline over both utilities: submitted 2/4, accepted 3/3, ...
    assert dict(charts["on_time"])["已提交"] == 50.0
    assert dict(charts["on_time"])["竣工验收"] == 0.0
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 2
    assert "数据截至" in html or "Figures as of" in html


def _normalise(value):
    """A page cell and an Excel cell compare equal when they hold the same number or text."""
    if value in (None, ""):
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["connections", "parties", "holds", "stages", "applications", "ratings", "notices"]
)
def test_every_table_downloads_as_excel_with_the_rows_of_the_page(cases, name):
    tables, client = _tables(staff_of("leadership-office", username="lo"))
    response = client.get(reverse("staff:kpi"), {**PERIOD, "xlsx": name})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [str(h) for h in tables[name]["headers"]]
    assert [[_normalise(v) for v in row] for row in rows[1:]] == [
        [_normalise(v) for v in row] for row in tables[name]["rows"]
    ]


@pytest.mark.django_db
def test_the_default_period_is_the_last_twelve_months(cases, time_machine):
    time_machine.move_to(at("2026-09-30"))
    tables, _ = _tables(staff_of("leadership-office", username="lo"), params={})
    assert [row[1] for row in tables["connections"]["rows"]] == ["2025-10", "2025-10"]
    time_machine.move_to(at("2026-11-01"))
    tables, _ = _tables(staff_of("leadership-office", username="lo2"), params={})
    assert tables["connections"]["rows"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "utilities", "operators"),
    [
        ("csg-zhongshan", {"电力"}, {"中山供电局"}),
        ("ndrc", {"电力"}, {"中山供电局"}),
        ("water-bureau", {"供水"}, {"中山公用水务投资有限公司"}),
        ("housing", set(), set()),
    ],
)
def test_kpis_cover_only_the_callers_applications(code, utilities, operators, cases):
    tables, _ = _tables(staff_of(code, username=f"kpi-{code}"))
    for name in ("connections", "stages", "applications", "ratings"):
        assert {row[0] for row in tables[name]["rows"]} <= utilities
    assert {row[0] for row in tables["connections"]["rows"]} == utilities
    assert {row[0] for row in tables["notices"]["rows"]} == operators


@pytest.mark.django_db
def test_an_applicant_gets_no_indicators(cases, applicant):
    response = _client(applicant).get(reverse("staff:kpi"), PERIOD)
    assert response.status_code == 403
    response = Client().get(reverse("staff:kpi"), PERIOD)
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_page_runs_the_same_queries_however_many_cases(
    cases, applicant_org, applicant, project
):
    client = _client(staff_of("leadership-office", username="lo"))
    client.get(reverse("staff:kpi"), PERIOD)  # per-process caches (the calendar) warm
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("staff:kpi"), PERIOD).status_code == 200
    for day in range(1, 21):
        sa = make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            utility=("electricity", "water", "gas")[day % 3],
            operator_code=("csg-zhongshan", "zs-water", "towngas-zs")[day % 3],
            status=ServiceStatus.CONNECTED,
            submitted_at=at(f"2025-09-{day:02d}"),
            connected_at=at(f"2025-10-{day:02d}"),
            fee_quote_cny=Decimal(day * 100),
        )
        history(sa, applicant, [("submit", "submitted", at(f"2025-09-{day:02d}"), 1)])
    kpi_rollup_refresh()
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("staff:kpi"), PERIOD)
    assert len(response.context["tables"]["connections"]["rows"]) == 3
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
def test_the_periodic_task_brings_the_figures_up_to_date(
    cases, applicant_org, applicant, project, settings
):
    assert settings.CELERY_BEAT_SCHEDULE["kpi-refresh"]["task"] == "indicators.kpi_refresh"
    client = _client(staff_of("leadership-office", username="lo"))
    sa = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        utility="gas",
        operator_code="towngas-zs",
        status=ServiceStatus.CONNECTED,
        submitted_at=at("2025-10-27"),
        connected_at=at("2025-10-29"),
    )
    history(sa, applicant, [("submit", "submitted", at("2025-10-27"), 1)])
    utilities = [
        r[0]
        for r in client.get(reverse("staff:kpi"), PERIOD).context["tables"]["connections"]["rows"]
    ]
    assert utilities == ["电力", "供水"]  # not yet in the figures

    with time_machine.travel(at("2026-03-02", 9), tick=False):
        kpi_refresh_task.apply().get()
    response = client.get(reverse("staff:kpi"), PERIOD)
    utilities = [r[0] for r in response.context["tables"]["connections"]["rows"]]
    assert utilities == ["电力", "供水", "燃气"]
    assert "2026-03-02 09:00" in response.content.decode()


@pytest.mark.django_db
def test_the_leadership_office_can_look_at_one_workgroup(cases):
    water = Workgroup.objects.get(code="water")
    tables, _ = _tables(
        staff_of("leadership-office", username="lo"), params={**PERIOD, "workgroup": water.pk}
    )
    assert tables["connections"]["rows"] == [
        ["供水", "2025-10", 1, "3.0", "3.0", "3.0", "3.0", "1.0", 0, "500.00"]
    ]
    assert {row[0] for row in tables["stages"]["rows"]} == {"供水"}
    assert tables["notices"]["rows"] == [["中山公用水务投资有限公司", "2025-10", 1, 1, "100.0"]]


@pytest.mark.django_db
def test_a_lead_agency_cannot_choose_another_workgroup(cases):
    power = Workgroup.objects.get(code="electricity")
    user = staff_of("water-bureau", username="wb")
    tables, _ = _tables(user, params={**PERIOD, "workgroup": power.pk})
    assert {row[0] for row in tables["connections"]["rows"]} == {"供水"}


@pytest.mark.django_db
def test_a_second_refresh_gives_the_same_figures(cases):
    user = staff_of("leadership-office", username="lo")
    before, _ = _tables(user)
    kpi_rollup_refresh()
    after, _ = _tables(user)
    assert {name: t["rows"] for name, t in after.items()} == {
        name: t["rows"] for name, t in before.items()
    }


@pytest.mark.django_db
def test_downloads_hold_only_what_the_caller_may_see(cases):
    client = _client(staff_of("zs-water", username="water"))
    response = client.get(reverse("staff:kpi"), {**PERIOD, "csv": "notices"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1:] == [["中山公用水务投资有限公司", "2025-10", "1", "1", "100.0"]]


def test_withdrawing_is_not_an_applicant_step():
    assert "withdraw" not in APPLICANT_STEPS
    assert {"submit", "resubmit", "confirm_plan"} <= set(APPLICANT_STEPS)
