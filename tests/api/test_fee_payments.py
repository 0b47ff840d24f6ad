"""An operator quotes a fee, the applicant confirms it, the operator reports its payment."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import FeePayment, StateChange
from applications.services import service_application_transition
from workgroups.calendar import local_date

PLAN = {
    "survey_result": "现场具备接入条件",
    "plan": "由10kV翠亨线T接,新建630kVA箱变",
    "fee_quote_cny": "1250.50",
    "fee_items": [
        {"label": "外线工程费", "amount_cny": "1000.00"},
        {"label": "计量装置费", "amount_cny": "250.50"},
    ],
    "required_permits": [],
}
PAID = {"amount_cny": "1250.50", "paid_on": "2026-01-05", "receipt_number": "GD-2026-0001"}


def _move(api, sa, transition, **data):
    return api.post(
        f"/api/v1/work-items/{sa.uuid}/transitions/",
        {"transition": transition, **data},
        format="json",
    )


def _pay(api, sa, data=PAID, **headers):
    return api.post(f"/api/v1/work-items/{sa.uuid}/payments/", data, format="json", **headers)


@pytest.fixture
def quoted(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    _move(operator_api, sa, "accept")
    _move(operator_api, sa, "start_survey")
    response = _move(operator_api, sa, "issue_plan", **PLAN)
    assert response.status_code == 200, response.json()
    return sa


@pytest.fixture
def confirmed(quoted, applicant):
    service_application_transition(
        actor=applicant, service_application=quoted, transition="confirm_plan"
    )
    return quoted


def test_the_itemised_quote_and_its_confirmation_show_on_the_work_item(
    quoted, applicant, operator_api
):
    fee = operator_api.get(f"/api/v1/work-items/{quoted.uuid}/").json()["fee"]
    assert fee["status"] == "quoted"
    assert fee["quoted_cny"] == "1250.50"
    assert [i["label"] for i in fee["items"]] == ["外线工程费", "计量装置费"]
    assert fee["confirmed_at"] is None

    service_application_transition(
        actor=applicant, service_application=quoted, transition="confirm_plan"
    )

    fee = operator_api.get(f"/api/v1/work-items/{quoted.uuid}/").json()["fee"]
    assert fee["status"] == "confirmed"
    assert fee["confirmed_at"] is not None
    quoted.refresh_from_db()
    assert quoted.fee_confirmed_by == applicant


def test_items_that_do_not_add_up_to_the_quote_are_a_field_error(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    _move(operator_api, sa, "accept")
    _move(operator_api, sa, "start_survey")
    response = _move(operator_api, sa, "issue_plan", **{**PLAN, "fee_quote_cny": "99.00"})
    assert response.status_code == 400
    assert "fee_items" in response.json()["errors"]


def test_a_reported_payment_settles_the_fee_and_a_replay_records_it_once(confirmed, operator_api):
    first = _pay(operator_api, confirmed)
    assert first.status_code == 201, first.json()

    again = _pay(operator_api, confirmed)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert FeePayment.objects.filter(service_application=confirmed).count() == 1
    assert (
        StateChange.objects.filter(
            service_application=confirmed, transition="record_payment"
        ).count()
        == 1
    )
    fee = operator_api.get(f"/api/v1/work-items/{confirmed.uuid}/").json()["fee"]
    assert (fee["status"], fee["paid_cny"], fee["outstanding_cny"]) == ("paid", "1250.50", "0.00")
    assert [p["receipt_number"] for p in fee["payments"]] == ["GD-2026-0001"]


def test_the_same_receipt_with_another_amount_is_refused(confirmed, operator_api):
    _pay(operator_api, confirmed)

    response = _pay(operator_api, confirmed, {**PAID, "amount_cny": "1.00"})

    assert response.status_code == 409
    assert response.json()["type"] == "domain_error"
    assert FeePayment.objects.get().amount_cny == 1250.50


def test_an_idempotency_key_replays_the_first_answer(confirmed, operator_api):
    key = {"HTTP_IDEMPOTENCY_KEY": "pay-1"}
    first = _pay(operator_api, confirmed, **key)
    again = _pay(operator_api, confirmed, **key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


def test_part_payments_leave_the_rest_outstanding(confirmed, operator_api):
    _pay(operator_api, confirmed, {**PAID, "amount_cny": "1000.00"})
    fee = operator_api.get(f"/api/v1/work-items/{confirmed.uuid}/").json()["fee"]
    assert (fee["status"], fee["outstanding_cny"]) == ("part_paid", "250.50")


def test_no_payment_before_the_applicant_confirmed_the_quote(quoted, operator_api):
    response = _pay(operator_api, quoted)
    assert response.status_code == 409
    assert not FeePayment.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount_cny", "-1.00"),
        ("amount_cny", "1" * 40),
        ("amount_cny", "12.345"),
        ("amount_cny", "NaN"),
        ("amount_cny", "1\x00"),
        ("paid_on", "2026-13-40"),
        ("paid_on", "2999-01-01"),
        ("receipt_number", "GD\x00001"),
        ("receipt_number", "x" * 61),
        ("receipt_number", "GD 001"),
    ],
)
def test_bad_payment_input_is_a_field_error(confirmed, operator_api, field, value):
    response = _pay(operator_api, confirmed, {**PAID, field: value})
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not FeePayment.objects.exists()


def test_another_operator_cannot_see_or_pay_the_case(confirmed, make_token, bearer):
    water = bearer(make_token("zs-water"))
    assert _pay(water, confirmed).status_code == 404
    assert not FeePayment.objects.exists()


def test_the_applicant_cannot_report_a_payment(confirmed, applicant):
    from rest_framework.test import APIClient

    session = APIClient()
    session.force_login(applicant)
    assert _pay(session, confirmed).status_code in (401, 403, 404)
    assert not FeePayment.objects.exists()


def test_the_work_item_detail_costs_the_same_queries_with_more_payments(confirmed, operator_api):
    _pay(operator_api, confirmed, {**PAID, "amount_cny": "1.00", "receipt_number": "R1"})
    with CaptureQueriesContext(connection) as one:
        operator_api.get(f"/api/v1/work-items/{confirmed.uuid}/")
    for n in range(2, 5):
        _pay(operator_api, confirmed, {**PAID, "amount_cny": "1.00", "receipt_number": f"R{n}"})
    with CaptureQueriesContext(connection) as four:
        body = operator_api.get(f"/api/v1/work-items/{confirmed.uuid}/").json()
    assert len(body["fee"]["payments"]) == 4
    assert body["fee"]["paid_cny"] == "4.00"
    assert len(four) == len(one)


def test_paid_on_today_is_accepted(confirmed, operator_api):
    today = local_date(timezone.now()).isoformat()
    assert _pay(operator_api, confirmed, {**PAID, "paid_on": today}).status_code == 201
