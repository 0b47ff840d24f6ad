"""The KPI page shows, per workgroup, the meetings' action items done by their due working day:
computed in SQL by the rollup from the coordination tables."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from applications.selectors.staff import staff_scope
from coordination.services import (
    ActionItemInput,
    MeetingInput,
    action_item_add,
    action_item_transition,
    meeting_schedule,
    meeting_transition,
)
from indicators.selectors.kpi import KpiFilter, kpi_action_items
from indicators.services.rollup import kpi_rollup_refresh
from tests.factories import staff_of
from workgroups.models import Organization, Workgroup

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
HELD = dt.datetime(2025, 9, 22, 10, tzinfo=CST)
PERIOD = KpiFilter(first=dt.date(2025, 9, 1), last=dt.date(2025, 10, 1))


@pytest.fixture
def lead(reference):
    """Four action items of an electricity meeting: one done on time, one done late, one still
    open past its due day, one dropped (not counted)."""
    lead = staff_of("ndrc", username="kpi-ndrc")
    operator = staff_of("csg-zhongshan", username="kpi-csg")
    with time_machine.travel(HELD, tick=False):
        meeting = meeting_schedule(
            actor=lead,
            data=MeetingInput(
                title="电力工作小组协调会",
                starts_at=HELD,
                place="市发展改革局",
                workgroup=Workgroup.objects.get(code="electricity"),
                invited=[Organization.objects.get(code="csg-zhongshan")],
            ),
        )
        meeting_transition(
            actor=lead, meeting=meeting, transition="hold", data={"minutes": "会议纪要正文"}
        )
        items = [
            action_item_add(
                actor=lead,
                meeting=meeting,
                data=ActionItemInput(
                    description=f"事项{n}",
                    owner=Organization.objects.get(code="csg-zhongshan"),
                    due_day=dt.date(2025, 9, 25),
                ),
            )
            for n in range(4)
        ]
    with time_machine.travel(dt.datetime(2025, 9, 25, 17, tzinfo=CST), tick=False):
        action_item_transition(
            actor=operator, action_item=items[0], transition="complete", data={"note": "已完成"}
        )
        action_item_transition(
            actor=lead, action_item=items[3], transition="drop", data={"reason": "不再需要"}
        )
    with time_machine.travel(dt.datetime(2025, 9, 26, 9, tzinfo=CST), tick=False):
        action_item_transition(
            actor=operator, action_item=items[1], transition="complete", data={"note": "晚了一天"}
        )
    with time_machine.travel(dt.datetime(2025, 10, 9, 9, tzinfo=CST), tick=False):
        kpi_rollup_refresh()
    return lead


def test_action_items_on_time_per_workgroup(lead):
    rows = kpi_action_items(scope=staff_scope(user=lead), filters=PERIOD)
    assert [(r["due"], r["on_time"], r["done"], r["overdue"]) for r in rows] == [(3, 1, 2, 1)]


def test_another_workgroup_sees_no_figures(lead):
    other = staff_of("housing", username="kpi-housing")
    assert kpi_action_items(scope=staff_scope(user=other), filters=PERIOD) == []


def test_the_kpi_page_shows_the_table(lead, client):
    client.force_login(lead)
    page = client.get(reverse("staff:kpi"), {"from": "2025-09", "to": "2025-10"})
    assert page.status_code == 200
    rows = page.context["tables"]["action_items"]["rows"]
    assert [row[1:] for row in rows] == [[3, 1, "33.3", 1, 1]]
