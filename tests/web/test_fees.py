"""Fees settled (缴费): the quote the applicant sees and confirms on the tracking page, the
payments the operator reports or its staff mark on the case page, and what is outstanding."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.constants import PaymentSource
from applications.models import CombinedApplication, Draft, FeePayment
from applications.services import fee_payment_record
from tests.factories import staff_of
from tests.web.helpers import plan_issued, request_post

pytestmark = pytest.mark.django_db

PLAN = {
    "survey_result": "现场具备接入条件",
    "plan": "由10kV翠亨线T接,新建箱变一台",
    "fee_quote_cny": "1250.50",
    "fee_items": "外线工程费 = 1000.00\n计量装置费 = 250.50",
    "required_permits": [],
}


@pytest.fixture
def combined(submit):
    return submit(["electricity", "water"])


@pytest.fixture
def quoted(combined, operator_staff):
    """Both utilities surveyed and quoted (electricity itemised, water a single sum)."""
    for sa in combined.services.all():
        plan = PLAN if sa.utility == "electricity" else {**PLAN, "fee_items": ""}
        plan_issued(sa, actor=operator_staff(sa.operator.code), plan=plan)
    return {sa.utility: sa for sa in combined.services.all()}


def _tracking(combined) -> str:
    return f"/en/requests/{combined.uuid}/"


def _confirm(web, combined, sa):
    return web.post(f"{_tracking(combined)}{sa.uuid}/confirm_plan/", {})


def _staff(code: str, name: str) -> Client:
    client = Client()
    client.force_login(staff_of(code, username=name))
    return client


def _mark_paid(client, combined, sa, **data):
    prefix = f"pay{sa.pk}"
    fields = {"amount_cny": "1250.50", "paid_on": "2026-01-05", "receipt_number": "W-1", **data}
    return client.post(
        reverse("staff:case_payment", args=[combined.uuid, sa.uuid]),
        {f"{prefix}-{k}": v for k, v in fields.items()},
    )


def _fee_row(html: str, utility: str) -> str:
    return re.search(rf'<tr data-fee="{utility}"[^>]*>.*?</tr>', html, re.S).group(0)


def test_the_applicant_sees_the_itemised_quote_confirms_it_and_sees_it_paid(
    web, combined, quoted, operator_staff, applicant
):
    sa = quoted["electricity"]
    html = web.get(_tracking(combined)).content.decode()
    assert 'data-fee-status="quoted"' in _fee_row(html, "electricity")
    assert "外线工程费" in html and "¥250.50" in html
    assert f"/demands/new/?theme=payment&amp;case={sa.uuid}" in html

    assert _confirm(web, combined, sa).status_code == 302

    sa.refresh_from_db()
    assert sa.fee_confirmed_by == applicant and sa.fee_confirmed_at is not None
    html = web.get(_tracking(combined)).content.decode()
    assert 'data-fee-status="confirmed"' in _fee_row(html, "electricity")
    assert "Fee confirmed on" in html

    fee_payment_record(
        actor=operator_staff("csg-zhongshan"),
        service_application=sa,
        data={"amount_cny": "1250.50", "paid_on": "2026-01-05", "receipt_number": "GD-1"},
    )

    row = _fee_row(web.get(_tracking(combined)).content.decode(), "electricity")
    assert 'data-fee-status="paid"' in row
    assert '<td class="num" data-outstanding>¥0.00</td>' in row


def test_the_question_link_opens_a_payment_question_about_the_case(web, combined, quoted):
    sa = quoted["water"]
    html = web.get(f"/en/demands/new/?theme=payment&case={sa.uuid}").content.decode()
    assert re.search(r'<option value="payment" selected>', html)
    assert re.search(rf'<option value="{sa.pk}" selected>', html)
    assert re.search(r'<option value="water" selected>', html)


def test_staff_of_the_operator_mark_the_fee_paid_on_the_case_page(web, combined, quoted):
    sa = quoted["water"]
    _confirm(web, combined, sa)
    water = _staff("zs-water", "water-clerk")

    response = _mark_paid(water, combined, sa)

    assert response.status_code == 302
    payment = FeePayment.objects.get()
    assert (payment.source, payment.receipt_number) == (PaymentSource.STAFF, "W-1")
    html = water.get(reverse("staff:case", args=[combined.uuid])).content.decode()
    assert 'data-fee-status="paid"' in html and 'data-receipt="W-1"' in html
    # The same receipt again records nothing; other figures are refused.
    assert _mark_paid(water, combined, sa).status_code == 302
    assert _mark_paid(water, combined, sa, amount_cny="9.00").status_code == 409
    assert FeePayment.objects.count() == 1


def test_bad_staff_input_rerenders_the_form_with_field_errors(web, combined, quoted):
    sa = quoted["water"]
    _confirm(web, combined, sa)
    water = _staff("zs-water", "water-clerk")
    for field, value in (
        ("amount_cny", "99999999999999999999"),
        ("amount_cny", "-5"),
        ("amount_cny", "1.234"),
        ("receipt_number", "W 1"),
        ("paid_on", "yesterday"),
    ):
        response = _mark_paid(water, combined, sa, **{field: value})
        assert response.status_code == 200, (field, value)
        assert f'id="id_pay{sa.pk}-{field}"' in response.content.decode()
        assert response.context["columns"][-1].payment_form.errors.get(field), (field, value)
    assert not FeePayment.objects.exists()


def test_other_operators_and_the_applicant_cannot_mark_a_fee_paid(web, combined, quoted, applicant):
    sa = quoted["water"]
    _confirm(web, combined, sa)
    power = _staff("csg-zhongshan", "power-clerk")
    assert _mark_paid(power, combined, sa).status_code == 404
    assert _mark_paid(web, combined, sa).status_code in (302, 403, 404)
    assert not FeePayment.objects.exists()
    html = power.get(reverse("staff:case", args=[combined.uuid])).content.decode()
    assert "Mark the fee paid" not in html or 'data-utility="water"' not in html


def _page_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_pages_cost_the_same_whatever_the_payments(
    web, combined, quoted, operator_staff, settings
):
    settings.PAGE_CACHE_SECONDS = 0  # the cost of rendering the tracking page, not of the cache
    for sa in quoted.values():
        _confirm(web, combined, sa)
    water = _staff("zs-water", "water-clerk")
    case_url = reverse("staff:case", args=[combined.uuid])
    pay = quoted["water"]
    fee_payment_record(
        actor=operator_staff("zs-water"),
        service_application=pay,
        data={"amount_cny": "1.00", "paid_on": "2026-01-05", "receipt_number": "R0"},
    )
    before = (_page_queries(web, _tracking(combined)), _page_queries(water, case_url))
    for sa in quoted.values():
        for n in range(1, 4):
            fee_payment_record(
                actor=operator_staff(sa.operator.code),
                service_application=sa,
                data={"amount_cny": "1.00", "paid_on": "2026-01-05", "receipt_number": f"R{n}"},
            )
    after = (_page_queries(web, _tracking(combined)), _page_queries(water, case_url))
    assert after == before


def test_choosing_payment_on_the_request_form_rerenders_it_with_the_error(web, project):
    web.post("/en/requests/new/", {"project": str(project.uuid)})
    draft = Draft.objects.get()
    data = {**request_post(["water"], upload=False), "business_type": "payment"}

    response = web.post(f"/en/requests/drafts/{draft.uuid}/", data)

    assert response.status_code == 200
    assert "asked as a question" in response.context["form"].errors["business_type"][0]
    assert not CombinedApplication.objects.exists()
