"""The indicator pages' period: months from 2000-01 to 2099-12, at most 120 months, refused
beside the field and in the error summary, the page answering 200 (a `to=9999-12` was a
server error; a period of ten thousand years kept the database busy for seconds)."""

import re

import pytest
from django.test import Client

from tests.error_summary import assert_error_summary
from tests.factories import staff_of

pytestmark = pytest.mark.django_db

PAGES = ("/en/staff/kpi/", "/en/staff/scorecards/")


@pytest.fixture
def office(reference):
    client = Client()
    client.force_login(staff_of("leadership-office", username="office"))
    return client


def _errors(page: str) -> list[str]:
    return re.findall(r'<span class="errors" id="period-(\w+)-errors" role="alert">([^<]*)<', page)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("period", "field", "message"),
    [
        ({"to": "9999-12"}, "to", "Choose a month from 2000-01 to 2099-12."),
        ({"from": "0000-01"}, "from", "Enter a month as YYYY-MM."),
        ({"from": "1999-12"}, "from", "Choose a month from 2000-01 to 2099-12."),
        ({"from": "2025-13"}, "from", "Enter a month as YYYY-MM."),
        ({"from": "2000-01", "to": "2099-12"}, "from", "Choose a period of at most 120 months"),
        ({"from": "2026-01", "to": "2015-12"}, "from", "Choose a period of at most 120 months"),
    ],
)
def test_a_month_out_of_range_or_a_period_too_long_is_refused_beside_its_field(
    office, page, period, field, message
):
    response = office.get(page, period)
    assert_error_summary(response, message, field=f"id_{field}")
    html = response.content.decode()
    [(named, text)] = _errors(html)
    assert named == field
    assert text.startswith(message)
    assert "<table" not in html  # no figures of another period than the one asked for
    assert f'value="{period[field]}"' in html  # what was typed, to correct


def test_a_download_of_a_refused_period_is_refused_too(office):
    response = office.get("/en/staff/kpi/", {"to": "9999-12", "csv": "connections"})
    assert_error_summary(response, "Choose a month from 2000-01 to 2099-12.", field="id_to")
    assert "text/html" in response["Content-Type"]


@pytest.mark.parametrize("page", PAGES)
def test_ten_years_is_the_longest_period(office, page):
    response = office.get(page, {"from": "2016-01", "to": "2025-12"})
    assert response.status_code == 200
    assert not _errors(response.content.decode())


def test_the_messages_are_in_chinese_on_the_chinese_pages(office):
    response = office.get("/staff/kpi/", {"from": "2000-01", "to": "2099-12"})
    assert_error_summary(response, "统计期间最长 120 个月（10 年）。", field="id_from")
    assert _errors(response.content.decode()) == [("from", "统计期间最长 120 个月（10 年）。 ")]
