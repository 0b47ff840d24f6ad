"""Projects: list, create, edit with field errors; claim a pushed project; others' are 404."""

import pytest

from applications.constants import ProjectSource
from applications.models import Project
from applications.permissions import grant_project
from tests.factories import ProjectFactory
from workgroups.models import Organization, Town

pytestmark = pytest.mark.django_db


def _project_form(**overrides):
    data = {
        "code": "2026-442000-48-01-900001",
        "name": "南朗数据中心",
        "kind": "new",
        "works_type": "building",
        "address": "中山市南朗街道翠亨大道8号",
        "town": Town.objects.get(code="nanlang").pk,
        "floor_area_m2": "8800.00",
        "planned_start": "2027-03-01",
    }
    data.update(overrides)
    return data


def test_create_a_project_and_see_it_listed(web, applicant_org):
    response = web.post("/en/projects/new/", _project_form())
    assert response.status_code == 302
    project = Project.objects.get(code="2026-442000-48-01-900001")
    assert project.owner == applicant_org and project.source == ProjectSource.APPLICANT
    listing = web.get("/en/projects/").content.decode()
    assert "南朗数据中心" in listing
    assert web.get("/projects/").status_code == 200


def test_field_errors_next_to_each_field_and_nothing_saved(web):
    response = web.post(
        "/en/projects/new/", _project_form(name="", floor_area_m2="-5", town="999999")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"name", "floor_area_m2", "town"} <= set(errors)
    assert 'id="id_name_errors"' in response.content.decode()
    assert not Project.objects.filter(code="2026-442000-48-01-900001").exists()


def test_a_duplicate_code_is_a_field_error(web, project):
    response = web.post("/en/projects/new/", _project_form(code=project.code))
    assert response.status_code == 200
    assert "code" in response.context["form"].errors


def test_edit_a_project_but_never_its_code(web, project):
    grant_project(project)  # what project_create grants (the fixture builds the row directly)
    data = _project_form(code="CHANGED", name="新名字")
    response = web.post(f"/en/projects/{project.uuid}/edit/", data)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.name == "新名字" and project.code != "CHANGED"


def test_another_applicants_project_is_not_found(web, rival_project):
    assert web.get(f"/en/projects/{rival_project.uuid}/edit/").status_code == 404
    response = web.post(f"/en/projects/{rival_project.uuid}/edit/", _project_form())
    assert response.status_code == 404
    assert "rival" not in web.get("/en/projects/").content.decode()


def _pushed(code="2026-442000-48-01-777777", *, owner_credit_code=""):
    provider = Organization.objects.get(code="natural-resources")
    return ProjectFactory(
        code=code,
        name="翠亨新区学校",
        owner=None,
        source=ProjectSource.SHARED_DATA,
        source_organization=provider,
        owner_credit_code=owner_credit_code,
    )


def test_a_pushed_project_is_found_by_code_prefilled_and_claimed(web, verified_org):
    pushed = _pushed(owner_credit_code=verified_org.unified_social_credit_code)
    response = web.get(f"/en/projects/new/?code={pushed.code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "From shared data" in html and "翠亨新区学校" in html
    data = _project_form(code="ignored", name="翠亨新区学校(一期)")
    data["claim"] = pushed.code
    response = web.post("/en/projects/new/", data)
    assert response.status_code == 302
    pushed.refresh_from_db()
    assert pushed.owner == verified_org
    assert pushed.source == ProjectSource.SHARED_DATA and pushed.name == "翠亨新区学校(一期)"
    assert "From shared data" in web.get("/en/projects/").content.decode()


def test_typing_a_pushed_projects_code_leads_to_the_claim(web, verified_org):
    pushed = _pushed(owner_credit_code=verified_org.unified_social_credit_code)
    response = web.post("/en/projects/new/", _project_form(code=pushed.code))
    assert response.status_code == 302
    assert response.url.endswith(f"?code={pushed.code}")


def test_a_claimed_project_cannot_be_claimed_again(web, verified_org, rival_org, rival, client):
    from tests.factories import verify

    verify(rival_org)
    pushed = _pushed(owner_credit_code=verified_org.unified_social_credit_code)
    data = _project_form(code=pushed.code)
    data["claim"] = pushed.code
    assert web.post("/en/projects/new/", data).status_code == 302
    client.force_login(rival)
    response = client.post("/en/projects/new/", data)
    assert response.status_code == 200  # the form again, with the neutral refusal
    assert "No project with this code is waiting for your company" in response.content.decode()
    pushed.refresh_from_db()
    assert pushed.owner == verified_org


def test_an_unknown_code_offers_a_blank_form(web):
    response = web.get("/en/projects/new/?code=NOPE-1")
    assert response.status_code == 200
    assert response.context.get("shared") is None
    assert "No project with this code is waiting for your company" in response.content.decode()


def test_staff_without_an_applicant_company_are_told_where_to_go(client, operator_staff):
    client.force_login(operator_staff("csg-zhongshan"))
    assert client.get("/en/projects/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/en/projects/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_documents_shared_with_a_pushed_project_need_no_upload(web, verified_org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.services import project_document_share
    from tests.factories import PDF_BYTES

    pushed = _pushed(owner_credit_code=verified_org.unified_social_credit_code)
    project_document_share(
        provider=pushed.source_organization,
        project=pushed,
        doc_type="planning_permit",
        upload=SimpleUploadedFile("规划许可证.pdf", PDF_BYTES),
    )
    data = _project_form(code="ignored", name="翠亨新区学校")
    data["claim"] = pushed.code
    assert web.post("/en/projects/new/", data).status_code == 302
    draft_page = web.post("/en/requests/new/", {"project": str(pushed.uuid)}, follow=True)
    html = draft_page.content.decode()
    assert "规划许可证.pdf" in html
    assert "From shared data, nothing to submit" in html
    assert 'name="file-planning_permit"' not in html  # nothing asked for it
