"""The public pages answer in both languages, and a demo-style login works."""

import pytest

from tests.factories import company, member_of

pytestmark = pytest.mark.django_db


def test_home_is_chinese_first_and_english_on_request(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    english = client.get("/en/")
    assert english.status_code == 200
    assert "one request" in english.content.decode()


def test_an_applicant_signs_in_and_out(client, reference):
    member_of(company(), username="applicant-a", password="pass-1234")
    response = client.post(
        "/en/accounts/login/", {"username": "applicant-a", "password": "pass-1234"}
    )
    assert response.status_code == 302
    assert "Signed in as applicant-a" in client.get("/en/").content.decode()
    client.post("/en/accounts/logout/")
    assert "Signed in" not in client.get("/en/").content.decode()


def test_a_wrong_password_is_refused_with_a_message(client, reference):
    member_of(company(), username="applicant-b", password="pass-1234")
    response = client.post("/en/accounts/login/", {"username": "applicant-b", "password": "x"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_health_check_touches_the_database(client):
    assert client.get("/healthz").json() == {"status": "ok"}
