"""Coordination meetings (联动协调会议) and their action items: scheduling with a pre-filled agenda,
who sees a meeting (invited towns and operators read-only, everybody else 404), the meeting's
states, action items on a due working day that escalate over a holiday like a case, referral
of an action item up to the leadership office and its resolution told back down, the owner's
queue, the minutes as PDF and Word, and constant query counts on the lists."""

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination.constants import ActionItemStatus, AgendaKind, MeetingStatus
from coordination.models import ActionItem, ItemEscalation, Meeting
from coordination.services import (
    ActionItemInput,
    MeetingInput,
    action_item_add,
    action_item_transition,
    coordination_sweep,
    meeting_agenda_edit,
    meeting_schedule,
    meeting_transition,
)
from core.errors import IllegalTransition, PermissionDenied, ValidationError
from notifications.constants import Channel, EventType
from notifications.models import Delivery
from notifications.services import facts_process
from tests.error_summary import assert_error_summary
from workgroups.models import Organization, Workgroup

from .conftest import CST, at, client_for

pytestmark = pytest.mark.django_db


def org(code: str) -> Organization:
    return Organization.objects.get(code=code)


def sweep(moment):
    with time_machine.travel(moment, tick=False):
        return coordination_sweep(now=moment)


@pytest.fixture
def lead(staff):
    """A member of 市发展改革局, the electricity workgroup's lead agency."""
    return staff("ndrc")


@pytest.fixture
def schedule(lead, reference):
    def do(
        actor=None,
        when=None,
        workgroup="electricity",
        invited=("csg-zhongshan", "torch-zone"),
        title="获得电力专项工作小组第三次联动协调会议",
    ):
        when = when or at(9, 22, 9)
        with time_machine.travel(when, tick=False):
            return meeting_schedule(
                actor=actor or lead,
                data=MeetingInput(
                    title=title,
                    starts_at=when + dt.timedelta(days=3),
                    place="市发展改革局三楼会议室",
                    workgroup=Workgroup.objects.get(code=workgroup) if workgroup else None,
                    invited=[org(code) for code in invited],
                ),
                now=when,
            )

    return do


def hold(meeting, actor, when=None, decisions="一、供电局10个工作日内完成翠亨新区线路改造。"):
    with time_machine.travel(when or at(9, 26, 10), tick=False):
        return meeting_transition(
            actor=actor,
            meeting=meeting,
            transition="hold",
            data={"minutes": "会议听取了各单位汇报，研究了逾期办件。", "decisions": decisions},
        )


def add_action(meeting, actor, due=dt.date(2025, 9, 30), owner="csg-zhongshan", **kw):
    with time_machine.travel(kw.pop("when", at(9, 26, 11)), tick=False):
        return action_item_add(
            actor=actor,
            meeting=meeting,
            data=ActionItemInput(
                description=kw.pop("description", "完成翠亨新区10千伏线路改造并送电"),
                owner=org(owner),
                due_day=due,
                **kw,
            ),
        )


# --- Scheduling ----------------------------------------------------------------------------------


def test_a_lead_schedules_a_meeting_with_the_open_demands_on_its_agenda(
    schedule, submit_demand, lead
):
    mine = submit_demand(when=at(9, 10))
    submit_demand(when=at(9, 10), utility="water", title="供水压力不足")
    meeting = schedule()
    assert meeting.status == MeetingStatus.SCHEDULED
    assert meeting.organizer.code == "ndrc"
    agenda = list(meeting.agenda.order_by("position"))
    assert [(a.kind, a.demand_id) for a in agenda] == [(AgendaKind.DEMAND, mine.pk)]
    assert mine.reference in agenda[0].text


def test_the_next_meeting_lists_only_demands_received_since_the_last_one(
    schedule, submit_demand, lead
):
    submit_demand(when=at(9, 10), title="旧诉求")
    first = schedule()
    hold(first, lead, when=at(9, 26, 10))
    new = submit_demand(when=at(9, 29), title="新诉求")
    second = schedule(when=at(9, 29, 15))
    assert second.agenda_since == at(9, 26, 10)
    assert [a.demand_id for a in second.agenda.all()] == [new.pk]


def test_only_a_lead_or_the_leadership_office_convenes(schedule, staff):
    with pytest.raises(PermissionDenied):
        schedule(actor=staff("water-bureau"))  # another workgroup's lead
    with pytest.raises(PermissionDenied):
        schedule(actor=staff("csg-zhongshan"))
    with pytest.raises(PermissionDenied):
        schedule(actor=staff("ndrc"), workgroup=None)  # across workgroups: the office's
    across = schedule(actor=staff("leadership-office"), workgroup=None)
    assert across.workgroup is None
    assert across.organizer.code == "leadership-office"


def test_staff_edit_the_agenda_remove_reorder_and_add(schedule, submit_demand, lead):
    a = submit_demand(when=at(9, 10), title="第一项")
    b = submit_demand(when=at(9, 11), title="第二项")
    meeting = schedule()
    first, second = meeting.agenda.order_by("position")
    meeting_agenda_edit(actor=lead, meeting=meeting, action="add", text="其他事项：年度考核安排")
    meeting_agenda_edit(actor=lead, meeting=meeting, action="down", item_id=first.pk)
    assert [x.demand_id for x in meeting.agenda.order_by("position")] == [b.pk, a.pk, None]
    meeting_agenda_edit(actor=lead, meeting=meeting, action="remove", item_id=second.pk)
    rows = list(meeting.agenda.order_by("position").values_list("position", "kind", "text"))
    assert [(p, k) for p, k, _t in rows] == [(1, "demand"), (2, "free")]
    with pytest.raises(ValidationError):
        meeting_agenda_edit(actor=lead, meeting=meeting, action="add", text=" ")


def test_an_invited_operator_may_not_edit_the_agenda(schedule, staff):
    meeting = schedule()
    with pytest.raises(PermissionDenied):
        meeting_agenda_edit(actor=staff("csg-zhongshan"), meeting=meeting, action="add", text="x项")


# --- Who sees a meeting --------------------------------------------------------------------------


def test_invited_town_and_operator_see_the_meeting_read_only_others_get_404(schedule, staff):
    meeting = schedule()
    url = reverse("staff:meeting", args=[meeting.uuid])
    for code in ("csg-zhongshan", "torch-zone"):
        response = client_for(staff(code)).get(url)
        assert response.status_code == 200, code
        assert "data-read-only" in response.content.decode()
        assert 'data-action="hold"' not in response.content.decode()
        listing = client_for(staff(code)).get(reverse("staff:meetings"))
        assert str(meeting.uuid) in listing.content.decode()
    for code in ("water-bureau", "zs-water", "cuiheng"):
        assert client_for(staff(code)).get(url).status_code == 404, code
        assert client_for(staff(code)).get(url + "minutes.pdf").status_code == 404
    office = client_for(staff("leadership-office")).get(url)
    assert office.status_code == 200
    own = client_for(staff("ndrc")).get(url).content.decode()
    assert 'data-action="hold"' in own and 'data-form="agenda-add"' in own


def test_an_uninvited_operator_cannot_post_to_a_meeting(schedule, staff):
    meeting = schedule()
    response = client_for(staff("zs-water")).post(
        reverse("staff:meeting_act", args=[meeting.uuid, "cancel"]), {"cancel-reason": "改期"}
    )
    assert response.status_code == 404
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.SCHEDULED


def test_an_applicant_sees_no_meetings(schedule, applicant):
    meeting = schedule()
    response = client_for(applicant).get(reverse("staff:meeting", args=[meeting.uuid]))
    assert response.status_code == 403


# --- The meeting's states ------------------------------------------------------------------------


def test_held_then_published_and_action_items_only_while_held(schedule, lead, staff):
    meeting = schedule()
    with pytest.raises(IllegalTransition):
        add_action(meeting, lead)
    hold(meeting, lead)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.held_at == at(9, 26, 10)
    with pytest.raises(PermissionDenied):
        meeting_transition(actor=staff("torch-zone"), meeting=meeting, transition="publish")
    add_action(meeting, lead)
    meeting_transition(actor=lead, meeting=meeting, transition="publish")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED
    with pytest.raises(IllegalTransition):
        meeting_transition(actor=lead, meeting=meeting, transition="cancel", data={"reason": "x"})
    assert [h.transition for h in meeting.history.all()] == ["schedule", "hold", "publish"]


def test_a_scheduled_meeting_is_cancelled_with_a_reason_through_the_page(schedule, lead):
    meeting = schedule()
    client = client_for(lead)
    url = reverse("staff:meeting_act", args=[meeting.uuid, "cancel"])
    assert_error_summary(
        client.post(url, {"cancel-reason": ""}), "请说明取消会议的原因。", field="id_cancel-reason"
    )
    assert client.post(url, {"cancel-reason": "主要领导出差，改期召开"}).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancel_reason) == ("cancelled", "主要领导出差，改期召开")


def test_the_due_day_must_be_a_working_day(schedule, lead):
    meeting = schedule()
    hold(meeting, lead)
    with pytest.raises(ValidationError) as refused:
        add_action(meeting, lead, due=dt.date(2025, 10, 3))  # National Day holiday
    assert "due_day" in refused.value.message_dict
    # Saturday 11 October 2025 is a make-up working day.
    item = add_action(meeting, lead, due=dt.date(2025, 10, 11))
    assert item.due_at == dt.datetime(2025, 10, 12, tzinfo=CST)
    response = client_for(lead).post(
        reverse("staff:meeting_action_item_add", args=[meeting.uuid]),
        {
            "action-description": "补充材料",
            "action-owner": org("csg-zhongshan").pk,
            "action-due_day": "2025-10-04",
        },
    )
    assert_error_summary(response, "完成时限必须是工作日。", field="id_action-due_day")
    assert "working day" in response.content.decode() or "工作日" in response.content.decode()


# --- Action items --------------------------------------------------------------------------------


@pytest.fixture
def held(schedule, lead):
    meeting = schedule()
    hold(meeting, lead)
    return meeting


def test_the_owner_sees_the_item_in_its_queue_marks_it_done_and_is_told(held, lead, staff):
    operator = staff("csg-zhongshan")
    item = add_action(held, lead)
    with time_machine.travel(at(9, 26, 12), tick=False):
        facts_process()
    told = Delivery.objects.filter(event_type=EventType.ACTION_ITEM_ASSIGNED)
    assert {(d.recipient_organization.code, d.channel) for d in told} >= {
        ("csg-zhongshan", Channel.IN_APP),
        ("csg-zhongshan", Channel.EMAIL),
    }
    queue = client_for(operator).get(reverse("staff:action_items") + "?state=mine")
    assert str(item.uuid) in queue.content.decode()
    # Another operator neither sees it in its queue nor by its id.
    other = client_for(staff("zs-water"))
    assert str(item.uuid) not in other.get(reverse("staff:action_items")).content.decode()
    assert other.get(reverse("staff:action_item", args=[item.uuid])).status_code == 404
    # The lead cannot mark it done for the owner; the owner can.
    with pytest.raises(PermissionDenied):
        action_item_transition(
            actor=lead, action_item=item, transition="complete", data={"note": "已完成"}
        )
    response = client_for(operator).post(
        reverse("staff:action_item_act", args=[item.uuid, "complete"]),
        {"complete-note": "线路改造已完成，9月29日送电"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.done_note) == (ActionItemStatus.DONE, "线路改造已完成，9月29日送电")


def test_the_meeting_owner_drops_an_item_and_the_owner_may_not(held, lead, staff):
    item = add_action(held, lead)
    with pytest.raises(PermissionDenied):
        action_item_transition(
            actor=staff("csg-zhongshan"),
            action_item=item,
            transition="drop",
            data={"reason": "不需要"},
        )
    action_item_transition(
        actor=lead, action_item=item, transition="drop", data={"reason": "并入下次会议议题"}
    )
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DROPPED


def test_an_overdue_action_item_escalates_over_the_holiday_and_closes_when_done(held, lead, staff):
    # Due Tuesday 30 September 2025, the day before the National Day holiday (1-8 October).
    item = add_action(held, lead, due=dt.date(2025, 9, 30))
    assert sweep(at(9, 30, 23)).opened == 0
    assert sweep(at(10, 1, 9)).opened == 1
    assert sweep(at(10, 2, 9)).opened == 0
    escalation = ItemEscalation.objects.get(action_item=item)
    assert (escalation.item_kind, escalation.tier, escalation.stage) == ("action_item", 1, "open")
    assert escalation.workgroup.code == "electricity"
    # Tier 1 holds it two working days: the holiday does not count.
    sweep(at(10, 8, 9))
    assert ItemEscalation.objects.get(pk=escalation.pk).tier == 1
    sweep(at(10, 10, 9))
    assert ItemEscalation.objects.get(pk=escalation.pk).tier == 2
    with time_machine.travel(at(10, 10, 10), tick=False):
        action_item_transition(
            actor=staff("csg-zhongshan"),
            action_item=item,
            transition="complete",
            data={"note": "10月10日完成送电"},
        )
    assert ItemEscalation.objects.get(pk=escalation.pk).status == "resolved"


def test_a_lead_refers_an_item_up_and_the_resolution_comes_back_down(held, lead, staff):
    office = staff("leadership-office")
    item = add_action(held, lead, due=dt.date(2025, 10, 20))
    with pytest.raises(PermissionDenied):
        action_item_transition(
            actor=staff("csg-zhongshan"),
            action_item=item,
            transition="refer_up",
            data={"reason": "x"},
        )
    with time_machine.travel(at(9, 29, 10), tick=False):
        action_item_transition(
            actor=lead,
            action_item=item,
            transition="refer_up",
            data={"reason": "涉及翠亨新区道路开挖审批，需领导小组办公室协调"},
        )
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN and item.referral_open
    referral = ItemEscalation.objects.get(action_item=item)
    assert (referral.origin, referral.tier, referral.item_kind) == ("referral", 2, "action_item")
    with pytest.raises(IllegalTransition):
        action_item_transition(
            actor=lead, action_item=item, transition="refer_up", data={"reason": "再次提级"}
        )
    # The office sees every workgroup's open action items, the referred ones among them.
    page = client_for(office).get(reverse("staff:action_items") + "?state=referred")
    assert str(item.uuid) in page.content.decode()
    response = client_for(office).post(
        reverse("staff:demand_escalation", args=[referral.uuid, "resolve"]),
        {"note": "已协调城管执法局加快审批"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:action_item", args=[item.uuid])
    item.refresh_from_db()
    assert not item.referral_open
    with time_machine.travel(at(9, 29, 12), tick=False):
        facts_process()
    resolved = Delivery.objects.filter(
        event_type=EventType.ESCALATION,
        payload__kind="resolved",
        payload__action_item=str(item.uuid),
    )
    assert "ndrc" in {d.recipient_organization.code for d in resolved}


# --- Minutes -------------------------------------------------------------------------------------


def test_the_minutes_download_as_pdf_and_word_with_decisions_and_action_items(held, lead, staff):
    from docx import Document
    from pypdf import PdfReader

    add_action(held, lead, description="完成翠亨新区线路改造")
    client = client_for(staff("torch-zone"))  # an invited town reads them
    pdf = client.get(reverse("staff:meeting_minutes", args=[held.uuid, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    squashed = "".join(text.split())
    assert "供电局10个工作日内完成翠亨新区线路改造" in squashed
    assert "完成翠亨新区线路改造" in squashed and "2025-09-30" in squashed
    word = client.get(reverse("staff:meeting_minutes", args=[held.uuid, "docx"]))
    assert word.status_code == 200
    paragraphs = [p.text for p in Document(io.BytesIO(word.content)).paragraphs]
    assert "一、供电局10个工作日内完成翠亨新区线路改造。" in paragraphs
    assert any("完成翠亨新区线路改造" in p and "2025-09-30" in p for p in paragraphs)
    assert held.title in paragraphs


# --- Query counts --------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_lists_take_a_constant_number_of_queries(schedule, lead, staff):
    client = client_for(lead)
    office = client_for(staff("leadership-office"))
    meeting = schedule()
    hold(meeting, lead)
    add_action(meeting, lead)
    urls = [
        reverse("staff:meetings") + "?state=all",
        reverse("staff:action_items"),
        reverse("staff:meeting", args=[meeting.uuid]),
    ]
    for warm in ((client, u) for u in urls):  # sessions and caches of the first request
        _count(*warm)
    _count(office, urls[1])
    before = [_count(client, u) for u in urls] + [_count(office, urls[1])]
    for n in range(4):
        extra = schedule(title=f"第{n}次会议")
        hold(extra, lead)
        add_action(extra, lead, owner="torch-zone")
        add_action(meeting, lead, owner="zs-water")
    after = [_count(client, u) for u in urls] + [_count(office, urls[1])]
    assert after == before
    assert ActionItem.objects.count() == 9
