"""Set-up shared by the joint works tests: applications of one project with outside works."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from applications.constants import ServiceStatus
from applications.services.joint_works import PlanInput, joint_works_plan_propose
from tests.factories import make_service, staff_of
from workgroups.calendar import is_working_day, local_date, working_day_after

# utility -> (operator, workgroup lead agency, fee quote, outside-line permits of its plan)
UTILITIES = {
    "electricity": ("csg-zhongshan", "ndrc", "180000", ["planning", "road_excavation"]),
    "water": ("zs-water", "water-bureau", "90000", ["road_excavation", "road_occupation"]),
    "gas": ("towngas-zs", "housing", "60000", ["road_excavation", "road_occupation"]),
    "network": ("telecom-zs", "comms-office", "30000", ["road_excavation"]),
    "cable_tv": ("gcable-zs", "culture-tourism", "10000", ["road_excavation"]),
}
AGENCY = {
    "planning": "natural-resources",
    "road_excavation": "urban-management",
    "road_occupation": "public-security",
}
ROAD = {"road_name": "和清路", "road_segment": "兴港路-濠头路"}
LINE = {"type": "LineString", "coordinates": [[113.480, 22.520], [113.490, 22.521]]}


def window_start(days_ahead: int = 5) -> dt.date:
    day = working_day_after(local_date(timezone.now()), days_ahead)
    assert is_working_day(day)
    return day


def services_for(utilities, *, applicant_org, applicant, project, **fields):
    services = []
    for utility in utilities:
        operator, _lead, fee, permits = UTILITIES[utility]
        services.append(
            make_service(
                applicant_org=applicant_org,
                applicant=applicant,
                project=project,
                utility=utility,
                operator_code=operator,
                status=ServiceStatus.PLAN_ISSUED,
                fee_quote_cny=Decimal(fee),
                required_permits=permits,
                plan="外线：沿和清路敷设",
                **fields,
            )
        )
    return services


def plan_input(**overrides) -> PlanInput:
    fields = {
        **ROAD,
        "route_description": "沿和清路北侧人行道，自兴港路至濠头路，约 950 米",
        "route": LINE,
        "window_start": window_start().isoformat(),
        "window_working_days": 10,
    }
    fields.update(overrides)
    return PlanInput(**fields)


def lead_of(utility: str):
    return staff_of(UTILITIES[utility][1])


def propose(services, **overrides):
    return joint_works_plan_propose(
        actor=lead_of(services[0].utility),
        service_applications=services,
        data=plan_input(**overrides),
    )
