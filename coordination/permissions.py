"""The one place that grants object permissions on the workgroups' own work (guardian).

Permissions go to organisation groups (a person acts for their organisation, and a colleague
who joins later sees the same demands), or to the one person who submitted without an
applicant organisation. Rows go straight into the direct foreign-key tables.

A demand, when it is routed:
- the submitting organisation sees it and acts as its submitter (verdict on the answer);
- the lead agencies of its utility's workgroup see it and handle it (acknowledge, answer, close);
- the town's governing organisation (a town government, a sub-district office, a development
  zone committee), where the reference data names one, sees it and may answer it.
The leadership bodies read every demand without rows (selectors), as they read every case.

A coordination meeting, when it is scheduled:
- the convening organisation and, for a workgroup's meeting, the workgroup's lead agencies see
  it and manage it (agenda, minutes, action items, hold, publish, cancel);
- every invited organisation (operators, towns and sub-districts, other agencies) sees it,
  read-only, with its minutes.
The leadership bodies read every meeting without rows. Action items are read through their
meeting, their owner and their workgroup (coordination/selectors/meetings.py).
"""

from django.contrib.auth.models import Permission

from workgroups.constants import WorkgroupRole
from workgroups.models import WorkgroupMembership

from .models import (
    Demand,
    DemandGroupObjectPermission,
    DemandUserObjectPermission,
    Meeting,
    MeetingGroupObjectPermission,
)

VIEW_DEMAND = "coordination.view_demand"
SUBMITTER = "coordination.act_as_submitter"
HANDLE_DEMAND = "coordination.handle_demand"
ANSWER_AS_TOWN = "coordination.answer_demand"
VIEW_MEETING = "coordination.view_meeting"
MANAGE_MEETING = "coordination.manage_meeting"


def _codename(perm: str) -> str:
    return perm.split(".", 1)[1]


def grant_demand(demand: Demand) -> None:
    """Every row a routed demand needs, in a constant number of queries."""
    perms = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="coordination",
            codename__in=[
                _codename(p) for p in (VIEW_DEMAND, SUBMITTER, HANDLE_DEMAND, ANSWER_AS_TOWN)
            ],
        )
    }
    group_grants: list[tuple[int, str]] = []
    user_grants: list[tuple[int, str]] = []
    submitter = [VIEW_DEMAND, SUBMITTER]
    if demand.organization_id is not None:
        group_grants += [(demand.organization.group_id, perm) for perm in submitter]
    elif demand.submitted_by_id is not None:
        user_grants += [(demand.submitted_by_id, perm) for perm in submitter]
    leads = WorkgroupMembership.objects.filter(
        workgroup_id=demand.workgroup_id, role=WorkgroupRole.LEAD
    ).values_list("organization__group_id", flat=True)
    for group_id in leads:
        group_grants += [(group_id, VIEW_DEMAND), (group_id, HANDLE_DEMAND)]
    town_org = demand.town.governing_organization
    if town_org is not None:
        group_grants += [(town_org.group_id, VIEW_DEMAND), (town_org.group_id, ANSWER_AS_TOWN)]
    DemandGroupObjectPermission.objects.bulk_create(
        [
            DemandGroupObjectPermission(
                group_id=group_id, permission=perms[_codename(perm)], content_object=demand
            )
            for group_id, perm in group_grants
        ],
        ignore_conflicts=True,
    )
    DemandUserObjectPermission.objects.bulk_create(
        [
            DemandUserObjectPermission(
                user_id=user_id, permission=perms[_codename(perm)], content_object=demand
            )
            for user_id, perm in user_grants
        ],
        ignore_conflicts=True,
    )


def grant_meeting(meeting: Meeting, *, invited_group_ids: list[int]) -> None:
    """Every row a scheduled meeting needs, in a constant number of queries."""
    perms = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="coordination",
            codename__in=[_codename(VIEW_MEETING), _codename(MANAGE_MEETING)],
        )
    }
    managers = {meeting.organizer.group_id}
    if meeting.workgroup_id is not None:
        managers |= set(
            WorkgroupMembership.objects.filter(
                workgroup_id=meeting.workgroup_id, role=WorkgroupRole.LEAD
            ).values_list("organization__group_id", flat=True)
        )
    grants = {(g, VIEW_MEETING) for g in managers | set(invited_group_ids)}
    grants |= {(g, MANAGE_MEETING) for g in managers}
    MeetingGroupObjectPermission.objects.bulk_create(
        [
            MeetingGroupObjectPermission(
                group_id=group_id, permission=perms[_codename(perm)], content_object=meeting
            )
            for group_id, perm in sorted(grants)
            if group_id is not None
        ],
        ignore_conflicts=True,
    )
