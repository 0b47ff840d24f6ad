"""Project records (issue 11, item 5): the national project code's format checked in the form,
the saved project offered for a request, one empty draft however often a request is started,
and a draft deleted only after the applicant says so."""

import pytest

from applications.models import Draft, Project
from tests.web.helpers import request_post
from workgroups.models import Town

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


@pytest.mark.parametrize(
    "code",
    [
        "2026-442000-48-01-900001",
        "1999-442000-01-02-000001",
        " 2026-442000-48-01-900001 ",
    ],
)
def test_a_project_code_in_the_national_format_is_accepted(web, code):
    response = web.post("/en/projects/new/", _project_form(code=code))
    assert response.status_code == 302
    assert Project.objects.filter(code=code.strip()).exists()


@pytest.mark.parametrize(
    "code",
    [
        "P-1",
        "2026-442000-48-01-90001",  # serial one digit short
        "2026-44200-48-01-900001",  # division one digit short
        "20264420004801900001",  # no hyphens
        "2026-442000-4A-01-900001",
        "3026-442000-48-01-900001",
    ],
)
def test_a_project_code_in_another_format_is_a_field_error_in_both_languages(web, code):
    response = web.post("/en/projects/new/", _project_form(code=code))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "YYYY-NNNNNN-NN-NN-NNNNNN" in errors["code"][0]
    assert 'id="id_code_errors"' in response.content.decode()
    chinese = web.post("/projects/new/", _project_form(code=code))
    assert "项目代码" in chinese.context["form"].errors["code"][0]
    assert not Project.objects.exists()


def test_a_saved_project_is_confirmed_with_a_button_to_apply_for_it(web):
    response = web.post("/en/projects/new/", _project_form(), follow=True)
    project = Project.objects.get()
    page = response.content.decode()
    assert "Project 2026-442000-48-01-900001 saved." in page
    assert f'data-saved-project="{project.uuid}"' in page
    assert "Apply for this project" in page
    assert f'name="project" value="{project.uuid}"' in page
    assert 'action="/en/requests/new/"' in page
    # The button starts a request for that project.
    started = web.post("/en/requests/new/", {"project": str(project.uuid)})
    draft = Draft.objects.get()
    assert draft.project == project
    assert started.url == f"/en/requests/drafts/{draft.uuid}/"


def test_an_edited_project_is_confirmed_with_the_apply_button_too(web, project):
    from applications.permissions import grant_project

    grant_project(project)
    response = web.post(
        f"/en/projects/{project.uuid}/edit/", _project_form(name="新名字"), follow=True
    )
    page = response.content.decode()
    assert f"Project {project.code} saved." in page
    assert f'data-saved-project="{project.uuid}"' in page


def test_starting_a_request_twice_reuses_the_empty_draft(web, project):
    first = web.post("/en/requests/new/", {"project": str(project.uuid)})
    second = web.post("/en/requests/new/", {"project": str(project.uuid)})
    assert Draft.objects.count() == 1
    assert first.url == second.url


def test_a_draft_with_something_typed_is_kept_and_a_new_one_started(web, project):
    web.post("/en/requests/new/", {"project": str(project.uuid)})
    draft = Draft.objects.get()
    web.post(f"/en/requests/drafts/{draft.uuid}/", request_post(["cable_tv"], action="save"))
    draft.refresh_from_db()
    assert draft.data["utilities"] == ["cable_tv"]
    web.post("/en/requests/new/", {"project": str(project.uuid)})
    assert Draft.objects.count() == 2


def test_deleting_a_draft_asks_first_and_deletes_only_on_post(web, project):
    web.post("/en/requests/new/", {"project": str(project.uuid)})
    draft = Draft.objects.get()
    form = web.get(f"/en/requests/drafts/{draft.uuid}/").content.decode()
    # The draft form links to the question; it has no form that deletes at once.
    assert f'href="/en/requests/drafts/{draft.uuid}/delete/"' in form
    assert f'action="/en/requests/drafts/{draft.uuid}/delete/"' not in form
    asked = web.get(f"/en/requests/drafts/{draft.uuid}/delete/")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Delete this draft?" in page and "Yes, delete the draft" in page
    # A plain form: it works without any script (the page's only one is the header's menu).
    main = page.split('id="main"')[1].split("</main>")[0]
    assert 'method="post"' in main and "<script" not in main
    assert Draft.objects.filter(pk=draft.pk).exists()
    assert "确定删除此草稿吗" in web.get(f"/requests/drafts/{draft.uuid}/delete/").content.decode()
    done = web.post(f"/en/requests/drafts/{draft.uuid}/delete/", follow=True)
    assert "Draft deleted." in done.content.decode()
    assert not Draft.objects.exists()
