"""A NUL character anywhere in a request's input is refused before any view: a 400 that names
the field, on the page or in the API's error shape, and nothing is saved. (PostgreSQL cannot
store NUL: it used to reach the database through drafts, staff comments, the staff queue's
filters and the admin's changelist filters, and answer 500.)"""

import pytest
from django.test import Client

from applications.models import Draft, ServiceApplication
from applications.services import draft_create
from tests.factories import staff_of

pytestmark = pytest.mark.django_db

NUL = "a\x00b"


@pytest.fixture
def applicant_client(applicant):
    client = Client()
    client.force_login(applicant)
    return client


def test_a_draft_saved_with_a_nul_is_refused_and_left_as_it_was(
    applicant_client, applicant, applicant_org, project
):
    draft = draft_create(actor=applicant, owner=applicant_org, project=project)
    response = applicant_client.post(
        f"/en/requests/drafts/{draft.uuid}/",
        {"action": "save", "utilities": ["gas"], "gas-appliances": f"灶台 {NUL}"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<code>gas-appliances</code>: Null characters are not allowed." in page
    assert "<code>utilities</code>" not in page
    draft.refresh_from_db()
    assert draft.data == {}


def test_a_staff_comment_with_a_nul_is_refused_and_the_case_stays(submit):
    sa = submit(["electricity"]).services.get()
    client = Client()
    client.force_login(staff_of("csg-zhongshan", username="power-staff"))
    prefix = f"t{sa.pk}-accept"
    response = client.post(
        f"/staff/cases/{sa.combined.uuid}/{sa.uuid}/accept/", {f"{prefix}-comment": NUL}
    )
    assert response.status_code == 400
    assert f"{prefix}-comment" in response.content.decode()
    assert ServiceApplication.objects.get(pk=sa.pk).status == "submitted"


@pytest.mark.parametrize(
    "query",
    [{"q": NUL}, {"town": NUL}, {NUL: "1"}],
    ids=["search", "town", "parameter name"],
)
def test_the_staff_queue_refuses_a_nul_in_any_parameter(reference, query):
    client = Client()
    client.force_login(staff_of("csg-zhongshan", username="power-staff"))
    response = client.get("/en/staff/queue/", query)
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()


def test_the_admin_changelist_filters_refuse_a_nul(django_user_model, reference):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.cn"))
    response = client.get("/en/admin/applications/serviceapplication/", {"status__exact": NUL})
    assert response.status_code == 400
    assert "<code>status__exact</code>" in response.content.decode()


def test_a_nul_in_the_path_is_refused_before_any_lookup(reference):
    """A URL parameter such as a demand's private-link token reaches a query as typed."""
    response = Client().get("/en/demands/p/00000000-0000-0000-0000-000000000000/tok%00en/")
    assert response.status_code == 400
    assert "<code>path</code>" in response.content.decode()
    api = Client().get("/api/v1/work-items/a%00b/")
    assert api.status_code == 400 and api.json()["errors"]["path"]


def test_the_refusal_is_in_chinese_on_the_chinese_site(applicant_client, reference):
    response = applicant_client.get("/projects/new/", {"code": NUL})
    assert response.status_code == 400
    page = response.content.decode()
    assert "输入被拒绝" in page
    assert "<code>code</code>: 不允许包含空字符（NUL）。" in page


def test_clean_input_passes_through(applicant_client, applicant, applicant_org, project):
    draft = draft_create(actor=applicant, owner=applicant_org, project=project)
    response = applicant_client.post(
        f"/en/requests/drafts/{draft.uuid}/",
        {"action": "save", "utilities": ["gas"], "gas-appliances": "灶台 x4"},
    )
    assert response.status_code == 302
    assert Draft.objects.get(pk=draft.pk).data["details"]["gas"] == {"appliances": "灶台 x4"}
