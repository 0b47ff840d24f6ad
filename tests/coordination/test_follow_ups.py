"""Follow-up of bad ratings (回访): the rating invitation three working days after connection,
a follow-up for every "dissatisfied" or worse rating on a 15-working-day clock that escalates
like a case's, the staff pages that record the call, the cause and the fix, the applicant who
reads the answer on the tracking page and rates again, and both ratings in the indicators."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from applications.models import RatingLevel
from applications.services import service_application_rate
from coordination.constants import FollowUpStatus
from coordination.models import FollowUp, FollowUpHistory, ItemEscalation, RatingInvitation
from coordination.services import coordination_sweep, follow_up_transition
from core.errors import PermissionDenied
from notifications.constants import Channel, EventType
from notifications.models import Delivery
from notifications.services import facts_process
from tests.error_summary import assert_error_summary
from tests.factories import make_service

from .conftest import CST, at, client_for

pytestmark = pytest.mark.django_db


def sweep(moment):
    with time_machine.travel(moment, tick=False):
        return coordination_sweep(now=moment)


@pytest.fixture
def connected(applicant_org, applicant, project):
    """Electricity connected on Tuesday 30 September 2025 at 10:00, the day before the
    National Day holiday (1-8 October; Saturday 11 October is a make-up working day)."""
    moment = at(9, 30)
    return make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status="connected",
        connected_at=moment,
        submitted_at=moment - dt.timedelta(days=20),
        stage_entered_at=moment,
    )


def rate(applicant, sa, level, when=None, comment="施工拖延，态度差"):
    when = when or at(9, 30, 15)
    with time_machine.travel(when, tick=False):
        return service_application_rate(
            actor=applicant, service_application=sa, level=level, comment=comment
        )


@pytest.fixture
def bad(applicant, connected):
    rate(applicant, connected, RatingLevel.DISSATISFIED)
    sweep(at(9, 30, 16))
    return FollowUp.objects.get(service_application=connected)


# --- The invitation -----------------------------------------------------------------------------


def test_the_invitation_goes_three_working_days_after_connection_over_the_holiday(
    connected, applicant, settings
):
    applicant.mobile, applicant.email = "13800138000", "applicant@example.com"
    applicant.save()
    applicant.mobile_confirmed_at = at(9, 1)  # confirmed with a code
    applicant.save()
    # 9 and 10 October are the first two working days after the holiday: not yet.
    assert sweep(at(10, 10, 23)).invited == 0
    assert not RatingInvitation.objects.exists()
    # Saturday 11 October is a make-up working day: the third.
    assert sweep(at(10, 11, 9)).invited == 1
    assert sweep(at(10, 13, 9)).invited == 0
    invitation = RatingInvitation.objects.get()
    assert invitation.service_application == connected
    with time_machine.travel(at(10, 11, 10), tick=False):
        facts_process()
        facts_process()
    rows = Delivery.objects.filter(event_type=EventType.RATING_INVITATION)
    assert sorted(rows.values_list("channel", flat=True)) == sorted(
        [Channel.IN_APP, Channel.EMAIL, Channel.SMS]
    )
    sms = rows.get(channel=Channel.SMS)
    assert sms.recipient_user == applicant
    assert f"/requests/{connected.combined.uuid}/" in sms.body


def test_a_rated_utility_is_not_invited(connected, applicant):
    rate(applicant, connected, RatingLevel.SATISFIED)
    assert sweep(at(10, 13, 9)).invited == 0


# --- Opening follow-ups -------------------------------------------------------------------------


def test_a_bad_rating_opens_exactly_one_follow_up_for_the_workgroup(bad, connected):
    assert bad.workgroup.code == "electricity"
    assert bad.status == FollowUpStatus.OPEN
    assert bad.organization == connected.combined.applicant
    # 15 working days from the rating: 9 October to 28 October (11 October counts).
    assert bad.due_at == dt.datetime(2025, 10, 29, tzinfo=CST)
    sweep(at(10, 9, 9))
    assert FollowUp.objects.count() == 1
    assert list(FollowUpHistory.objects.values_list("transition", flat=True)) == ["open"]


def test_a_good_rating_opens_none(connected, applicant):
    rate(applicant, connected, RatingLevel.BASICALLY_SATISFIED)
    assert sweep(at(10, 9, 9)).followed_up == 0
    assert not FollowUp.objects.exists()


def test_the_workgroup_leads_hear_of_a_new_follow_up(bad, staff):
    staff("ndrc")
    facts_process()
    told = Delivery.objects.filter(event_type=EventType.FOLLOW_UP_OPENED)
    assert {d.recipient_organization.code for d in told} == {"ndrc"}
    assert reverse("staff:follow_up", args=[bad.uuid]) in told.first().body


# --- The clock ----------------------------------------------------------------------------------


def test_the_fifteen_working_day_clock_escalates_over_holidays_and_climbs(bad):
    assert sweep(at(10, 28, 23)).opened == 0
    assert sweep(at(10, 29, 9)).opened == 1
    assert sweep(at(10, 29, 15)).opened == 0
    escalation = ItemEscalation.objects.get(follow_up=bad)
    assert (escalation.item_kind, escalation.tier, escalation.stage) == ("follow_up", 1, "open")
    assert escalation.breached_due_at == bad.due_at
    sweep(at(10, 30, 9))
    assert ItemEscalation.objects.get(pk=escalation.pk).tier == 1
    sweep(at(10, 31, 9))  # tier 1 holds it two working days
    assert ItemEscalation.objects.get(pk=escalation.pk).tier == 2


def test_answering_closes_the_escalation_and_no_answer_lapses(bad, staff):
    sweep(at(10, 29, 9))
    with time_machine.travel(at(10, 30, 9), tick=False):
        follow_up_transition(
            actor=staff("ndrc"),
            follow_up=bad,
            transition="record_call",
            data={"called_at": "2025-10-30 08:30", "reached": "王经理（申请人联系人）"},
        )
        # Called, but the cause and the fix are still missing: the escalation stands.
        assert ItemEscalation.objects.get(follow_up=bad).status == "open"
        done = follow_up_transition(
            actor=staff("ndrc"),
            follow_up=bad,
            transition="answer",
            data={"cause": "施工队排期冲突", "fix": "已调整排期并约谈施工单位"},
        )
    assert done.status == FollowUpStatus.ANSWERED
    assert ItemEscalation.objects.get(follow_up=bad).status == "resolved"
    # Nobody rates again within 10 working days: the sweep closes it.
    sweep(at(11, 14, 9))
    assert FollowUp.objects.get(pk=bad.pk).status == FollowUpStatus.CLOSED


# --- Staff pages --------------------------------------------------------------------------------


def test_staff_record_the_call_the_cause_and_the_fix(bad, staff):
    lead = client_for(staff("ndrc"))
    queue = lead.get(reverse("staff:follow_ups"))
    assert queue.status_code == 200
    assert str(bad.uuid) in queue.content.decode()
    url = reverse("staff:follow_up", args=[bad.uuid])
    assert lead.get(url).status_code == 200
    act = reverse("staff:follow_up_act", args=[bad.uuid, "record_call"])
    refused = lead.post(act, {"record_call-called_at": "soon", "record_call-reached": "王经理"})
    assert_error_summary(refused, "请填写回访的日期和时间。", field="id_record_call-called_at")
    assert FollowUp.objects.get(pk=bad.pk).status == FollowUpStatus.OPEN
    ok = lead.post(
        act, {"record_call-called_at": "2025-10-09 10:00", "record_call-reached": "王经理"}
    )
    assert ok.status_code == 302
    answer = reverse("staff:follow_up_act", args=[bad.uuid, "answer"])
    assert_error_summary(
        lead.post(answer, {"answer-cause": "", "answer-fix": "x"}),
        "原因：请填写原因。",
        field="id_answer-cause",
    )
    ok = lead.post(answer, {"answer-cause": "施工队排期冲突", "answer-fix": "已调整排期"})
    assert ok.status_code == 302
    follow_up = FollowUp.objects.get(pk=bad.pk)
    assert follow_up.status == FollowUpStatus.ANSWERED
    assert (follow_up.reached, follow_up.cause, follow_up.fix) == (
        "王经理",
        "施工队排期冲突",
        "已调整排期",
    )
    assert follow_up.answered_by == staff("ndrc")
    page = lead.get(url).content.decode()
    assert "施工队排期冲突" in page and "王经理" in page


def test_the_queue_is_ordered_by_due(bad, staff, applicant_org, applicant, project):
    later = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status="connected",
        connected_at=at(10, 20),
    )
    rate(applicant, later, RatingLevel.VERY_DISSATISFIED, when=at(10, 20, 15))
    sweep(at(10, 20, 16))
    page = client_for(staff("ndrc")).get(reverse("staff:follow_ups")).content.decode()
    second = FollowUp.objects.get(service_application=later)
    assert page.index(str(bad.uuid)) < page.index(str(second.uuid))


@pytest.mark.parametrize(
    ("code", "sees"),
    [
        ("ndrc", True),
        ("leadership-office", True),
        ("housing", False),
        ("cuiheng", False),
        ("csg-zhongshan", None),
    ],
)
def test_other_workgroups_see_nothing(bad, staff, code, sees):
    client = client_for(staff(code))
    queue = client.get(reverse("staff:follow_ups"))
    page = client.get(reverse("staff:follow_up", args=[bad.uuid]))
    act = client.post(
        reverse("staff:follow_up_act", args=[bad.uuid, "record_call"]),
        {"record_call-called_at": "2025-10-09 10:00", "record_call-reached": "王经理"},
    )
    if sees is None:  # an operator is staff, but not of the workgroups' own work
        assert queue.status_code == page.status_code == act.status_code == 403
    elif sees:
        assert str(bad.uuid) in queue.content.decode() and page.status_code == 200
    else:
        assert str(bad.uuid) not in queue.content.decode()
        assert page.status_code == act.status_code == 404
    if code == "leadership-office":
        assert act.status_code == 403  # read-only: the office does not call
    if code != "ndrc":
        assert FollowUp.objects.get(pk=bad.pk).status == FollowUpStatus.OPEN


def test_odd_input_never_fails(bad, staff):
    lead = client_for(staff("ndrc"))
    assert (
        lead.post(reverse("staff:follow_up_act", args=[bad.uuid, "close_unrated"])).status_code
        == 404
    )
    assert lead.post(reverse("staff:follow_up_act", args=[bad.uuid, "re_rate"])).status_code == 404
    assert (
        lead.post(reverse("staff:follow_up_act", args=[bad.uuid, "answer"]), {}).status_code == 409
    )
    assert lead.get(reverse("staff:follow_ups"), {"state": "§", "page": "x"}).status_code == 200
    long = "王" * 300
    response = lead.post(
        reverse("staff:follow_up_act", args=[bad.uuid, "record_call"]),
        {"record_call-called_at": "2025-10-09 10:00", "record_call-reached": long},
    )
    assert_error_summary(response, "不超过 200 字符", field="id_record_call-reached")


# --- The applicant ------------------------------------------------------------------------------


def _answer(follow_up, lead):
    follow_up_transition(
        actor=lead,
        follow_up=follow_up,
        transition="record_call",
        data={"called_at": "2025-10-09 10:00", "reached": "王经理"},
    )
    return follow_up_transition(
        actor=lead,
        follow_up=follow_up,
        transition="answer",
        data={"cause": "施工队排期冲突", "fix": "已调整排期并约谈施工单位"},
    )


def test_the_applicant_sees_the_answer_and_rates_again(bad, staff, applicant, connected):
    web = client_for(applicant)
    tracking = reverse("applications:request_detail", args=[connected.combined.uuid])
    assert "施工队排期冲突" not in web.get(tracking).content.decode()
    _answer(bad, staff("ndrc"))
    facts_process()
    told = Delivery.objects.filter(event_type=EventType.FOLLOW_UP_ANSWERED)
    assert {d.channel for d in told} >= {Channel.IN_APP}
    page = web.get(tracking).content.decode()
    assert "施工队排期冲突" in page and "已调整排期并约谈施工单位" in page
    rate_again = reverse(
        "applications:follow_up_rate_again", args=[connected.combined.uuid, bad.uuid]
    )
    assert rate_again in page
    assert web.post(rate_again, {"rerate-level": "excellent"}).status_code == 302
    assert FollowUp.objects.get(pk=bad.pk).status == FollowUpStatus.ANSWERED
    response = web.post(rate_again, {"rerate-level": "satisfied", "rerate-comment": "问题已解决"})
    assert response.status_code == 302
    follow_up = FollowUp.objects.get(pk=bad.pk)
    assert (follow_up.status, follow_up.final_level) == (FollowUpStatus.CLOSED, "satisfied")
    assert follow_up.re_rated_at is not None
    # The first rating stays as it was.
    assert connected.rating.level == RatingLevel.DISSATISFIED
    page = web.get(tracking).content.decode()
    assert 'data-final-level="satisfied"' in page
    assert rate_again not in page
    # Once is enough.
    assert web.post(rate_again, {"rerate-level": "very_satisfied"}).status_code == 302
    assert FollowUp.objects.get(pk=bad.pk).final_level == "satisfied"


def test_another_applicant_cannot_rate_again(bad, staff, connected):
    from tests.factories import company, member_of

    _answer(bad, staff("ndrc"))
    rival = member_of(company("rival", "另一家公司"), username="rival")
    url = reverse("applications:follow_up_rate_again", args=[connected.combined.uuid, bad.uuid])
    assert client_for(rival).post(url, {"rerate-level": "satisfied"}).status_code == 404
    with pytest.raises(PermissionDenied):
        follow_up_transition(
            actor=staff("ndrc"), follow_up=bad, transition="re_rate", data={"level": "satisfied"}
        )
    assert FollowUp.objects.get(pk=bad.pk).status == FollowUpStatus.ANSWERED
