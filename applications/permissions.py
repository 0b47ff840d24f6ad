"""The one place that grants object permissions (django-guardian).

Permissions go to organisation groups, never to single users: a person acts for their
organisation, and a colleague who joins later sees the same cases. Rows are bulk-inserted into
the direct foreign-key permission tables, so granting for five utilities costs the same number
of queries as for one.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Permission
from django.db.models import Model

from workgroups.constants import WorkgroupRole
from workgroups.models import WorkgroupMembership

from .models import (
    CombinedApplication,
    CombinedApplicationGroupObjectPermission,
    Document,
    DocumentGroupObjectPermission,
    JointWorksParticipant,
    JointWorksPlan,
    JointWorksPlanGroupObjectPermission,
    PermitRequest,
    PermitRequestGroupObjectPermission,
    Project,
    ProjectGroupObjectPermission,
    ServiceApplication,
    ServiceApplicationGroupObjectPermission,
)

_GROUP_PERMISSION_MODEL: dict[type[Model], type[Model]] = {
    Project: ProjectGroupObjectPermission,
    CombinedApplication: CombinedApplicationGroupObjectPermission,
    ServiceApplication: ServiceApplicationGroupObjectPermission,
    PermitRequest: PermitRequestGroupObjectPermission,
    Document: DocumentGroupObjectPermission,
    JointWorksPlan: JointWorksPlanGroupObjectPermission,
}


def _permissions(codenames: Iterable[str]) -> dict[str, Permission]:
    return {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="applications", codename__in=set(codenames)
        )
    }


def _grant(grants: list[tuple[int, str, Model]]) -> None:
    """Insert (group id, codename, object) grants; existing ones are left as they are."""
    if not grants:
        return
    perms = _permissions(codename for _, codename, _ in grants)
    by_model: dict[type[Model], list[Model]] = {}
    for group_id, codename, obj in grants:
        row_model = _GROUP_PERMISSION_MODEL[type(obj)]
        by_model.setdefault(row_model, []).append(
            row_model(group_id=group_id, permission=perms[codename], content_object=obj)
        )
    for row_model, rows in by_model.items():
        row_model.objects.bulk_create(rows, ignore_conflicts=True)


def grant_project(project: Project) -> None:
    """The owning company may see and edit its project."""
    group_id = project.owner.group_id
    _grant([(group_id, "view_project", project), (group_id, "change_project", project)])


def grant_document(document: Document) -> None:
    _grant([(document.owner.group_id, "view_document", document)])


def grant_commitment_document(document: Document, *, verifier_group_id: int) -> None:
    """The agency verifying a commitment (承诺制) reads the document supplied for it."""
    _grant([(verifier_group_id, "view_document", document)])


def grant_submission(combined: CombinedApplication, services: list[ServiceApplication]) -> None:
    """Applicant: sees and acts on its request. Operator: sees and works its item.
    Lead agencies of each workgroup: see their utility's applications and may send one back
    for correction (LEAD_REVIEW_TRANSITIONS). The governing organisation of the project's
    town (a town government, sub-district office or development zone committee): reads each
    application in its area, without its files (`read_in_area`, not `view_serviceapplication`),
    and acts on none."""
    applicant_group = combined.applicant.group_id
    leads = _lead_groups_by_workgroup({sa.workgroup_id for sa in services})
    grants: list[tuple[int, str, Model]] = [(applicant_group, "view_combinedapplication", combined)]
    town_org = combined.project.town.governing_organization
    if town_org is not None:
        grants += [(town_org.group_id, "read_in_area", sa) for sa in services]
    for sa in services:
        grants += [
            (applicant_group, "view_serviceapplication", sa),
            (applicant_group, "act_as_applicant", sa),
            (sa.operator.group_id, "view_serviceapplication", sa),
            (sa.operator.group_id, "act_as_operator", sa),
        ]
        for group_id in leads[sa.workgroup_id]:
            grants += [
                (group_id, "view_serviceapplication", sa),
                (group_id, "review_as_lead", sa),
            ]
    _grant(grants)


def grant_permits(service: ServiceApplication, permits: list[PermitRequest]) -> None:
    """Each agency decides its own permits; applicant and operator may follow them."""
    watchers = [service.combined.applicant.group_id, service.operator.group_id]
    grants: list[tuple[int, str, Model]] = []
    for permit in permits:
        grants += [
            (permit.agency.group_id, "view_permitrequest", permit),
            (permit.agency.group_id, "decide_permitrequest", permit),
            # The agency reads the application it decides on (read-only context).
            (permit.agency.group_id, "view_serviceapplication", service),
        ]
        grants += [(group_id, "view_permitrequest", permit) for group_id in watchers]
    _grant(grants)


def _lead_groups_by_workgroup(workgroup_ids: set[int]) -> dict[int, list[int]]:
    leads: dict[int, list[int]] = {wg_id: [] for wg_id in workgroup_ids}
    rows = WorkgroupMembership.objects.filter(
        workgroup_id__in=workgroup_ids, role=WorkgroupRole.LEAD
    ).values_list("workgroup_id", "organization__group_id")
    for workgroup_id, group_id in rows:
        leads[workgroup_id].append(group_id)
    return leads


def revoke_project(project: Project, organization_group_id: int) -> None:
    """A company whose claim of a pushed project was reassigned no longer sees or edits it,
    nor the copies of the documents the department shared with it."""
    ProjectGroupObjectPermission.objects.filter(
        content_object=project, group_id=organization_group_id
    ).delete()
    DocumentGroupObjectPermission.objects.filter(
        group_id=organization_group_id, content_object__project=project
    ).delete()


def grant_joint_works(plan: JointWorksPlan, participants: list[JointWorksParticipant]) -> None:
    """Participating operators see the plan and act on it; their applicants see it (the
    tracking page); the participating workgroups' lead agencies see and manage it."""
    leads = _lead_groups_by_workgroup({p.service_application.workgroup_id for p in participants})
    grants: list[tuple[int, str, Model]] = []
    for participant in participants:
        sa = participant.service_application
        grants += [
            (participant.operator.group_id, "view_jointworksplan", plan),
            (participant.operator.group_id, "participate_jointworksplan", plan),
            (sa.combined.applicant.group_id, "view_jointworksplan", plan),
        ]
        for group_id in leads[sa.workgroup_id]:
            grants += [
                (group_id, "view_jointworksplan", plan),
                (group_id, "manage_jointworksplan", plan),
            ]
    _grant(grants)


def revoke_joint_works_participation(plan: JointWorksPlan, operator_group_id: int) -> None:
    """An operator that left a plan still sees it (its history) but no longer acts on it."""
    JointWorksPlanGroupObjectPermission.objects.filter(
        content_object=plan,
        group_id=operator_group_id,
        permission__codename="participate_jointworksplan",
    ).delete()


def grant_joint_permits(
    participants: list[JointWorksParticipant], permits: list[PermitRequest]
) -> None:
    """The plan's one permit set: each agency decides its own and reads every participating
    application; every participant's operator and applicant may follow the permits."""
    grants: list[tuple[int, str, Model]] = []
    for permit in permits:
        grants += [
            (permit.agency.group_id, "view_permitrequest", permit),
            (permit.agency.group_id, "decide_permitrequest", permit),
        ]
        for participant in participants:
            sa = participant.service_application
            grants += [
                (permit.agency.group_id, "view_serviceapplication", sa),
                (participant.operator.group_id, "view_permitrequest", permit),
                (sa.combined.applicant.group_id, "view_permitrequest", permit),
            ]
    _grant(grants)
