"""Commitments (承诺制) kept on time and broken, per utility, computed in the rollup's SQL and
shown on the staff KPI page and the public transparency page."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from applications.constants import ServiceStatus
from applications.selectors.staff import staff_scope
from applications.services import (
    commitment_breach,
    commitment_supply,
    commitment_verify,
    commitments_fall_due,
)
from indicators.selectors.kpi import KpiFilter, kpi_commitments
from indicators.services.rollup import kpi_rollup_refresh
from tests.factories import PDF_BYTES, staff_of

# Past every commitment's working day: the late part of the story happens then.
LATER = timezone.now() + dt.timedelta(days=90)


def _pdf(name):
    return SimpleUploadedFile(name, PDF_BYTES + name.encode(), "application/pdf")


@pytest.fixture
def decided(submit, applicant):
    """Water: the planning permit kept before it fell due, the construction permit kept late,
    the property right broken (which stops the application)."""
    combined = submit(["water"], commit_where_allowed=True)
    land = staff_of("natural-resources", username="nr")
    housing = staff_of("housing", username="hs")
    planning = combined.commitments.get(doc_type="planning_permit")
    planning = commitment_supply(actor=applicant, commitment=planning, upload=_pdf("p"))
    commitment_verify(actor=land, commitment=planning)
    with time_machine.travel(LATER, tick=False):
        commitments_fall_due()
        construction = combined.commitments.get(doc_type="construction_permit")
        construction = commitment_supply(actor=applicant, commitment=construction, upload=_pdf("c"))
        commitment_verify(actor=housing, commitment=construction)
        commitment_breach(
            actor=land,
            commitment=combined.commitments.get(doc_type="property_right"),
            reason="土地权属证明不实",
        )
        assert combined.services.get().status == ServiceStatus.REJECTED
        kpi_rollup_refresh()
    return combined


@time_machine.travel(LATER, tick=False)
@pytest.mark.django_db
def test_kept_on_time_and_broken_per_utility(decided):
    office = staff_of("leadership-office", username="office")
    filters = KpiFilter.last_months(timezone.localdate())
    rows = kpi_commitments(scope=staff_scope(user=office), filters=filters)
    assert [(r["utility"], r["kept"], r["kept_on_time"], r["broken"]) for r in rows] == [
        ("water", 2, 1, 1)
    ]


@time_machine.travel(LATER, tick=False)
@pytest.mark.django_db
def test_the_kpi_page_shows_the_table(decided, client):
    client.force_login(staff_of("leadership-office", username="office"))
    page = client.get(reverse("staff:kpi"))
    assert page.status_code == 200
    assert page.context["tables"]["commitments"]["rows"] == [["供水", 2, 1, "50.0", 1]]


@time_machine.travel(LATER, tick=False)
@pytest.mark.django_db
def test_the_transparency_page_shows_them(decided, client):
    html = client.get("/en/transparency/").content.decode()
    water = html[html.index('<tr data-utility="water">') :]
    water = water[: water.index("</tr>")]
    for col, value in (("commitments_kept_on_time", ">1 "), ("commitments_broken", ">1<")):
        cell = water[water.index(f'data-col="{col}"') :]
        assert value in cell[: cell.index("</td>") + 5], col
    assert "of 2 kept" in water
