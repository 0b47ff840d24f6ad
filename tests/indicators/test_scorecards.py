"""Operator scorecards: the same indicators per operator, on the hand-computed fixture of
test_kpi (National Day 2025, a correction pause, a plan confirmation), scoped by the caller."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.constants import ServiceStatus
from indicators.services.rollup import kpi_rollup_refresh
from tests.factories import make_service, staff_of
from tests.indicators.test_kpi import PERIOD, at, cases  # noqa: F401 (the shared fixture)
from workgroups.models import Workgroup

EMPTY = [0, "", "", "", 0, "", 0, 0, "", 0, ""]


def _scorecards(user, params=PERIOD):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("staff:scorecards"), params)
    assert response.status_code == 200
    return response.context["table"], client


@pytest.mark.django_db
@pytest.mark.usefixtures("cases")
def test_leadership_office_compares_every_operator():
    table, _ = _scorecards(staff_of("leadership-office", username="lo"))
    rows = {row[0]: row[1:] for row in table["rows"]}
    assert len(rows) == 9  # every operator of the five workgroups, with or without cases
    # 中山供电局: A and B connected, working days [5, 7]; stages with a deadline left on time
    # 6 of 9 (submitted 1/3, accepted 2/2, survey 1/1, construction 2/2, inspection 0/1);
    # 2 submitted, 1 returned for correction; 2 escalations; ratings satisfied and
    # dissatisfied; demand notices 1 of 3 acknowledged within one working day.
    assert rows["中山供电局"] == [2, "6.0", "6.8", "66.7", 2, "50.0", 2, 2, "50.0", 3, "33.3"]
    assert rows["中山公用水务投资有限公司"] == [
        1,
        "3.0",
        "3.0",
        "100.0",
        1,
        "0.0",
        0,
        0,
        "",
        1,
        "100.0",
    ]
    assert rows["中山港华燃气有限公司"] == EMPTY


@pytest.mark.django_db
@pytest.mark.usefixtures("cases")
@pytest.mark.parametrize(
    ("code", "operators"),
    [
        ("csg-zhongshan", ["中山供电局"]),
        ("zs-water", ["中山公用水务投资有限公司"]),
        ("ndrc", ["中山供电局"]),
        ("water-bureau", ["中山公用水务投资有限公司"]),
        ("housing", ["华润燃气有限公司", "中山港华燃气有限公司"]),
    ],
)
def test_operators_see_their_own_row_and_lead_agencies_their_workgroups(code, operators):
    table, _ = _scorecards(staff_of(code, username=f"sc-{code}"))
    assert sorted(row[0] for row in table["rows"]) == sorted(operators)


@pytest.mark.django_db
@pytest.mark.usefixtures("cases")
def test_an_operator_sees_only_its_own_figures():
    table, _ = _scorecards(staff_of("zs-water", username="water"))
    assert table["rows"] == [
        ["中山公用水务投资有限公司", 1, "3.0", "3.0", "100.0", 1, "0.0", 0, 0, "", 1, "100.0"]
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("cases")
def test_scorecards_download_as_csv_and_excel():
    table, client = _scorecards(staff_of("leadership-office", username="lo"))
    response = client.get(reverse("staff:scorecards"), {**PERIOD, "xlsx": "scorecards"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [str(h) for h in table["headers"]]
    assert len(rows) == len(table["rows"]) + 1
    power = next(row for row in rows if row[0] == "中山供电局")
    assert list(power) == [
        "中山供电局", 2, 6.0, 6.8, 66.7, 2, 50.0, 2, 2, 50.0, 3, 33.3
    ]  # fmt: skip
    response = client.get(reverse("staff:scorecards"), {**PERIOD, "csv": "scorecards"})
    assert "中山供电局,2,6.0,6.8,66.7,2,50.0,2,2,50.0,3,33.3" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("cases")
def test_applicants_and_visitors_get_no_scorecards(applicant):
    client = Client()
    assert client.get(reverse("staff:scorecards")).status_code == 302
    client.force_login(applicant)
    assert client.get(reverse("staff:scorecards")).status_code == 403


@pytest.mark.django_db
def test_the_staff_navigation_links_the_scorecards(reference):
    client = Client()
    client.force_login(staff_of("leadership-office", username="lo"))
    html = client.get(reverse("staff:kpi")).content.decode()
    assert reverse("staff:scorecards") in html


@pytest.mark.django_db
@pytest.mark.usefixtures("cases")
def test_scorecards_run_the_same_queries_however_many_cases(applicant_org, applicant, project):
    client = Client()
    client.force_login(staff_of("leadership-office", username="lo"))
    client.get(reverse("staff:scorecards"), PERIOD)  # per-process caches (the calendar) warm
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("staff:scorecards"), PERIOD)
    for day in range(1, 11):
        make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            utility="gas",
            operator_code="towngas-zs",
            status=ServiceStatus.CONNECTED,
            submitted_at=at(f"2025-10-{day:02d}"),
            connected_at=at(f"2025-10-{day + 10:02d}"),
        )
    kpi_rollup_refresh()
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("staff:scorecards"), PERIOD)
    towngas = next(r for r in response.context["table"]["rows"] if r[0] == "中山港华燃气有限公司")
    assert towngas[1] == 10
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
@pytest.mark.usefixtures("cases")
def test_scorecards_of_one_workgroup_list_its_operators():
    gas = Workgroup.objects.get(code="gas")
    table, _ = _scorecards(
        staff_of("leadership-office", username="lo"), params={**PERIOD, "workgroup": gas.pk}
    )
    assert sorted(row[0] for row in table["rows"]) == ["中山港华燃气有限公司", "华润燃气有限公司"]
