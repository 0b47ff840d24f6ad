"""The monthly analysis: its figures, computed by the database, agree with a count in Python
over generated demands; its downloads read back to the same figures; it costs the same number
of queries for many demands as for few."""

import csv
import datetime as dt
import io
import random
import statistics

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination.constants import DemandKind, DemandTheme
from coordination.models import Demand
from coordination.services import demand_submit, demand_transition
from workgroups.calendar import working_days_between
from workgroups.models import Town

from .conftest import CST, client_for, demand_input

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 11, 28, 16, tzinfo=CST)
TOWNS = ["nanlang", "shiqi", "xiaolan", "zhongshangang"]
UTILITIES = ["electricity", "water", "gas"]
ANSWERER = {"electricity": "ndrc", "water": "water-bureau", "gas": "housing"}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def generate(staff, count: int, seed: int = 14) -> list[Demand]:
    """`count` demands from September to November 2025 (National Day included): random
    utility, town, theme and kind; most answered after 0 to 9 working days, some never."""
    rng = random.Random(seed)
    towns = {code: Town.objects.get(code=code) for code in TOWNS}
    made = []
    for _ in range(count):
        received = NOW - dt.timedelta(days=rng.randint(0, 88), hours=rng.randint(0, 8))
        utility = rng.choice(UTILITIES)
        demand = demand_submit(
            actor=None,
            data=demand_input(
                utility=utility,
                town=towns[rng.choice(TOWNS)],
                theme=rng.choice(DemandTheme.values),
                kind=rng.choice(DemandKind.values),
            ),
            now=received,
        )
        if rng.random() < 0.75:
            answered = received + dt.timedelta(days=rng.randint(0, 13), hours=rng.randint(0, 5))
            if answered < NOW:
                demand = demand_transition(
                    actor=staff(ANSWERER[utility]),
                    demand=demand,
                    transition="answer",
                    data={"answer": "已处理。"},
                    now=answered,
                )
        made.append(demand)
    return made


def expected(demands: list[Demand], key) -> dict:
    """The figures, counted in Python from the rows."""
    groups: dict = {}
    for demand in demands:
        groups.setdefault(key(demand), []).append(demand)
    result = {}
    for name, rows in groups.items():
        answered = [d for d in rows if d.first_answered_at is not None]
        on_time = [d for d in answered if d.first_answered_at <= d.answer_due_at]
        decided = [d for d in rows if d.first_answered_at is not None or d.answer_due_at < NOW]
        days = [working_days_between(d.submitted_at, d.first_answered_at) for d in answered]
        result[name] = [
            len(rows),
            len(answered),
            len(on_time),
            f"{100 * len(on_time) / len(decided):.1f}" if decided else "",
            f"{statistics.median(days):.1f}" if days else "",
        ]
    return result


def _in_month(demands, year, month):
    return [
        d
        for d in demands
        if d.submitted_at.astimezone(CST).year == year
        and d.submitted_at.astimezone(CST).month == month
    ]


def _table(client, name: str, **params) -> dict:
    """A table of the page, read back from its CSV download: first column -> the figures."""
    response = client.get(reverse("staff:demand_analysis"), {**params, "csv": name})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {row[0]: [int(v) if v.isdigit() else v for v in row[1:]] for row in rows[1:]}


def test_the_analysis_agrees_with_a_count_in_python(frozen, staff):
    demands = [Demand.objects.get(pk=d.pk) for d in generate(staff, 60)]
    client = client_for(staff("leadership-office"))
    october = _in_month(demands, 2025, 10)
    assert len(october) > 10
    utility = _table(client, "utility", month="2025-10")
    assert utility == expected(october, lambda d: str(d.get_utility_display()))
    assert _table(client, "theme", month="2025-10") == expected(
        october, lambda d: str(d.get_theme_display())
    )
    assert _table(client, "kind", month="2025-10") == expected(
        october, lambda d: str(d.get_kind_display())
    )
    assert _table(client, "town", month="2025-10") == expected(october, lambda d: d.town.name_zh)
    trend = _table(client, "trend", month="2025-11")
    assert len(trend) == 12
    assert trend["2024-12"] == [0, 0, 0, "", ""]
    months = expected(demands, lambda d: d.submitted_at.astimezone(CST).strftime("%Y-%m"))
    for month, figures in months.items():
        assert trend[month] == figures, month


def test_a_lead_agency_analyses_its_own_workgroup_only(frozen, staff):
    demands = [Demand.objects.get(pk=d.pk) for d in generate(staff, 30, seed=3)]
    client = client_for(staff("ndrc"))
    page = client.get(reverse("staff:demand_analysis"), {"month": "2025-10"})
    assert page.status_code == 200
    electricity = [d for d in _in_month(demands, 2025, 10) if d.utility == "electricity"]
    html = page.content.decode()
    assert f'data-figure="received">{len(electricity)}<' in html
    # Asking for another workgroup's figures gives its own again, never another's.
    from workgroups.models import Workgroup

    water = Workgroup.objects.get(code="water").pk
    theirs = _table(client, "utility", month="2025-10", workgroup=water)
    assert set(theirs) <= {"电力"}


def test_the_excel_download_reads_back_to_the_page_figures(frozen, staff):
    generate(staff, 20, seed=5)
    client = client_for(staff("leadership-office"))
    csv_rows = _table(client, "theme", month="2025-10")
    response = client.get(reverse("staff:demand_analysis"), {"month": "2025-10", "xlsx": "theme"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "主题"
    # Figures are numbers in Excel (a missing one empty), the same numbers as in the CSV.

    def number(value) -> float | None:
        return None if value in (None, "") else float(value)

    read = {row[0]: [number(v) for v in row[1:]] for row in rows[1:]}
    assert read == {k: [number(v) for v in vs] for k, vs in csv_rows.items()}
    assert all(isinstance(row[1], int) for row in rows[1:])


def test_the_analysis_costs_the_same_queries_for_many_demands(
    frozen, staff, django_assert_max_num_queries
):
    client = client_for(staff("leadership-office"))
    generate(staff, 3, seed=1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("staff:demand_analysis"), {"month": "2025-10"}).status_code == 200
    generate(staff, 40, seed=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("staff:demand_analysis"), {"month": "2025-10"}).status_code == 200


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12", "2100-01", "2025-13", "x"])
def test_a_month_out_of_bounds_shows_the_current_month_not_an_error(frozen, staff, month):
    client = client_for(staff("leadership-office"))
    page = client.get(reverse("staff:demand_analysis"), {"month": month})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="2025-11"' in html
    trend = client.get(reverse("staff:demand_analysis"), {"month": month, "csv": "trend"})
    assert trend.status_code == 200
