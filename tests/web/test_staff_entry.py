"""Staff entry (issue 11, item 1): the staff link, /staff/ as the staff home, where staff land
after signing in, /en/staff/ in English, the admin as "system administration" for administrators
only, and who is signed in (and for which organisation) in the header of every page."""

import pytest
from django.contrib.messages import get_messages

from tests.factories import UserFactory
from workgroups.models import Organization


@pytest.fixture
def operator(operator_staff):
    return operator_staff("csg-zhongshan")


def _sign_in(client, user, next_=None, prefix="/en"):
    data = {"username": user.username, "password": "pass-1234"}
    if next_ is not None:
        data["next"] = next_
    return client.post(f"{prefix}/accounts/login/", data)


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_home_pages_staff_link_goes_to_the_staff_home_not_the_admin(client, reference, prefix):
    page = client.get(f"{prefix}/").content.decode()
    assert f'href="{prefix}/staff/"' in page
    assert 'href="/admin/' not in page and 'href="/en/admin/' not in page


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_an_anonymous_visitor_at_the_staff_home_is_sent_to_sign_in_and_back(
    client, reference, prefix
):
    response = client.get(f"{prefix}/staff/")
    assert response.status_code == 302
    assert response.url == f"{prefix}/accounts/login/?next={prefix}/staff/"


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_staff_at_the_staff_home_are_taken_to_their_queue(client, operator, prefix):
    client.force_login(operator)
    response = client.get(f"{prefix}/staff/")
    assert response.status_code == 302
    assert response.url == f"{prefix}/staff/queue/"


def test_an_applicant_at_the_staff_home_is_told_it_is_for_staff(web):
    response = web.get("/en/staff/")
    assert response.status_code == 403
    assert "Staff only" in response.content.decode()


def test_the_staff_site_answers_in_english_under_en_and_in_chinese_at_the_root(client, operator):
    client.force_login(operator)
    english = client.get("/en/staff/", follow=True)
    assert english.status_code == 200
    assert english.redirect_chain[-1][0] == "/en/staff/queue/"
    assert english.headers["Content-Language"] == "en"
    assert "Work queue" in english.content.decode()
    chinese = client.get("/staff/", follow=True)
    assert chinese.status_code == 200
    assert chinese.headers["Content-Language"] == "zh-hans"
    assert "工作队列" in chinese.content.decode()


def test_staff_land_on_their_queue_after_signing_in(client, operator):
    response = _sign_in(client, operator)
    assert response.status_code == 302
    assert response.url == "/en/staff/queue/"
    client.logout()
    assert _sign_in(client, operator, prefix="").url == "/staff/queue/"


def test_a_superuser_lands_on_the_queue_too(client, reference):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    assert _sign_in(client, admin).url == "/en/staff/queue/"


def test_applicants_still_land_on_their_requests(client, applicant):
    assert _sign_in(client, applicant).url == "/en/requests/"


def test_a_safe_next_is_honoured_and_an_unsafe_one_ignored(client, operator):
    assert _sign_in(client, operator, next_="/en/staff/escalations/").url == (
        "/en/staff/escalations/"
    )
    client.logout()
    evil = _sign_in(client, operator, next_="https://evil.example/staff/")
    assert evil.url == "/en/staff/queue/"


def test_the_admin_is_branded_as_the_portals_system_administration(client, reference):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    english = client.get("/en/admin/").content.decode()
    assert "Zhongshan Utility Connection Portal: system administration" in english
    assert "<title>System administration | Zhongshan Utility Connection Portal</title>" in english
    assert "portal/favicon.svg" in english and "portal/admin.css" in english
    assert "Django administration" not in english
    chinese = client.get("/admin/").content.decode()
    assert "系统管理" in chinese
    assert "中山市市政公用服务接入联动平台" in chinese
    login = client.get("/en/admin/login/")  # signed in already: straight to the index
    assert login.status_code == 302


def test_the_admin_sign_in_form_carries_the_portals_name(client, reference):
    page = client.get("/en/admin/login/").content.decode()
    assert "Zhongshan Utility Connection Portal: system administration" in page


@pytest.mark.parametrize("who", ["operator", "applicant"])
def test_signed_in_people_without_admin_rights_are_sent_to_the_staff_site(
    client, operator, applicant, who
):
    client.force_login({"operator": operator, "applicant": applicant}[who])
    response = client.get("/en/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/en/staff/")
    assert "admin/login" not in response.redirect_chain[-1][0]
    shown = [str(m) for m in get_messages(response.wsgi_request)] + [response.content.decode()]
    assert any("System administration is for the portal" in text for text in shown)


@pytest.mark.parametrize(("prefix", "signed_in_as"), [("/en", "Signed in as"), ("", "当前登录")])
def test_the_header_shows_who_is_signed_in_and_their_organisation(
    client, operator, applicant, prefix, signed_in_as
):
    english = prefix == "/en"
    company = Organization.objects.get(code="acme")
    csg = Organization.objects.get(code="csg-zhongshan")
    client.force_login(applicant)
    for path in ("/", "/projects/"):
        page = client.get(f"{prefix}{path}").content.decode()
        header = page.split("</header>")[0]
        assert signed_in_as in header
        assert applicant.username in header
        assert (company.name_en if english else company.name_zh) in header
    client.force_login(operator)
    for path in ("/staff/queue/", "/"):
        page = client.get(f"{prefix}{path}").content.decode()
        header = page.split("</header>")[0]
        assert operator.username in header
        assert (csg.name_en if english else csg.name_zh) in header
