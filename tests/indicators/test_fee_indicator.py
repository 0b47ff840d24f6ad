"""Fees per utility, paid against quoted (sum and count), computed in SQL: the staff KPI page
(scoped to the caller) and the public transparency page show the same figures."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.constants import ServiceStatus, Utility
from applications.models import FeePayment
from applications.selectors.staff import StaffScope
from indicators.selectors.kpi import KpiFilter, kpi_fees
from indicators.selectors.public import transparency_figures
from tests.factories import make_service, staff_of
from workgroups.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(applicant_org, applicant, project):
    """Electricity: 1000 quoted and paid in two parts, 500 quoted and confirmed but unpaid,
    300 quoted awaiting confirmation. Water: 200 quoted, paid in full."""
    now = timezone.now()

    def case(utility, operator, quote, *, confirmed=True, paid=()):
        sa = make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            utility=utility,
            operator_code=operator,
            status=ServiceStatus.CONSTRUCTING if confirmed else ServiceStatus.PLAN_ISSUED,
            fee_quote_cny=Decimal(quote),
            fee_confirmed_at=now if confirmed else None,
        )
        for n, amount in enumerate(paid):
            FeePayment.objects.create(
                service_application=sa,
                operator=sa.operator,
                receipt_number=f"{sa.pk}-{n}",
                amount_cny=Decimal(amount),
                paid_on=now.date(),
                source="api",
            )
        return sa

    case("electricity", "csg-zhongshan", "1000.00", paid=("600.00", "400.00"))
    case("electricity", "csg-zhongshan", "500.00")
    case("electricity", "csg-zhongshan", "300.00", confirmed=False)
    case("water", "zs-water", "200.00", paid=("200.00",))


def _period() -> KpiFilter:
    return KpiFilter.last_months(timezone.localdate(), 12)


def test_fees_paid_against_quoted_per_utility(fees):
    rows = {r["utility"]: r for r in kpi_fees(filters=_period(), scope=StaffScope(oversight=True))}

    power = rows["electricity"]
    assert (power["quoted"], power["confirmed"], power["paid"], power["payments"]) == (3, 2, 1, 2)
    assert power["quoted_cny"] == Decimal("1800.00")
    assert power["paid_cny"] == Decimal("1000.00")
    assert power["outstanding_cny"] == Decimal("800.00")
    water = rows["water"]
    assert (water["quoted"], water["paid"], water["paid_cny"]) == (1, 1, Decimal("200.00"))


def test_an_operator_sees_only_its_own_fees_and_an_old_period_none(fees):
    water = Organization.objects.get(code="zs-water")
    scope = StaffScope(org_ids=frozenset({water.pk}), operator_ids=frozenset({water.pk}))
    assert [r["utility"] for r in kpi_fees(filters=_period(), scope=scope)] == ["water"]
    old = KpiFilter(first=dt.date(2020, 1, 1), last=dt.date(2020, 12, 1))
    assert kpi_fees(filters=old, scope=StaffScope(oversight=True)) == []
    assert kpi_fees(filters=_period(), scope=StaffScope()) == []


def test_the_kpi_page_and_the_transparency_page_show_the_fees(fees):
    client = Client()
    client.force_login(staff_of("leadership-office", username="lo"))
    response = client.get(reverse("staff:kpi"))
    assert response.status_code == 200
    rows = {str(row[0]): row for row in response.context["tables"]["fees"]["rows"]}
    electricity = rows[str(Utility.ELECTRICITY.label)]
    assert electricity[1:5] == [3, Decimal("1800.00"), 2, 1]

    public = {u["utility"]: u["fees"] for u in transparency_figures()["utilities"]}
    assert public["electricity"]["paid_cny"] == "1000.00"
    assert public["water"]["paid_share"] == 100.0
    assert public["gas"] is None
    html = Client().get("/en" + reverse("applications:transparency")).content.decode()
    assert 'data-table="public-fees"' in html and "1800.00" in html
