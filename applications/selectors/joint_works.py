"""Reads of joint works plans, each starting from the caller, and the city-level coordination
questions: which plans overlap in space and time, which roads are under a moratorium, which
open plans lie near a point."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from workgroups.calendar import local_date
from workgroups.models import Organization

from ..constants import JOINT_WORKS_OPEN, JointWorksStatus
from ..geometry import route_metres
from ..models import (
    JointWorksEvent,
    JointWorksParticipant,
    JointWorksPlan,
    PermitRequest,
    RoadWorksPlan,
    ServiceApplication,
)


def _prefetched(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("project", "lead_operator").prefetch_related(
        Prefetch(
            "participants",
            queryset=JointWorksParticipant.objects.select_related(
                "operator", "service_application"
            ).order_by("pk"),
        ),
        Prefetch(
            "permits",
            queryset=PermitRequest.objects.select_related("agency").order_by(
                "permit_type", "round"
            ),
        ),
    )


def joint_works_for_operator(*, organization: Organization) -> QuerySet:
    """Plans the operator takes (or took) part in, newest change last."""
    ids = JointWorksParticipant.objects.filter(operator=organization).values("plan_id")
    return _prefetched(JointWorksPlan.objects.filter(pk__in=ids)).order_by("updated_at", "pk")


def joint_works_open_near(
    *, organization: Organization, point: Any, within: float
) -> list[JointWorksPlan]:
    """Open plans (still to be dug) whose route passes within `within` metres of `point`, for
    an operator looking for a trench to share: the nearest first. Plans without a route line
    cannot be placed and are left out."""
    candidates = _prefetched(
        JointWorksPlan.objects.filter(status__in=JOINT_WORKS_OPEN, route__isnull=False)
    ).order_by("pk")
    found = []
    for plan in candidates:
        line = route_metres(plan.route)
        if line is None:
            continue
        distance = float(line.distance(point))
        if distance <= within:
            plan.distance_metres = round(distance, 1)
            found.append(plan)
    return sorted(found, key=lambda plan: (plan.distance_metres, plan.pk))


def joint_works_for_user(*, user) -> QuerySet:
    """Plans the person may see (staff site: lead agencies, operators; guardian)."""
    visible = get_objects_for_user(
        user, "applications.view_jointworksplan", klass=JointWorksPlan, accept_global_perms=True
    )
    return _prefetched(visible).order_by("-updated_at", "-pk")


def joint_works_history(*, plan: JointWorksPlan) -> QuerySet:
    return (
        JointWorksEvent.objects.filter(plan=plan)
        .select_related("actor", "actor_organization")
        .order_by("at", "pk")
    )


def joint_works_of_services(*, services: list[ServiceApplication]) -> dict[int, JointWorksPlan]:
    """The plan each application takes part in (the tracking page's panel), in one query."""
    rows = (
        JointWorksParticipant.objects.filter(service_application__in=services, active=True)
        .select_related("plan__lead_operator")
        .prefetch_related(
            Prefetch(
                "plan__permits",
                queryset=PermitRequest.objects.select_related("agency").order_by(
                    "permit_type", "round"
                ),
            )
        )
        .order_by("pk")
    )
    return {row.service_application_id: row.plan for row in rows}


def joint_works_candidates(*, services: list[ServiceApplication]) -> list[ServiceApplication]:
    """Applications of one case page that could share a trench: plan issued, outside-line
    works, in no plan yet (the lead agency proposes a plan from these)."""
    return [
        sa
        for sa in services
        if sa.status == "plan_issued"
        and sa.required_permits
        and not sa.joint_works.filter(active=True).exists()
    ]


# City-level coordination.


def _same_road(a_name: str, a_segment: str, b_name: str, b_segment: str) -> bool:
    def norm(text: str) -> str:
        return "".join(text.split()).lower()

    if not a_name or norm(a_name) != norm(b_name):
        return False
    return not a_segment or not b_segment or norm(a_segment) == norm(b_segment)


def _near(a_route: dict | None, b_route: dict | None) -> bool:
    a, b = route_metres(a_route), route_metres(b_route)
    if a is None or b is None:
        return False
    return float(a.distance(b)) <= settings.JOINT_WORKS_OVERLAP_METRES


def overlaps_in_space(a: Any, b: Any) -> bool:
    """Same road segment, or route lines within JOINT_WORKS_OVERLAP_METRES."""
    return _same_road(a.road_name, a.road_segment, b.road_name, b.road_segment) or _near(
        a.route, b.route
    )


def _window(obj: Any) -> tuple[dt.date, dt.date]:
    if isinstance(obj, RoadWorksPlan):
        return obj.starts_on, obj.ends_on
    return obj.window_start, obj.window_end


def overlaps_in_time(a: Any, b: Any) -> bool:
    a_start, a_end = _window(a)
    b_start, b_end = _window(b)
    return a_start <= b_end and b_start <= a_end


def joint_works_overlapping(*, plan: JointWorksPlan) -> list[dict]:
    """Other open joint works plans and departments' road works that overlap `plan` in space
    and time: each is an offer to dig once (join it, or invite it)."""
    today = local_date(timezone.now())
    offers = []
    others = JointWorksPlan.objects.filter(status__in=JOINT_WORKS_OPEN).exclude(pk=plan.pk)
    for other in others.select_related("lead_operator").order_by("pk"):
        if overlaps_in_space(plan, other) and overlaps_in_time(plan, other):
            offers.append(
                {
                    "kind": "joint_works",
                    "uuid": str(other.uuid),
                    "road": f"{other.road_name} {other.road_segment}".strip(),
                    "starts_on": other.window_start.isoformat(),
                    "ends_on": other.window_end.isoformat(),
                    "by": other.lead_operator.name_zh,
                }
            )
    road_works = RoadWorksPlan.objects.filter(ends_on__gte=today).select_related("source")
    for works in road_works.order_by("pk"):
        if overlaps_in_space(plan, works) and overlaps_in_time(plan, works):
            offers.append(
                {
                    "kind": "road_works",
                    "uuid": str(works.uuid),
                    "road": str(works),
                    "starts_on": works.starts_on.isoformat(),
                    "ends_on": works.ends_on.isoformat(),
                    "by": works.source.name_zh,
                }
            )
    return offers


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def moratorium_warnings(plan: JointWorksPlan, *, today: dt.date) -> list[dict]:
    """Roads this plan would dig that were restored less than JOINT_WORKS_MORATORIUM_YEARS
    ago (the moratorium, as the UK's Section 58): a warning to the workgroup lead."""
    years = settings.JOINT_WORKS_MORATORIUM_YEARS
    cutoff = _years_after(today, -years)
    restored: list[Any] = list(
        JointWorksPlan.objects.filter(
            status=JointWorksStatus.RESTORED, restored_on__gte=cutoff
        ).exclude(pk=plan.pk)
    )
    restored += list(RoadWorksPlan.objects.filter(restored_on__gte=cutoff))
    warnings = []
    for other in restored:
        if not overlaps_in_space(plan, other):
            continue
        warnings.append(
            {
                "kind": "road_works" if isinstance(other, RoadWorksPlan) else "joint_works",
                "uuid": str(other.uuid),
                "road": f"{other.road_name} {other.road_segment}".strip(),
                "restored_on": other.restored_on.isoformat(),
                "until": _years_after(other.restored_on, years).isoformat(),
            }
        )
    return warnings


def road_works_for_source(*, organization: Organization) -> QuerySet:
    return RoadWorksPlan.objects.filter(source=organization).order_by("updated_at", "pk")


def joint_works_joinable() -> QuerySet:
    """Plans still being agreed, which any operator may ask to join (POST .../join/)."""
    return _prefetched(JointWorksPlan.objects.filter(status=JointWorksStatus.PROPOSED)).order_by(
        "pk"
    )


def joint_works_candidates_for_project(*, project) -> list[ServiceApplication]:
    """A project's applications that could share a trench (plan issued, outside-line works,
    in no plan): what a lead agency proposes a plan from, whichever workgroup each is in."""
    rows = (
        ServiceApplication.objects.filter(combined__project=project, status="plan_issued")
        .exclude(joint_works__active=True)
        .select_related("operator", "combined")
        .order_by("pk")
    )
    return [sa for sa in rows if sa.required_permits]


def joint_works_for_case(*, user, services: list[ServiceApplication]) -> list[JointWorksPlan]:
    """The plans the case's applications take part in that the person may see."""
    ids = JointWorksParticipant.objects.filter(service_application__in=services).values("plan_id")
    return list(joint_works_for_user(user=user).filter(pk__in=ids))
