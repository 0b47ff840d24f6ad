"""The tracking page: a timeline per utility and the applicant's actions on it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.constants import ServiceStatus
from applications.models import BAD_RATINGS, DocumentLink, Rating, RatingLevel
from applications.services import service_application_transition
from tests.web.helpers import PLAN, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def combined(submit):
    return submit(["electricity", "water", "gas"])


@pytest.fixture
def move(operator_staff):
    def do(sa, *steps):
        for step in steps:
            name, data = step if isinstance(step, tuple) else (step, {})
            sa = service_application_transition(
                actor=operator_staff(sa.operator.code),
                service_application=sa,
                transition=name,
                data=data,
                comment=f"operator: {name}",
            )
        return sa

    return do


def _sa(combined, utility):
    return combined.services.get(utility=utility)


def _url(combined, sa=None, action=""):
    base = f"/en/requests/{combined.uuid}/"
    return f"{base}{sa.uuid}/{action}/" if sa else base


def test_the_tracking_page_shows_each_utility_in_both_languages(web, combined):
    for prefix in ("", "/en"):
        response = web.get(f"{prefix}/requests/{combined.uuid}/")
        assert response.status_code == 200
    html = web.get(_url(combined)).content.decode()
    assert combined.reference in html
    assert html.count('class="card service') == 3
    assert "中山供电局" in html or "Zhongshan Power Supply" in html
    assert "Due by" in html  # the last working day, as a date


def test_the_timeline_moves_as_the_operator_works(web, combined, move):
    sa = _sa(combined, "electricity")
    move(sa, "accept", "start_survey")
    response = web.get(_url(combined))
    card = next(c for c in response.context["cards"] if c.sa.pk == sa.pk)
    assert [s.state for s in card.steps][:4] == ["done", "done", "current", "todo"]
    assert card.holder_kind == "operator"
    assert "Site survey started" in response.content.decode()


def test_the_applicant_confirms_the_plan_and_fee(web, combined, move):
    sa = move(_sa(combined, "electricity"), "accept", "start_survey", ("issue_plan", PLAN))
    html = web.get(_url(combined)).content.decode()
    assert "12800.00" in html and "Confirm the plan and the fee" in html
    assert "Paused since" in html  # the clock waits for the applicant
    response = web.post(_url(combined, sa, "confirm_plan"), {f"c{sa.pk}-comment": "同意"})
    assert response.status_code == 302
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.CONSTRUCTING
    assert sa.history.get(transition="confirm_plan").clock_event == "resumed"


def test_confirming_twice_is_a_conflict_not_a_crash(web, combined, move):
    sa = move(_sa(combined, "electricity"), "accept", "start_survey", ("issue_plan", PLAN))
    web.post(_url(combined, sa, "confirm_plan"), {})
    response = web.post(_url(combined, sa, "confirm_plan"), {})
    assert response.status_code == 409
    assert response.context["error"]  # the service's message, shown above the timeline
    assert 'class="errors card" role="alert"' in response.content.decode()


def test_answer_a_correction_for_one_utility_only(web, combined, move, applicant_org):
    sa = move(_sa(combined, "electricity"), ("return_for_correction", {"reason": "请补充总平面图"}))
    page = web.get(_url(combined)).content.decode()
    assert "请补充总平面图" in page and "Answer the correction" in page
    assert web.get(_url(combined, sa, "correct")).status_code == 200

    old_site_plan = DocumentLink.objects.get(service_application=sa, doc_type="site_plan").document
    data = {f"electricity-{k}": v for k, v in sa.details.items() if v not in (False, None)}
    data.update(
        {
            "electricity-capacity_kva": "800",
            "file-site_plan": pdf("总平面图-v2.pdf", "v2"),
            "comment": "已补充",
        }
    )
    response = web.post(_url(combined, sa, "correct"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.SUBMITTED
    assert sa.details["capacity_kva"] == "800"
    new_link = DocumentLink.objects.get(service_application=sa, doc_type="site_plan")
    assert (
        new_link.document != old_site_plan and new_link.document.original_name == "总平面图-v2.pdf"
    )
    # Water and gas keep the site plan they had: only the corrected utility changed.
    water = _sa(combined, "water")
    assert (
        DocumentLink.objects.get(service_application=water, doc_type="site_plan").document
        == old_site_plan
    )
    resubmit = sa.history.get(transition="resubmit")
    assert "已补充" in resubmit.comment and "Requested capacity (kVA)" in resubmit.comment
    assert resubmit.clock_event == "resumed"


def test_a_bad_correction_shows_field_errors_and_changes_nothing(web, combined, move):
    sa = move(_sa(combined, "electricity"), ("return_for_correction", {"reason": "容量有误"}))
    data = {f"electricity-{k}": v for k, v in sa.details.items() if v not in (False, None)}
    data["electricity-capacity_kva"] = "-1"
    data["file-site_plan"] = pdf("x.pdf", "new")
    response = web.post(_url(combined, sa, "correct"), data)
    assert response.status_code == 200
    assert "capacity_kva" in response.context["details"].errors
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.RETURNED and sa.details["capacity_kva"] == "630"
    assert (
        DocumentLink.objects.get(
            service_application=sa, doc_type="site_plan"
        ).document.original_name
        != "x.pdf"
    )


def test_withdraw_one_utility_and_then_the_rest(web, combined):
    sa = _sa(combined, "gas")
    response = web.post(_url(combined, sa, "withdraw"), {f"w{sa.pk}-reason": "不再需要燃气"})
    assert response.status_code == 302
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.WITHDRAWN and sa.last_reason == "不再需要燃气"
    response = web.post(f"/en/requests/{combined.uuid}/withdraw/", {"all-reason": "项目取消"})
    assert response.status_code == 302
    assert set(combined.services.values_list("status", flat=True)) == {ServiceStatus.WITHDRAWN}
    assert "Withdrawn" in web.get(_url(combined)).content.decode()


def _connected(combined, move):
    sa = move(_sa(combined, "electricity"), "accept", "start_survey", ("issue_plan", PLAN))
    sa = service_application_transition(
        actor=combined.submitted_by, service_application=sa, transition="confirm_plan"
    )
    return move(sa, "complete_construction", ("connect", {"inspection_result": "验收合格"}))


def test_rate_a_utility_once_it_is_connected(web, combined, move):
    sa = _connected(combined, move)
    assert "Rate this service" in web.get(_url(combined)).content.decode()
    response = web.post(
        f"/en/requests/{combined.uuid}/{sa.uuid}/rate/",
        {f"r{sa.pk}-level": RatingLevel.DISSATISFIED, f"r{sa.pk}-comment": "施工较慢"},
    )
    assert response.status_code == 302
    rating = Rating.objects.get(service_application=sa)
    assert rating.level in BAD_RATINGS and rating.follow_up_due_at is not None
    html = web.get(_url(combined)).content.decode()
    assert "Your rating" in html and "Rate this service" not in html
    again = web.post(
        f"/en/requests/{combined.uuid}/{sa.uuid}/rate/", {f"r{sa.pk}-level": "satisfied"}
    )
    assert again.status_code == 409
    assert Rating.objects.count() == 1


def test_a_rating_needs_a_level(web, combined, move):
    sa = _connected(combined, move)
    response = web.post(f"/en/requests/{combined.uuid}/{sa.uuid}/rate/", {f"r{sa.pk}-comment": "x"})
    assert response.status_code == 200
    card = next(c for c in response.context["cards"] if c.sa.pk == sa.pk)
    assert "level" in card.forms["rate"].errors
    assert not Rating.objects.exists()


def test_a_utility_not_yet_connected_cannot_be_rated(web, combined):
    sa = _sa(combined, "water")
    response = web.post(
        f"/en/requests/{combined.uuid}/{sa.uuid}/rate/", {f"r{sa.pk}-level": "satisfied"}
    )
    assert response.status_code == 409


def test_another_applicants_request_is_not_found(combined, rival, client):
    client.force_login(rival)
    sa = _sa(combined, "electricity")
    assert client.get(_url(combined)).status_code == 404
    assert client.get(_url(combined, sa, "correct")).status_code == 404
    assert client.post(_url(combined, sa, "withdraw"), {}).status_code == 404
    assert client.post(_url(combined, sa, "confirm_plan"), {}).status_code == 404
    assert client.post(f"/en/requests/{combined.uuid}/{sa.uuid}/rate/", {}).status_code == 404
    assert client.post(f"/en/requests/{combined.uuid}/withdraw/", {}).status_code == 404
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.SUBMITTED


def test_an_unknown_action_is_not_found(web, combined):
    sa = _sa(combined, "electricity")
    assert web.post(_url(combined, sa, "accept"), {}).status_code == 404


def _page_queries(web, combined) -> int:
    web.get(_url(combined))  # the session's first request may save the session: not counted
    with CaptureQueriesContext(connection) as queries:
        assert web.get(_url(combined)).status_code == 200
    return len(queries)


def test_the_tracking_page_costs_the_same_whatever_the_history(web, combined, move, settings):
    settings.PAGE_CACHE_SECONDS = 0  # the cost of rendering it (test_tracking_cache: of a visit)
    short = _page_queries(web, combined)
    # A long history: every utility returned and resubmitted three times, then worked on.
    for sa in combined.services.all():
        for _ in range(3):
            sa = move(sa, ("return_for_correction", {"reason": "补正"}))
            sa = service_application_transition(
                actor=combined.submitted_by, service_application=sa, transition="resubmit"
            )
        move(sa, "accept", "start_survey", ("issue_plan", PLAN))
    long = _page_queries(web, combined)
    assert long == short, (short, long)
    assert long <= 20
