"""The staff site's demand pages: each role sees exactly the demands routed to it, acts only
as its permissions allow (another workgroup's demand does not exist for it), the queue is
ordered by the deadline and costs the same number of queries however long it is."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination.constants import DemandStatus, EscalationStatus
from coordination.models import DemandHistory, ItemEscalation
from coordination.services import coordination_sweep
from tests.error_summary import assert_error_summary
from workgroups.models import Town

from .conftest import at, client_for

pytestmark = pytest.mark.django_db

# role -> organisation code (None: an applicant company's user)
ROLES = {
    "lead": "ndrc",
    "other_lead": "housing",
    "town": "cuiheng",
    "other_town": "shiqi-office",
    "leadership": "leadership-office",
    "leading_group": "leading-group",
    "operator": "csg-zhongshan",
    "applicant": None,
}
# What each role sees of an electricity demand in Nanlang (governed by 翠亨新区管委会).
SEES = {"lead", "town", "leadership", "leading_group"}
NOT_STAFF = {"operator", "applicant"}


@pytest.fixture
def users(staff, applicant):
    return {role: applicant if code is None else staff(code) for role, code in ROLES.items()}


@pytest.fixture
def demand(submit_demand):
    return submit_demand(utility="electricity", town=Town.objects.get(code="nanlang"))


def _listed(client) -> set[str]:
    response = client.get(reverse("staff:demands"))
    assert response.status_code == 200
    return set(re.findall(r'data-demand="([0-9a-f-]+)"', response.content.decode()))


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_sees_exactly_the_demands_routed_to_it(role, users, demand):
    client = client_for(users[role])
    page = client.get(reverse("staff:demand", args=[demand.uuid]))
    if role in NOT_STAFF:
        queue = client.get(reverse("staff:demands"))
        assert queue.status_code == 403
        assert page.status_code == 403
        # An operator is told who handles demands; an applicant that these are staff pages.
        assert ("data-not-yours" in queue.content.decode()) == (role == "operator")
        return
    assert _listed(client) == ({str(demand.uuid)} if role in SEES else set())
    assert page.status_code == (200 if role in SEES else 404)


# role -> the actions offered on a new demand
ACTIONS = {
    "lead": {"acknowledge", "answer", "refer_up"},
    "town": {"answer"},
    "leadership": set(),
    "leading_group": set(),
}


@pytest.mark.parametrize("role", sorted(ACTIONS))
def test_the_page_offers_exactly_the_actions_the_role_may_perform(role, users, demand):
    html = client_for(users[role]).get(reverse("staff:demand", args=[demand.uuid])).content
    offered = set(re.findall(r'data-action="([a-z_]+)"', html.decode()))
    assert offered == ACTIONS[role]


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        ("other_lead", "acknowledge", 404),
        ("other_town", "answer", 404),
        ("town", "acknowledge", 403),
        ("leadership", "answer", 403),
        ("lead", "reopen_everything", 404),
        ("lead", "close_unrated", 404),  # the system's move, not a button
    ],
)
def test_nobody_acts_beyond_their_permissions(role, action, status, users, demand):
    client = client_for(users[role])
    url = reverse("staff:demand_act", args=[demand.uuid, action])
    response = client.post(url, {"answer-answer": "越权回复"})
    assert response.status_code == status
    demand.refresh_from_db()
    assert demand.status == DemandStatus.SUBMITTED
    assert DemandHistory.objects.filter(demand=demand).count() == 1


def test_the_lead_acknowledges_answers_and_closes(users, demand):
    client = client_for(users["lead"])
    act = lambda name, data=None: client.post(  # noqa: E731
        reverse("staff:demand_act", args=[demand.uuid, name]), data or {}
    )
    assert act("acknowledge", {"acknowledge-comment": "已转供电局核查"}).status_code == 302
    empty = act("answer", {"answer-answer": "  "})
    assert_error_summary(empty, "请填写答复内容。", field="id_answer-answer")
    assert 'id="id_answer-answer_errors"' in empty.content.decode()
    assert act("answer", {"answer-answer": "已于今日送电。"}).status_code == 302
    assert act("close", {"close-comment": "电话回访确认"}).status_code == 302
    demand.refresh_from_db()
    assert demand.status == DemandStatus.CLOSED
    assert demand.answer_text == "已于今日送电。"
    history = list(DemandHistory.objects.filter(demand=demand).values_list("transition", "comment"))
    assert history == [
        ("submit", ""),
        ("acknowledge", "已转供电局核查"),
        ("answer", "已于今日送电。"),
        ("close", "电话回访确认"),
    ]
    # Closed: nothing more to do, and doing it anyway is a conflict, not an error.
    again = act("acknowledge")
    assert again.status_code == 409


def test_the_town_answers_a_demand_in_its_area(users, demand):
    client = client_for(users["town"])
    url = reverse("staff:demand_act", args=[demand.uuid, "answer"])
    assert client.post(url, {"answer-answer": "街道已协调施工单位。"}).status_code == 302
    entry = DemandHistory.objects.filter(demand=demand).last()
    assert entry.actor_organization.code == "cuiheng"


def test_escalations_show_on_the_demand_and_its_tier_resolves_them(users, submit_demand):
    demand = submit_demand(when=at(9, 30))
    coordination_sweep(now=at(10, 10, 9))
    escalation = ItemEscalation.objects.get()
    lead = client_for(users["lead"])
    html = lead.get(reverse("staff:demand", args=[demand.uuid])).content.decode()
    assert f'data-escalation="{escalation.uuid}"' in html
    assert 'data-action="escalation-resolve"' in html
    other = client_for(users["other_lead"])
    url = reverse("staff:demand_escalation", args=[escalation.uuid, "resolve"])
    assert other.post(url, {"note": "不归我们"}).status_code == 404
    assert lead.post(url, {"note": "已督办"}).status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.RESOLVED
    assert lead.post(url, {"note": "again"}).status_code == 409


def test_the_queue_is_ordered_by_deadline_and_filtered(users, submit_demand, staff):
    late = submit_demand(when=at(9, 1), title="最早")
    recent = submit_demand(when=at(9, 20), title="较近")
    water = submit_demand(when=at(9, 2), utility="water")
    client = client_for(users["leadership"])
    html = client.get(reverse("staff:demands")).content.decode()
    order = re.findall(r'data-demand="([0-9a-f-]+)"', html)
    assert order == [str(late.uuid), str(water.uuid), str(recent.uuid)]
    only_water = client.get(reverse("staff:demands"), {"utility": "water"}).content.decode()
    assert re.findall(r'data-demand="([0-9a-f-]+)"', only_water) == [str(water.uuid)]
    for town in ("x" * 999, "999999999999", "-1"):
        odd = client.get(reverse("staff:demands"), {"q": "答" * 999, "town": town, "size": "x"})
        assert odd.status_code == 200
    # A NUL anywhere is refused before the queue reads it (core.input_guard), naming the field.
    for query, field in (({"q": "\x00" * 10}, "q"), ({"town": "shiqi\x00"}, "town")):
        refused = client.get(reverse("staff:demands"), {**query, "size": "x"})
        assert refused.status_code == 400
        page = refused.content.decode()
        assert f"<code>{field}</code>" in page and "<code>size</code>" not in page
        assert "data-demand=" not in page


def test_the_queue_costs_the_same_queries_for_many_demands(
    users, submit_demand, django_assert_max_num_queries
):
    client = client_for(users["lead"])
    submit_demand()
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("staff:demands")).status_code == 200
    for _ in range(15):
        submit_demand(utility="electricity")
    coordination_sweep(now=at(12, 31, year=2027))
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("staff:demands")).content.decode()
    assert html.count("data-demand=") == 16
    assert "data-tier" in html


def test_the_submitters_list_costs_the_same_queries_for_many_demands(
    applicant, submit_demand, django_assert_max_num_queries
):
    client = client_for(applicant)
    submit_demand(actor=applicant)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("applications:demands"))
    for _ in range(10):
        submit_demand(actor=applicant)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("applications:demands")).content.decode()
    assert html.count("data-demand=") == 11


@pytest.mark.parametrize("answer", ["答" * 5000, "", " \t\n"])
def test_odd_answers_give_field_errors_never_a_server_error(answer, users, demand):
    client = client_for(users["lead"])
    url = reverse("staff:demand_act", args=[demand.uuid, "answer"])
    response = client.post(url, {"answer-answer": answer, "answer-comment": "评" * 5000})
    assert_error_summary(response, "答复：", field="id_answer-answer")
    assert 'id="id_answer-answer_errors"' in response.content.decode()
    demand.refresh_from_db()
    assert demand.status == DemandStatus.SUBMITTED


@pytest.mark.parametrize(
    "data, fields",
    [
        ({"answer-answer": "已处理\x00", "answer-comment": "好"}, ["answer-answer"]),
        ({"answer-answer": "已处理。", "answer-comment": "\x00" * 3}, ["answer-comment"]),
    ],
    ids=["answer", "comment"],
)
def test_an_answer_holding_a_nul_is_refused_naming_the_field(data, fields, users, demand):
    client = client_for(users["lead"])
    url = reverse("staff:demand_act", args=[demand.uuid, "answer"])
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    for name in ("answer-answer", "answer-comment"):
        assert (f"<code>{name}</code>" in page) == (name in fields), name
    demand.refresh_from_db()
    assert demand.status == DemandStatus.SUBMITTED
    assert not demand.history.filter(transition="answer").exists()


def test_an_odd_verdict_through_the_private_link_is_a_field_error(submit_demand, users, client):
    from coordination.access import demand_private_path
    from coordination.services import demand_transition

    demand = submit_demand()
    demand_transition(
        actor=users["lead"], demand=demand, transition="answer", data={"answer": "已处理。"}
    )
    path = demand_private_path(demand)
    response = client.post(path, {"action": "report_unsolved", "reason": "x" * 9000})
    assert_error_summary(response, "不超过 2000 字符", field="id_reason")
    assert 'id="id_reason_errors"' in response.content.decode()
    demand.refresh_from_db()
    assert demand.status == DemandStatus.ANSWERED
    # A NUL is refused before the view (core.input_guard): the page names the field.
    response = client.post(path, {"action": "report_unsolved", "reason": "\x00" + "x" * 20})
    assert response.status_code == 400
    page = response.content.decode()
    assert "<code>reason</code>" in page and "<code>action</code>" not in page
    demand.refresh_from_db()
    assert demand.status == DemandStatus.ANSWERED


def test_a_comment_with_a_null_character_is_refused_not_stored(users, demand):
    client = client_for(users["lead"])
    url = reverse("staff:demand_act", args=[demand.uuid, "acknowledge"])
    response = client.post(url, {"acknowledge-comment": "收到\x00"})
    assert response.status_code == 400
    demand.refresh_from_db()
    assert demand.status == DemandStatus.SUBMITTED
