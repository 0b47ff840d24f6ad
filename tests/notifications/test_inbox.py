"""The applicant's in-portal inbox shows every notice sent to their company, and only that."""

import pytest

from notifications.services import facts_process
from tests.factories import company, member_of


@pytest.fixture
def signed_in(client, applicant):
    client.force_login(applicant)
    return client


def test_every_change_to_my_request_reaches_my_inbox(signed_in, submit, operator_staff):
    from applications.services import service_application_transition

    combined = submit(["water"])
    service_application_transition(
        actor=operator_staff("zs-water"),
        service_application=combined.services.get(),
        transition="return_for_correction",
        data={"reason": "请补充二次供水设计图"},
    )
    facts_process()
    page = signed_in.get("/en/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count(combined.reference) == 2  # submitted, then returned
    assert "请补充二次供水设计图" in html
    assert html.count('class="badge badge-info"') == 2


def test_marking_read_only_touches_my_messages(signed_in, submit, client):
    submit(["cable_tv"])
    facts_process()
    page = signed_in.get("/en/inbox/")
    ids = page.context["page"].object_list
    signed_in.post("/en/inbox/read/", {"delivery": [m.pk for m in ids]})
    assert "badge badge-info" not in signed_in.get("/en/inbox/").content.decode()


def test_another_company_sees_nothing_of_mine(client, submit):
    submit(["cable_tv"])
    facts_process()
    client.force_login(member_of(company("other", "另一公司")))
    page = client.get("/en/inbox/")
    assert page.status_code == 200
    assert list(page.context["page"].object_list) == []


def test_the_inbox_needs_a_signed_in_user(client):
    assert client.get("/en/inbox/").status_code == 302


def test_the_inbox_runs_a_constant_number_of_queries(
    signed_in, submit, django_assert_max_num_queries
):
    submit(["cable_tv"])
    facts_process()
    with django_assert_max_num_queries(8) as small:
        signed_in.get("/en/inbox/")
    submit(["electricity", "water", "gas", "network", "cable_tv"])
    facts_process()
    with django_assert_max_num_queries(len(small.captured_queries)):
        signed_in.get("/en/inbox/")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "9999999999999999999999", "-1", "x"])
def test_an_id_that_is_no_number_marks_nothing_and_is_no_server_error(signed_in, value):
    """`"²".isdigit()` is true but `int("²")` fails: that was a server error."""
    signed_in.raise_request_exception = False
    response = signed_in.post("/en/inbox/read/", {"delivery": [value]})
    assert response.status_code == 302
