"""Joint works on the staff site and the applicant's tracking page."""

import pytest
from django.test import Client
from django.urls import reverse

from applications.constants import JointWorksStatus
from applications.models import JointWorksPlan
from tests.applications.joint_works_helpers import LINE, propose, services_for, window_start
from tests.error_summary import assert_error_summary
from tests.factories import staff_of


@pytest.fixture
def services(applicant_org, applicant, project):
    return services_for(
        ["electricity", "water", "gas"],
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_lead_agency_proposes_from_the_case_page(services):
    lead = _client(staff_of("ndrc"))
    case_url = reverse("staff:case", args=[services[0].combined.uuid])
    page = lead.get(case_url).content.decode()
    new_url = reverse("staff:joint_works_new", args=[services[0].combined.uuid])
    assert new_url in page
    form = lead.get(new_url)
    assert form.status_code == 200
    bad = lead.post(new_url, {"service_applications": [str(services[0].uuid)]})
    assert_error_summary(bad, "路线：此项为必填项。", field="id_route_description")
    response = lead.post(
        new_url,
        {
            "service_applications": [str(sa.uuid) for sa in services],
            "road_name": "和清路",
            "road_segment": "兴港路-濠头路",
            "route_description": "沿和清路北侧人行道",
            "route": '{"type": "LineString", "coordinates": [[113.48, 22.52], [113.49, 22.521]]}',
            "window_start": window_start().isoformat(),
            "window_working_days": "10",
        },
    )
    plan = JointWorksPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:joint_work", args=[plan.uuid])
    assert plan.route == LINE | {"coordinates": [[113.48, 22.52], [113.49, 22.521]]}
    assert plan.participants.count() == 3


def test_operators_confirm_on_the_plan_page_and_others_get_404(services):
    plan = propose(services)
    url = reverse("staff:joint_work", args=[plan.uuid])
    assert _client(staff_of("mobile-zs")).get(url).status_code == 404
    for code in ("csg-zhongshan", "zs-water", "towngas-zs"):
        client = _client(staff_of(code))
        page = client.get(url).content.decode()
        assert 'data-action="confirm"' in page
        response = client.post(reverse("staff:joint_work_act", args=[plan.uuid, "confirm"]))
        assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == JointWorksStatus.CONFIRMED
    page = _client(staff_of("ndrc")).get(url).content.decode()
    assert 'data-permit="road_excavation"' in page
    assert 'data-action="change_lead"' in page


def test_leaving_without_a_reason_shows_the_form_error(services):
    plan = propose(services)
    client = _client(staff_of("zs-water"))
    response = client.post(reverse("staff:joint_work_act", args=[plan.uuid, "leave"]), {})
    assert_error_summary(response, "理由：此项为必填项。", field="id_jw-leave-reason")
    assert "field-error" in response.content.decode()


def test_a_reason_given_on_the_plan_page_is_kept_as_typed(services):
    plan = propose(services)
    client = _client(staff_of("zs-water"))
    response = client.post(
        reverse("staff:joint_work_act", args=[plan.uuid, "leave"]), {"jw-leave-reason": "管位冲突"}
    )
    assert response.status_code == 302
    left = plan.participants.get(operator__code="zs-water")
    assert left.leave_reason == "管位冲突"
    assert plan.history.get(transition="leave").data["reason"] == "管位冲突"


def test_the_applicant_sees_the_plan_and_its_window_on_the_tracking_page(
    services, client, applicant
):
    plan = propose(services)
    client.force_login(applicant)
    page = client.get(f"/requests/{services[0].combined.uuid}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-joint-works="{plan.uuid}"' in html
    assert plan.window_start.strftime("%Y-%m-%d") in html


def test_every_participants_applicant_sees_the_one_permit_set(services, client, applicant):
    from applications.services.joint_works import joint_works_plan_act

    plan = propose(services)
    for code in ("csg-zhongshan", "zs-water", "towngas-zs"):
        joint_works_plan_act(actor=staff_of(code), plan=plan, action="confirm")
    client.force_login(applicant)
    for sa in services:
        html = client.get(f"/requests/{sa.combined.uuid}/").content.decode()
        assert 'data-joint-permit="road_excavation"' in html
