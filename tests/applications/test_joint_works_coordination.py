"""City-level coordination (协同开挖): overlapping plans, moratoriums, plans near a point."""

import datetime as dt

import pytest
from django.utils import timezone

from applications.geometry import point_clean
from applications.models import RoadWorksPlan
from applications.selectors.joint_works import joint_works_open_near, joint_works_overlapping
from applications.services.joint_works import road_works_plan_record
from core.errors import ValidationError
from tests.applications.joint_works_helpers import LINE, propose, services_for, window_start
from tests.factories import ProjectFactory
from workgroups.calendar import local_date
from workgroups.models import Organization

# About 10 m north of LINE (0.00009 degrees of latitude) and about 550 m north of it.
LINE_10M = {"type": "LineString", "coordinates": [[113.482, 22.52009], [113.488, 22.52069]]}
LINE_FAR = {"type": "LineString", "coordinates": [[113.482, 22.525], [113.488, 22.5256]]}


@pytest.fixture
def plan_on(applicant_org, applicant, reference):
    def do(**overrides):
        project = ProjectFactory(owner=applicant_org, created_by=applicant)
        services = services_for(
            ["electricity", "water"],
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
        )
        return propose(services, **overrides)

    return do


def test_plans_on_the_same_road_segment_at_the_same_time_are_offered_to_each_other(plan_on):
    first = plan_on(route=None)
    second = plan_on(route=None)
    offers = joint_works_overlapping(plan=second)
    assert [o["uuid"] for o in offers] == [str(first.uuid)]


def test_routes_within_the_distance_overlap_and_farther_ones_do_not(plan_on):
    first = plan_on(road_name="兴港大道", road_segment="", route=LINE)
    near = plan_on(road_name="濠头路", road_segment="", route=LINE_10M)
    far = plan_on(road_name="博爱七路", road_segment="", route=LINE_FAR)
    assert [o["uuid"] for o in joint_works_overlapping(plan=near)] == [str(first.uuid)]
    assert joint_works_overlapping(plan=far) == []


def test_the_overlap_distance_is_a_setting(plan_on, settings):
    settings.JOINT_WORKS_OVERLAP_METRES = 5
    plan_on(road_name="兴港大道", road_segment="", route=LINE)
    near = plan_on(road_name="濠头路", road_segment="", route=LINE_10M)
    assert joint_works_overlapping(plan=near) == []


def test_the_same_place_at_another_time_is_no_overlap(plan_on):
    plan_on(window_start=window_start(5).isoformat(), window_working_days=3)
    later = plan_on(window_start=window_start(30).isoformat(), window_working_days=3)
    assert joint_works_overlapping(plan=later) == []


def test_a_departments_road_works_are_offered_to_a_plan_there(plan_on):
    urban = Organization.objects.get(code="urban-management")
    start = window_start(2)
    works, created = road_works_plan_record(
        source=urban,
        external_reference="CG-2026-0117",
        road_name="和清路",
        road_segment="兴港路-濠头路",
        starts_on=start,
        ends_on=start + dt.timedelta(days=40),
        description="和清路排水管改造",
    )
    assert created
    again, created = road_works_plan_record(
        source=urban,
        external_reference="CG-2026-0117",
        road_name="和清路",
        road_segment="兴港路-濠头路",
        starts_on=start,
        ends_on=start + dt.timedelta(days=45),
    )
    assert not created and again.pk == works.pk
    plan = plan_on()
    offers = joint_works_overlapping(plan=plan)
    assert [(o["kind"], o["uuid"]) for o in offers] == [("road_works", str(works.uuid))]


def test_road_works_input_is_checked(reference):
    urban = Organization.objects.get(code="urban-management")
    today = local_date(timezone.now())
    with pytest.raises(ValidationError) as error:
        road_works_plan_record(
            source=urban,
            external_reference="X",
            road_name="和清路",
            starts_on=today,
            ends_on=today - dt.timedelta(days=1),
            route={"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        )
    assert set(error.value.message_dict) == {"ends_on", "route"}


@pytest.mark.parametrize("years_ago,warned", [(1, True), (4, False)])
def test_a_new_plan_on_a_recently_restored_road_warns_the_workgroup_lead(
    plan_on, years_ago, warned
):
    today = local_date(timezone.now())
    RoadWorksPlan.objects.create(
        source=Organization.objects.get(code="transport"),
        external_reference="JT-1",
        road_name="和清路",
        road_segment="兴港路-濠头路",
        starts_on=today.replace(year=today.year - years_ago) - dt.timedelta(days=60),
        ends_on=today.replace(year=today.year - years_ago) - dt.timedelta(days=10),
        restored_on=today.replace(year=today.year - years_ago) - dt.timedelta(days=5),
    )
    plan = plan_on()
    assert bool(plan.warnings) is warned
    if warned:
        assert plan.warnings[0]["kind"] == "road_works"
        assert plan.warnings[0]["until"] > today.isoformat()


def test_open_plans_near_a_point_nearest_first(plan_on, reference):
    near = plan_on(road_name="兴港大道", road_segment="", route=LINE)
    farther = plan_on(road_name="博爱七路", road_segment="", route=LINE_FAR)
    plan_on(road_name="无路线", road_segment="", route=None)
    operator = Organization.objects.get(code="mobile-zs")
    point = point_clean("113.485,22.5205")
    found = joint_works_open_near(organization=operator, point=point, within=1000)
    assert [p.pk for p in found] == [near.pk, farther.pk]
    assert found[0].distance_metres < 100
    assert [
        p.pk for p in joint_works_open_near(organization=operator, point=point, within=100)
    ] == [near.pk]


@pytest.mark.parametrize("text", ["113.4", "a,b", "200,22", "nan,22"])
def test_a_bad_point_is_a_field_error(text):
    with pytest.raises(ValidationError) as error:
        point_clean(text)
    assert "near" in error.value.message_dict
