"""Training sessions (业务培训): workgroup staff record a session and who attended, per
organisation and person; the operator scorecards count the attendance per organisation in
the period, in a block of their own."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordination.models import TrainingAttendance, TrainingSession
from coordination.services.knowledge import TrainingInput, training_session_create
from tests.coordination.conftest import client_for
from workgroups.models import Organization, Workgroup

pytestmark = pytest.mark.django_db


def _period(day: dt.date) -> dict:
    month = f"{day:%Y-%m}"
    return {"from": month, "to": month}


@pytest.fixture
def session(reference, staff):
    client = client_for(staff("ndrc"))
    response = client.post(
        "/staff/training/",
        {
            "workgroup": Workgroup.objects.get(code="electricity").pk,
            "title": "临时用电报装业务培训",
            "held_on": f"{timezone.localdate():%Y-%m-%d}",
            "trainer": "市发展改革局 李工",
            "material": "<p>课件：<a href='https://example.gov.cn/k.pdf'>报装流程</a></p>",
        },
    )
    assert response.status_code == 302
    return TrainingSession.objects.get()


def test_staff_record_attendance_per_organisation_and_person(reference, staff, session):
    client = client_for(staff("ndrc"))
    csg = Organization.objects.get(code="csg-zhongshan")
    url = f"/staff/training/{session.uuid}/"
    response = client.post(url, {"organization": csg.pk, "people": "张三\n李四\n张三\n"})
    assert response.status_code == 302
    assert client.post(url, {"organization": csg.pk, "people": "李四"}).status_code == 302
    assert sorted(TrainingAttendance.objects.values_list("person", flat=True)) == ["张三", "李四"]
    html = client.get("/en/staff/training/").content.decode()
    row = html[html.index(f'data-session="{session.uuid}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">1</td><td class="num">2</td>' in row


def test_a_bad_attendance_form_rerenders_at_200_with_the_error_summary(staff, session):
    client = client_for(staff("ndrc"))
    response = client.post(f"/staff/training/{session.uuid}/", {"organization": "", "people": ""})
    assert response.status_code == 200
    assert "data-error-summary" in response.content.decode()
    bad = client.post("/staff/training/", {"title": "无日期", "held_on": "明天"})
    assert bad.status_code == 200 and "data-error-summary" in bad.content.decode()
    assert TrainingSession.objects.count() == 1


def test_another_workgroups_operator_reads_but_does_not_record(staff, session):
    water = client_for(staff("zs-water"))
    url = f"/staff/training/{session.uuid}/"
    assert water.get(url).status_code == 200
    csg = Organization.objects.get(code="csg-zhongshan")
    assert water.post(url, {"organization": csg.pk, "people": "王五"}).status_code == 404
    assert not TrainingAttendance.objects.exists()


@pytest.mark.parametrize("lang", ["", "/en"])
def test_the_scorecards_count_training_attendance_per_organisation(staff, session, lang):
    lead = client_for(staff("ndrc"))
    url = f"/staff/training/{session.uuid}/"
    csg = Organization.objects.get(code="csg-zhongshan")
    zs_water = Organization.objects.get(code="zs-water")
    lead.post(url, {"organization": csg.pk, "people": "张三\n李四"})
    lead.post(url, {"organization": zs_water.pk, "people": "王五"})
    office = client_for(staff("leadership-office"))
    response = office.get(f"{lang}/staff/scorecards/", _period(session.held_on))
    assert response.status_code == 200
    rows = {row[0]: row[1:] for row in response.context["training"]["rows"]}
    csg_name = csg.name_zh if not lang or not csg.name_en else csg.name_en
    assert rows[csg_name] == [1, 2]
    assert len(rows) == 2
    html = response.content.decode()
    assert 'data-block="training"' in html and 'data-table="training"' in html
    # Another period: nothing.
    before = session.held_on.replace(day=1) - dt.timedelta(days=40)
    earlier = office.get("/staff/scorecards/", _period(before))
    assert earlier.context["training"]["rows"] == []


def test_the_training_list_costs_the_same_queries_whatever_its_length(reference, staff):
    lead = staff("ndrc")
    client = client_for(lead)

    def add(n: int) -> None:
        training_session_create(
            actor=lead,
            data=TrainingInput(
                workgroup=Workgroup.objects.get(code="electricity"),
                title=f"培训{n}",
                held_on=timezone.localdate(),
                trainer="李工",
            ),
        )

    add(0)
    client.get("/staff/training/")  # the working-day calendar's cache warmed
    with CaptureQueriesContext(connection) as one:
        client.get("/staff/training/")
    for n in range(1, 6):
        add(n)
    with CaptureQueriesContext(connection) as six:
        html = client.get("/staff/training/").content.decode()
    assert html.count("data-session=") == 6
    assert len(six.captured_queries) == len(one.captured_queries)
