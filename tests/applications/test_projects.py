import pytest
from django.core.exceptions import ValidationError

from applications.models import Project
from applications.services import project_create, project_update
from core.errors import PermissionDenied
from tests.factories import company, member_of
from workgroups.models import Organization, Town


def _fields(**overrides):
    fields = {
        "name": "小榄智能制造产业园",
        "kind": "new",
        "works_type": "building",
        "address": "中山市小榄镇工业大道1号",
        "town": Town.objects.get(code="xiaolan"),
    }
    fields.update(overrides)
    return fields


def test_a_company_records_a_project_once(applicant, applicant_org):
    project = project_create(
        actor=applicant, owner=applicant_org, code="2026-442000-48-01-100001", **_fields()
    )
    assert applicant.has_perm("applications.change_project", project)
    with pytest.raises(ValidationError) as caught:
        project_create(
            actor=applicant, owner=applicant_org, code="2026-442000-48-01-100001", **_fields()
        )
    assert "code" in caught.value.message_dict


def test_bad_project_fields_are_named(applicant, applicant_org):
    with pytest.raises(ValidationError) as caught:
        project_create(
            actor=applicant,
            owner=applicant_org,
            code="2026-442000-48-01-100002",
            **_fields(kind="castle", name=""),
        )
    assert {"kind", "name"} <= set(caught.value.message_dict)


def test_an_operator_cannot_record_projects_as_an_applicant(reference):
    operator = Organization.objects.get(code="csg-zhongshan")
    staff = member_of(operator)
    with pytest.raises(PermissionDenied):
        project_create(actor=staff, owner=operator, code="2026-442000-48-01-100003", **_fields())


def test_only_the_owner_edits_a_project(applicant, applicant_org):
    project = project_create(
        actor=applicant, owner=applicant_org, code="2026-442000-48-01-100004", **_fields()
    )
    outsider = member_of(company("other", "另一公司"))
    with pytest.raises(PermissionDenied):
        project_update(actor=outsider, project=project, name="改名")
    project = project_update(actor=applicant, project=project, name="小榄智能制造产业园二期")
    assert project.name.endswith("二期")


@pytest.mark.parametrize(
    "code",
    ["P-1", "2026-442000-48-01-00001", "2026442000480100000l", "26-442000-48-01-000001", ""],
)
def test_a_project_code_not_in_the_national_format_is_refused(applicant, applicant_org, code):
    with pytest.raises(ValidationError) as caught:
        project_create(actor=applicant, owner=applicant_org, code=code, **_fields())
    assert "code" in caught.value.message_dict
    assert not Project.objects.exists()


def test_a_project_code_in_the_national_format_is_kept_without_spaces(applicant, applicant_org):
    project = project_create(
        actor=applicant, owner=applicant_org, code=" 2026-442000-48-01-000123 ", **_fields()
    )
    assert project.code == "2026-442000-48-01-000123"
