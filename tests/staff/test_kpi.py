"""The KPI dashboard: numbers checked against a hand-computed fixture with a holiday (National
Day 2025 and its make-up working days) and a correction pause, computed in SQL."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from applications.constants import ServiceStatus
from applications.models import Escalation, Rating, StateChange
from tests.factories import make_service, staff_of
from workgroups.calendar import working_days_between

CST = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


@pytest.fixture
def connected(applicant_org, applicant, project):
    """A: Fri 26 Sep -> Mon 13 Oct 2025 across National Day (1-8 Oct off, Sun 28 Sep and
    Sat 11 Oct worked): 7 working days, 2 of them paused for a correction -> 5; 17 calendar
    days; returned for correction once; rated satisfied.
    B: Tue 14 Oct -> Fri 24 Oct 2025: 8 working days, 10 calendar days; one escalation."""

    def make(submitted, connected_at, paused, fee):
        return make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            status=ServiceStatus.CONNECTED,
            submitted_at=submitted,
            connected_at=connected_at,
            paused_working_days=paused,
            fee_quote_cny=Decimal(fee),
        )

    a = make(at("2025-09-26"), at("2025-10-13", 16), 2, "1000.00")
    b = make(at("2025-10-14"), at("2025-10-24", 9), 0, "2000.00")
    StateChange.objects.create(
        service_application=a,
        transition="return_for_correction",
        from_state="submitted",
        to_state="returned",
        at=at("2025-09-29"),
    )
    Escalation.objects.create(
        service_application=b, stage="submitted", breached_due_at=at("2025-10-16", 0)
    )
    Rating.objects.create(
        service_application=a,
        level="satisfied",
        rated_by=applicant,
        organization=applicant_org,
    )
    return a, b


def test_fixture_matches_the_clock(connected):
    a, b = connected
    assert working_days_between(a.submitted_at, a.connected_at) == 7
    assert working_days_between(b.submitted_at, b.connected_at) == 8


def _tables(user):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("staff:kpi"))
    assert response.status_code == 200
    return response.context["tables"], client


@pytest.mark.django_db
def test_leadership_office_sees_the_hand_computed_numbers(connected, reference):
    tables, client = _tables(staff_of("leadership-office", username="lo"))
    # Working days [5, 8]: median 6.5, p90 7.7; calendar days [17, 10]: 13.5, 16.3.
    assert tables["connections"]["rows"] == [
        ["电力", "2025-10", 2, "6.5", "7.7", "13.5", "16.3", 0, "1500.00"]
    ]
    assert tables["applications"]["rows"] == [
        ["电力", "2025-10", 1, 0, "0.0", 1],
        ["电力", "2025-09", 1, 1, "100.0", 0],
    ]
    assert tables["ratings"]["rows"] == [["电力", 0, 1, 0, 0, 0, 1]]

    response = client.get(reverse("staff:kpi"), {"csv": "connections"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["电力", "2025-10", "2", "6.5", "7.7", "13.5", "16.3", "0", "1500.00"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "sees"),
    [("csg-zhongshan", True), ("ndrc", True), ("zs-water", False), ("housing", False)],
)
def test_kpis_cover_only_the_callers_applications(code, sees, connected):
    tables, _ = _tables(staff_of(code, username=f"kpi-{code}"))
    assert bool(tables["connections"]["rows"]) is sees
    assert bool(tables["applications"]["rows"]) is sees
    assert bool(tables["ratings"]["rows"]) is sees
