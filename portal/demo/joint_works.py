"""The joint works demo (联合施工): one project whose electricity, water, gas and network went
through ONE joint works plan with ONE permit set, to the road restored, with its signed
decision package; so the indicators show trenches avoided. Built through the real services,
keyed by its project code."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applications.constants import PermitStatus, ProjectKind, WorksType
from applications.models import JointWorksPlan, PermitRequest, Project
from applications.services import (
    combined_application_submit,
    permit_request_decide,
    project_create,
    service_application_transition,
)
from applications.services.joint_works import (
    PlanInput,
    joint_works_plan_act,
    joint_works_plan_propose,
)
from applications.services.packages import decision_package_issue
from workgroups.calendar import is_working_day, local_date, local_zone, working_day_before
from workgroups.models import Organization, Town, User

from .cases import DETAILS, DemoCase, _plan, _submission

JOINT_WORKS_CODE = "2026-442000-47-01-900009"
UTILITIES = ("electricity", "water", "gas", "network")
# The outside-line permits each utility's plan needs: one set of three for all four.
PERMITS = {
    "electricity": (["planning", "road_excavation"], "180000.00"),
    "water": (["road_excavation", "road_occupation"], "90000.00"),
    "gas": (["road_excavation", "road_occupation"], "60000.00"),
    "network": (["road_excavation"], "30000.00"),
}
CASE = DemoCase(
    JOINT_WORKS_CODE,
    "火炬开发区联合施工示范项目（和清路）",
    "zhongshangang",
    "demo-cuiheng-zhizao",
    "electricity, water, gas and network: one joint works plan, one permit set, road restored",
    # One carrier for the network, so four utilities share the trench.
    {
        **{u: DETAILS[u] for u in UTILITIES},
        "network": {**DETAILS["network"], "preferred_carriers": ["telecom"]},
    },
)
ROUTE = {"type": "LineString", "coordinates": [[113.480, 22.520], [113.490, 22.521]]}


def _user(organization_id: int) -> User:
    return (
        User.objects.filter(memberships__organization_id=organization_id, is_active=True)
        .order_by("pk")
        .first()
    )


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), local_zone())


def _window_start(today: dt.date) -> dt.date:
    """The window starts today when today is a working day (the works are played today: a
    window cannot start in the past), else on the next working day."""
    day = today
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


@transaction.atomic
def build_joint_works_case(users: dict[str, User]) -> JointWorksPlan:
    today = local_date(timezone.now())
    owner = Organization.objects.get(code=CASE.company)
    applicant = users["applicant"]
    project = project_create(
        actor=applicant,
        owner=owner,
        code=CASE.code,
        name=CASE.name,
        kind=ProjectKind.NEW,
        works_type=WorksType.BUILDING,
        address="中山市火炬开发区和清路（兴港路至濠头路）",
        town=Town.objects.get(code=CASE.town),
        floor_area_m2=Decimal("32000.00"),
        planned_start=dt.date(2026, 9, 1),
    )
    # Submitted and surveyed in the past weeks; the works are today's.
    start = working_day_before(today, 12)
    combined = combined_application_submit(
        actor=applicant,
        applicant=owner,
        project=project,
        data=_submission(replace(CASE), applicant, owner),
        now=_at(start, 9),
    )
    services = list(combined.services.select_related("operator").order_by("pk"))
    for index, (name, data_of) in enumerate(
        (
            ("accept", lambda u: {}),
            ("start_survey", lambda u: {}),
            ("issue_plan", lambda u: _plan(*PERMITS[u])),
        )
    ):
        moment = _at(working_day_before(today, 10 - 2 * index), 10)
        for sa in services:
            sa = service_application_transition(
                actor=_user(sa.operator_id),
                service_application=sa,
                transition=name,
                data=data_of(sa.utility),
                now=moment,
            )
    services = list(combined.services.select_related("operator").order_by("pk"))
    plan = joint_works_plan_propose(
        actor=users["lead-ndrc"],
        service_applications=services,
        data=PlanInput(
            road_name="和清路",
            road_segment="兴港路-濠头路",
            route_description="沿和清路北侧人行道，自兴港路至濠头路，约950米，四线同沟",
            route=ROUTE,
            window_start=_window_start(today).isoformat(),
            window_working_days=5,
            lead_operator="csg-zhongshan",
        ),
        now=_at(working_day_before(today, 3), 11),
    )
    for sa in services:
        service_application_transition(
            actor=applicant,
            service_application=sa,
            transition="confirm_plan",
            now=_at(working_day_before(today, 2), 9),
        )
    for sa in services:
        plan = joint_works_plan_act(
            actor=_user(sa.operator_id),
            plan=plan,
            action="confirm",
            now=_at(working_day_before(today, 2), 15),
        )
    for permit in PermitRequest.objects.filter(
        joint_works_plan=plan, status=PermitStatus.PENDING
    ).order_by("pk"):
        permit_request_decide(
            actor=_user(permit.agency_id),
            permit_request=permit,
            decision="approve",
            data={"reason": "同意联合施工方案，一次开挖、同步敷设、统一回填。"},
            now=_at(working_day_before(today, 1), 10),
        )
    plan.refresh_from_db()
    lead = _user(plan.lead_operator_id)
    plan = joint_works_plan_act(actor=lead, plan=plan, action="start_excavation")
    for sa in services:
        plan = joint_works_plan_act(
            actor=_user(sa.operator_id), plan=plan, action="report_installed"
        )
    plan = joint_works_plan_act(actor=lead, plan=plan, action="backfill")
    plan = joint_works_plan_act(
        actor=lead, plan=plan, action="restore", data={"restored_on": today}
    )
    decision_package_issue(combined=combined, base_url=settings.PORTAL_BASE_URL)
    return plan


def build_joint_works(users: dict[str, User]) -> JointWorksPlan | None:
    """The demo plan (built once: keyed by its project's code)."""
    project = Project.objects.filter(code=JOINT_WORKS_CODE).first()
    if project is None:
        return build_joint_works_case(users)
    return project.joint_works_plans.order_by("pk").first()
