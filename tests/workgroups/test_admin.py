"""Admin for who is who: writes go through the workgroups services, so groups follow."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from applications.permissions import grant_project
from applications.selectors.staff import staff_scope
from applications.services.projects import project_push
from applications.workflow import LEAD_REVIEW as LEAD_REVIEW_PERM
from applications.workflow import OPERATOR as OPERATOR_PERM
from tests.factories import ProjectFactory, UserFactory, company, make_service, member_of, staff_of
from workgroups.api_tokens import api_token_create, scopes_allowed
from workgroups.constants import OrganizationKind, Role, Utility
from workgroups.models import (
    Membership,
    Organization,
    PermitAuthority,
    SlaPolicy,
    Town,
    User,
    WorkgroupMembership,
)
from workgroups.services import roles_for_organization


@pytest.fixture
def superuser(reference):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_adding_an_organisation_creates_its_permission_group(admin_client):
    person = UserFactory(username="founder", is_staff=True)
    response = admin_client.post(
        reverse("admin:workgroups_organization_add"),
        {
            "code": "demo-shiqi-foods",
            "name_zh": "中山市石岐食品有限公司",
            "name_en": "Shiqi Foods",
            "kind": OrganizationKind.APPLICANT_COMPANY,
            "unified_social_credit_code": "",
            "is_active": "on",
            **_inline_management("memberships", total=1),
            "memberships-0-user": person.pk,
            "memberships-0-role": "manager",
            **_inline_management("workgroup_memberships"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organization.objects.get(code="demo-shiqi-foods")
    assert org.group.name == "org:demo-shiqi-foods"
    # The member added on the same page joined through membership_add.
    assert Membership.objects.get(user=person, organization=org).role == "manager"
    assert set(person.groups.values_list("name", flat=True)) == {org.group.name}
    # What is granted to the organisation reaches the person through its group.
    project = ProjectFactory(owner=org, created_by=person)
    grant_project(project)
    assert person.has_perm("applications.change_project", project)
    assert response["Location"] == reverse("admin:workgroups_organization_changelist")


def test_organisation_code_is_read_only_once_created(admin_client):
    org = company()
    page = admin_client.get(reverse("admin:workgroups_organization_change", args=[org.pk]))
    assert page.status_code == 200
    assert 'name="code"' not in page.content.decode()


def test_membership_added_in_admin_lets_the_person_work_the_operators_cases(
    admin_client, applicant_org, applicant, project
):
    person = UserFactory(username="newcomer", is_staff=True)
    operator = Organization.objects.get(code="zs-water")
    case = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        utility=Utility.WATER,
        operator_code=operator.code,
    )
    assert not person.has_perm(OPERATOR_PERM, case)
    response = admin_client.post(
        reverse("admin:workgroups_membership_add"),
        {"user": person.pk, "organization": operator.pk, "role": "staff"},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=person, organization=operator).exists()
    assert set(person.groups.values_list("name", flat=True)) == {operator.group.name}
    assert User.objects.get(pk=person.pk).has_perm(OPERATOR_PERM, case)


def test_membership_added_inline_on_the_user_page_lets_the_person_review_as_lead(
    admin_client, applicant_org, applicant, project
):
    person = UserFactory(username="inline-person", is_staff=True)
    lead = Organization.objects.get(code="ndrc")
    case = make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    url = reverse("admin:workgroups_user_change", args=[person.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and name not in ("groups", "user_permissions", "password")
    }
    data.update(
        {
            "username": person.username,
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
            "preferred_language": "zh-hans",
            "is_active": "on",
            "is_staff": "on",
            **_inline_management("memberships", total=1),
            "memberships-0-organization": lead.pk,
            "memberships-0-role": "staff",
        }
    )
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person = User.objects.get(pk=person.pk)
    assert set(person.groups.values_list("name", flat=True)) == {lead.group.name}
    assert person.has_perm(LEAD_REVIEW_PERM, case)
    assert staff_scope(user=person).lead_workgroup_ids == {case.workgroup_id}


def test_gas_franchise_map_is_listed_by_town(admin_client):
    url = reverse("admin:workgroups_operatorcoverage_changelist")
    response = admin_client.get(url, {"utility": Utility.GAS})
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert len(rows) == Town.objects.count()
    assert {row.operator.code for row in rows} == {"towngas-zs", "crgas-zs"}


def test_sla_working_days_are_editable_in_the_list(admin_client):
    sla = SlaPolicy.objects.get(workgroup__code=Utility.WATER, stage="accepted", variant="")
    url = reverse("admin:workgroups_slapolicy_changelist")
    page = admin_client.get(url, {"workgroup__id__exact": sla.workgroup_id})
    formset = page.context["cl"].formset
    data = {
        "form-TOTAL_FORMS": str(formset.total_form_count()),
        "form-INITIAL_FORMS": str(formset.initial_form_count()),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, form in enumerate(formset.forms):
        data[f"form-{i}-id"] = form.instance.pk
        data[f"form-{i}-working_days"] = (
            4 if form.instance.pk == sla.pk else form.instance.working_days
        )
    response = admin_client.post(f"{url}?workgroup__id__exact={sla.workgroup_id}", data)
    assert response.status_code == 302
    sla.refresh_from_db()
    assert sla.working_days == 4


def test_staff_without_global_permission_cannot_edit_reference_data(client, reference):
    staff = staff_of("csg-zhongshan", username="op", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:workgroups_slapolicy_changelist")).status_code == 403
    assert client.get(reverse("admin:workgroups_user_changelist")).status_code == 403
    assert set(staff.groups.values_list("name", flat=True)) == {"org:csg-zhongshan"}
    assert not staff.has_perm("workgroups.change_slapolicy")


def test_api_tokens_are_listed_without_digest_and_revoked_through_the_service(admin_client):
    operator = Organization.objects.get(code="csg-zhongshan")
    superuser = User.objects.get(username="root")
    token, plaintext = api_token_create(
        actor=superuser, organization=operator, name="调度系统", scopes=["work_items:read"]
    )
    page = admin_client.get(reverse("admin:workgroups_apitoken_change", args=[token.pk]))
    assert page.status_code == 200
    assert token.digest not in page.content.decode()
    assert plaintext not in page.content.decode()
    response = admin_client.post(
        reverse("admin:workgroups_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by == superuser


def test_removing_a_membership_in_the_admin_takes_away_the_organisations_permissions(
    admin_client, applicant_org, applicant, project
):
    person = staff_of("csg-zhongshan", username="leaver")
    case = make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    assert person.groups.filter(name="org:csg-zhongshan").exists()
    assert person.has_perm(OPERATOR_PERM, case)
    membership = Membership.objects.get(user=person)
    response = admin_client.post(
        reverse("admin:workgroups_membership_delete", args=[membership.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(user=person).exists()
    assert not person.groups.exists()
    assert not User.objects.get(pk=person.pk).has_perm(OPERATOR_PERM, case)


def _set_workgroup_role(admin_client, link, role: str) -> None:
    response = admin_client.post(
        reverse("admin:workgroups_workgroupmembership_change", args=[link.pk]),
        {"workgroup": link.workgroup_id, "organization": link.organization_id, "role": role},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_an_agency_made_workgroup_lead_gives_existing_members_the_lead_role(
    admin_client, applicant_org, applicant, project
):
    """Staff who joined before their bureau became a lead get the role without rejoining,
    and lose it when the bureau stops leading."""
    bureau = Organization.objects.get(code="natural-resources")
    reviewer = member_of(bureau)

    def may_review_a_new_water_case() -> bool:
        case = make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            utility=Utility.WATER,
            operator_code="zs-water",
        )
        return User.objects.get(pk=reviewer.pk).has_perm(LEAD_REVIEW_PERM, case)

    link = WorkgroupMembership.objects.get(workgroup__code=Utility.WATER, organization=bureau)
    assert link.workgroup_id not in staff_scope(user=reviewer).lead_workgroup_ids
    assert not may_review_a_new_water_case()

    _set_workgroup_role(admin_client, link, "lead")
    assert staff_scope(user=reviewer).lead_workgroup_ids == {link.workgroup_id}
    assert may_review_a_new_water_case()
    assert {Role.LEAD_AGENCY, Role.PERMIT_AGENCY} <= roles_for_organization(bureau)
    assert "permits:write" in scopes_allowed(bureau)  # what it was already stays

    _set_workgroup_role(admin_client, link, "member")
    assert link.workgroup_id not in staff_scope(user=reviewer).lead_workgroup_ids
    assert not may_review_a_new_water_case()
    assert Role.LEAD_AGENCY not in roles_for_organization(bureau)
    assert "permits:write" in scopes_allowed(bureau)


def test_moving_a_permit_to_another_agency_moves_the_permit_role(admin_client):
    authority = PermitAuthority.objects.select_related("agency").order_by("pk").first()
    old_agency = authority.agency
    new_agency = Organization.objects.get(code="culture-tourism")
    assert Role.PERMIT_AGENCY in roles_for_organization(old_agency)
    assert Role.PERMIT_AGENCY not in roles_for_organization(new_agency)
    assert "permits:write" not in scopes_allowed(new_agency)
    still_authority = PermitAuthority.objects.filter(agency=old_agency).exclude(pk=authority.pk)

    response = admin_client.post(
        reverse("admin:workgroups_permitauthority_change", args=[authority.pk]),
        {
            "permit_type": authority.permit_type,
            "agency": new_agency.pk,
            "working_days": authority.working_days,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Role.PERMIT_AGENCY in roles_for_organization(new_agency)
    assert {"permits:read", "permits:write"} <= scopes_allowed(new_agency)
    # The old agency keeps the role only while it still decides another permit type.
    assert (Role.PERMIT_AGENCY in roles_for_organization(old_agency)) == still_authority.exists()
    assert ("permits:write" in scopes_allowed(old_agency)) == still_authority.exists()


def test_an_agency_that_stops_providing_data_loses_the_provider_role(admin_client):
    bureau = Organization.objects.get(code="public-security")
    clerk = member_of(bureau)
    assert Role.DATA_PROVIDER in roles_for_organization(bureau)
    assert "projects:write" in scopes_allowed(bureau)
    response = admin_client.post(
        reverse("admin:workgroups_organization_change", args=[bureau.pk]),
        {
            "name_zh": bureau.name_zh,
            "name_en": bureau.name_en,
            "kind": bureau.kind,
            "unified_social_credit_code": bureau.unified_social_credit_code,
            "is_active": "on",
            # provides_data unticked
            **_inline_management("memberships"),
            **_inline_management("workgroup_memberships"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    bureau.refresh_from_db()
    assert Role.DATA_PROVIDER not in roles_for_organization(bureau)
    assert Role.AGENCY in roles_for_organization(bureau)
    assert not {"projects:write", "demand_signals:write"} & scopes_allowed(bureau)
    with pytest.raises(PermissionDenied):
        project_push(
            actor=clerk, organization=bureau, code="2026-442000-48-01-990077", town_code="shiqi"
        )


@pytest.mark.parametrize("value", ["10000-01-01", "x" * 1000, "9999999999999999999999", "-1"])
def test_an_impossible_organisation_in_an_autocomplete_field_is_a_form_error(admin_client, value):
    """The autocomplete widget looked the posted value up to show it again: a value the id
    column cannot hold was a server error instead of the form's own error."""
    response = admin_client.post(
        reverse("admin:workgroups_escalationtier_add"),
        {
            "level": "4",
            "name_zh": "第四级",
            "name_en": "Tier 4",
            "organization": value,
            "climb_after_working_days": "2",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["organization"]
