"""The first and the final rating both count: the indicators show, per workgroup, satisfaction
before follow-up (every first rating) and after it (the applicant's second rating where they
gave one after a bad rating was followed up), and the follow-ups answered on time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from applications.models import RatingLevel
from applications.selectors.staff import staff_scope
from applications.services import service_application_rate
from coordination.models import FollowUp
from coordination.services import follow_up_transition, follow_ups_open
from indicators.selectors.kpi import KpiFilter, kpi_follow_ups
from indicators.services.rollup import kpi_rollup_refresh
from tests.factories import make_service, staff_of

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
MOMENT = dt.datetime(2025, 9, 30, 10, tzinfo=CST)
PERIOD = KpiFilter(first=dt.date(2025, 9, 1), last=dt.date(2025, 10, 1))


@pytest.fixture
def rated(applicant_org, applicant, project):
    """Four electricity connections rated on 30 September 2025: two good, two bad; one bad
    rating followed up and rated "satisfied" the second time."""
    levels = [
        RatingLevel.VERY_SATISFIED,
        RatingLevel.SATISFIED,
        RatingLevel.DISSATISFIED,
        RatingLevel.VERY_DISSATISFIED,
    ]
    services = []
    with time_machine.travel(MOMENT, tick=False):
        for level in levels:
            sa = make_service(
                applicant_org=applicant_org,
                applicant=applicant,
                project=project,
                status="connected",
                connected_at=MOMENT,
            )
            service_application_rate(actor=applicant, service_application=sa, level=level)
            services.append(sa)
        follow_ups_open(now=MOMENT)
    lead = staff_of("ndrc", username="lead-ndrc")
    follow_up = FollowUp.objects.get(service_application=services[2])
    with time_machine.travel(MOMENT + dt.timedelta(days=10), tick=False):
        for name, data in (
            ("record_call", {"called_at": "2025-10-09 10:00", "reached": "王经理"}),
            ("answer", {"cause": "排期冲突", "fix": "已调整排期"}),
        ):
            follow_up_transition(actor=lead, follow_up=follow_up, transition=name, data=data)
        follow_up_transition(
            actor=applicant, follow_up=follow_up, transition="re_rate", data={"level": "satisfied"}
        )
    kpi_rollup_refresh()
    return lead


def test_satisfaction_before_and_after_follow_up_per_workgroup(rated):
    rows = kpi_follow_ups(scope=staff_scope(user=rated), filters=PERIOD)
    assert [
        (
            r["ratings"],
            r["good_before"],
            r["good_after"],
            r["follow_ups"],
            r["follow_ups_on_time"],
            r["re_rated"],
        )
        for r in rows
    ] == [(4, 2, 3, 2, 1, 1)]
    assert rows[0]["workgroup"]


def test_other_workgroups_see_no_figures(rated):
    other = staff_of("housing", username="lead-housing")
    assert kpi_follow_ups(scope=staff_scope(user=other), filters=PERIOD) == []


def test_the_kpi_page_shows_both_ratings(rated, client):
    client.force_login(rated)
    page = client.get(reverse("staff:kpi"), {"from": "2025-09", "to": "2025-10"})
    assert page.status_code == 200
    assert "回访前满意率" in page.content.decode()
    rows = page.context["tables"]["follow_ups"]["rows"]
    assert [row[1:4] for row in rows] == [[4, "50.0", "75.0"]]
