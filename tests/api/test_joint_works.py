"""`/api/v1/joint-works/` and `/api/v1/road-works/`."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.constants import JointWorksStatus
from applications.models import RoadWorksPlan
from tests.api.conftest import OPERATOR_SCOPES, PROVIDER_SCOPES
from tests.applications.joint_works_helpers import LINE, propose, services_for, window_start
from tests.factories import ProjectFactory
from workgroups.calendar import local_date

URL = "/api/v1/joint-works/"


@pytest.fixture
def plan(applicant_org, applicant, project):
    services = services_for(
        ["electricity", "water", "gas"],
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
    )
    return propose(services)


@pytest.fixture
def api(make_token, bearer):
    def client(code: str):
        return bearer(make_token(code, OPERATOR_SCOPES))

    return client


def test_each_operator_lists_and_confirms_its_plans(plan, api):
    body = api("zs-water").get(URL).json()
    assert [row["uuid"] for row in body["results"]] == [str(plan.uuid)]
    row = body["results"][0]
    assert row["lead_operator"] == "csg-zhongshan"
    assert {p["utility"] for p in row["participants"]} == {"electricity", "water", "gas"}
    detail = api("zs-water").get(f"{URL}{plan.uuid}/").json()
    assert "confirm" in detail["transitions_available"]
    for code in ("zs-water", "towngas-zs", "csg-zhongshan"):
        response = api(code).post(
            f"{URL}{plan.uuid}/transitions/", {"transition": "confirm"}, format="json"
        )
        assert response.status_code == 200, response.json()
    assert response.json()["status"] == JointWorksStatus.CONFIRMED
    assert sorted(p["permit_type"] for p in response.json()["permits"]) == [
        "planning",
        "road_excavation",
        "road_occupation",
    ]


def test_another_operator_gets_404_and_sees_nothing_in_its_list(plan, api):
    other = api("mobile-zs")
    assert other.get(URL).json()["results"] == []
    for response in (
        other.get(f"{URL}{plan.uuid}/"),
        other.post(f"{URL}{plan.uuid}/transitions/", {"transition": "confirm"}, format="json"),
    ):
        assert response.status_code == 404
        assert set(response.json()) >= {"type", "title", "detail"}


def test_errors_come_in_the_one_problem_shape(plan, api):
    water = api("zs-water")
    bad = water.post(
        f"{URL}{plan.uuid}/transitions/",
        {"transition": "propose_window", "window_start": "2020-01-06", "window_working_days": 5},
        format="json",
    )
    assert bad.status_code == 400
    assert "window_start" in bad.json()["errors"]
    refused = water.post(
        f"{URL}{plan.uuid}/transitions/", {"transition": "backfill"}, format="json"
    )
    assert refused.status_code == 403
    assert set(refused.json()) >= {"type", "title", "detail"}
    leave = water.post(f"{URL}{plan.uuid}/transitions/", {"transition": "leave"}, format="json")
    assert leave.status_code == 400 and "reason" in leave.json()["errors"]
    left = water.post(
        f"{URL}{plan.uuid}/transitions/",
        {"transition": "leave", "reason": "改走架空"},
        format="json",
    )
    assert left.status_code == 200
    again = water.post(f"{URL}{plan.uuid}/transitions/", {"transition": "confirm"}, format="json")
    assert again.status_code == 403


def test_a_new_window_is_proposed_over_the_api(plan, api):
    start = window_start(12)
    response = api("towngas-zs").post(
        f"{URL}{plan.uuid}/transitions/",
        {
            "transition": "propose_window",
            "window_start": start.isoformat(),
            "window_working_days": 6,
            "reason": "燃气管材到货延迟",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["window_start"] == start.isoformat()


def test_the_list_costs_the_same_queries_for_one_plan_or_four(
    applicant_org, applicant, api, reference
):
    water = api("zs-water")

    def count() -> int:
        water.get(URL)  # warm the token cache
        with CaptureQueriesContext(connection) as queries:
            assert water.get(URL).status_code == 200
        return len(queries)

    def one_more():
        project = ProjectFactory(owner=applicant_org, created_by=applicant)
        propose(
            services_for(
                ["electricity", "water", "gas"],
                applicant_org=applicant_org,
                applicant=applicant,
                project=project,
            )
        )

    one_more()
    single = count()
    for _ in range(3):
        one_more()
    assert count() == single


def test_open_plans_near_a_point_for_any_operator(plan, api, applicant_org, applicant):
    mobile = api("mobile-zs")
    body = mobile.get(URL, {"near": "113.485,22.5205", "within": 200}).json()
    assert [row["uuid"] for row in body["results"]] == [str(plan.uuid)]
    assert body["results"][0]["distance_metres"] < 200
    assert body["results"][0]["utilities"] == ["electricity", "gas", "water"]
    assert mobile.get(URL, {"near": "113.40,22.40", "within": 200}).json()["results"] == []
    bad = mobile.get(URL, {"near": "north"})
    assert bad.status_code == 400 and "near" in bad.json()["errors"]
    assert mobile.get(URL, {"near": "113.48,22.52", "within": "0"}).status_code == 400


def test_an_operator_joins_an_open_plan_with_its_own_work_item(plan, api, applicant_org, applicant):
    project = ProjectFactory(owner=applicant_org, created_by=applicant)
    (item,) = services_for(
        ["network"], applicant_org=applicant_org, applicant=applicant, project=project
    )
    telecom = api("telecom-zs")
    assert (
        api("mobile-zs")
        .post(f"{URL}{plan.uuid}/join/", {"work_item": str(item.uuid)}, format="json")
        .status_code
        == 404
    )
    response = telecom.post(f"{URL}{plan.uuid}/join/", {"work_item": str(item.uuid)}, format="json")
    assert response.status_code == 200, response.json()
    assert "network" in {p["utility"] for p in response.json()["participants"]}
    assert [r["uuid"] for r in telecom.get(URL).json()["results"]] == [str(plan.uuid)]


def test_a_department_pushes_road_works_once_by_its_reference(make_token, bearer, reference):
    urban = bearer(make_token("urban-management", PROVIDER_SCOPES))
    today = local_date(timezone.now())
    body = {
        "external_reference": "CG-2026-0042",
        "road_name": "和清路",
        "road_segment": "兴港路-濠头路",
        "route": LINE,
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=30)).isoformat(),
    }
    first = urban.post("/api/v1/road-works/", body, format="json")
    assert first.status_code == 201, first.json()
    second = urban.post(
        "/api/v1/road-works/", {**body, "restored_on": today.isoformat()}, format="json"
    )
    assert second.status_code == 200
    assert RoadWorksPlan.objects.get().restored_on == today
    bad = urban.post(
        "/api/v1/road-works/",
        {
            **body,
            "external_reference": "X",
            "route": {"type": "LineString", "coordinates": [[1, 1], [2, 2]]},
        },
        format="json",
    )
    assert bad.status_code == 400 and "route" in bad.json()["errors"]
    operator = bearer(make_token("zs-water", OPERATOR_SCOPES))
    assert operator.post("/api/v1/road-works/", body, format="json").status_code == 403
