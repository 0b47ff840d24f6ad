"""The public statistics API: counts by state, and the median days to connect that the
transparency page publishes."""

import datetime as dt

import time_machine

from applications.constants import ServiceStatus as S
from applications.models import ServiceApplication
from applications.services import service_application_transition
from indicators.selectors.public import transparency_figures
from indicators.services.rollup import kpi_rollup_refresh
from tests.factories import make_service


def test_public_stats_count_by_state_and_the_median_days_to_connect(
    reference, applicant_org, applicant, project, client, operator_staff
):
    monday = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)  # no holiday in the next two weeks
    for days in (3, 5, 10):
        sa = make_service(
            applicant_org=applicant_org,
            applicant=applicant,
            project=project,
            status=S.INSPECTING,
            submitted_at=monday,
        )
        service_application_transition(
            actor=operator_staff("csg-zhongshan"),
            service_application=sa,
            transition="connect",
            data={"inspection_result": "合格"},
        )
        ServiceApplication.objects.filter(pk=sa.pk).update(
            connected_at=monday + dt.timedelta(days=days)
        )
    make_service(applicant_org=applicant_org, applicant=applicant, project=project)

    # The median is the published one: the indicators rollup over the last 12 months.
    with time_machine.travel(dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC), tick=False):
        kpi_rollup_refresh()
        body = client.get("/api/v1/stats/").json()
        published = {u["utility"]: u for u in transparency_figures()["utilities"]}

    power = next(u for u in body["utilities"] if u["utility"] == "electricity")
    assert power["total"] == 4
    assert power["by_status"]["connected"] == 3 and power["by_status"]["submitted"] == 1
    assert power["connected"] == 3
    # Mon -> Thu = 3, Mon -> Sat = 4 (the weekend does not count), Mon -> next Thu = 8.
    assert power["median_working_days_to_connect"] == 4.0
    water = next(u for u in body["utilities"] if u["utility"] == "water")
    assert water["median_working_days_to_connect"] is None
    assert "applicant" not in str(body) and applicant_org.name_zh not in str(body)
    assert dt.datetime.fromisoformat(body["generated_at"]) == dt.datetime(
        2026, 7, 1, 9, tzinfo=dt.UTC
    )
    assert published["electricity"]["working_days_median"] == 4.0  # the same published figure
