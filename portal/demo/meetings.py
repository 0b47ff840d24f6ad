"""The demo's coordination meetings (联动协调会议) of the electricity workgroup: one held twelve
working days ago with its minutes, decisions and two action items (one of them past its due
day, so the sweep escalates it to the lead agency), and the next one, scheduled in three days,
whose agenda the portal pre-fills with the workgroup's open matters: escalated and overdue
cases, escalated demands and the demands received since the first meeting. Keyed by title."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from coordination.models import Meeting
from coordination.services import (
    ActionItemInput,
    MeetingInput,
    action_item_add,
    coordination_sweep,
    meeting_schedule,
    meeting_transition,
)
from workgroups.calendar import local_zone, working_day_after, working_day_before
from workgroups.models import Organization, User, Workgroup

PAST_TITLE = "获得电力专项工作小组第三次联动协调会议"
NEXT_TITLE = "获得电力专项工作小组第四次联动协调会议"
PLACE = "中山市发展和改革局三楼第一会议室"
INVITED = ("csg-zhongshan", "cuiheng", "torch-zone", "urban-management")
MINUTES = (
    "会议由市发展和改革局主持，中山供电局、翠亨新区管委会、火炬开发区管委会、市城管执法局参加。\n"
    "会议通报了本月获得电力办件情况，逐件研究了超时办件和企业诉求，"
    "对翠亨新区外线工程进度滞后问题进行了协调。"
)
DECISIONS = (
    "一、中山供电局对翠亨新区在建项目外线工程倒排工期，每周报送进度。\n"
    "二、市城管执法局对涉及道路开挖的外线工程实行并联审批，3个工作日内办结。"
)
ACTIONS = (
    # (description, owner, working days from today: negative = already past)
    ("报送翠亨新区在建项目外线工程倒排工期计划", "csg-zhongshan", -4),
    ("完成南朗街道翠亨大道段道路开挖审批", "urban-management", 5),
)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), local_zone())


@transaction.atomic
def build_meetings(users: dict[str, User]) -> list[Meeting]:
    lead = users["lead-ndrc"]
    electricity = Workgroup.objects.get(code="electricity")
    invited = list(Organization.objects.filter(code__in=INVITED).order_by("code"))
    today = timezone.localdate()
    past = Meeting.objects.filter(title=PAST_TITLE).first()
    if past is None:
        held_day = working_day_before(today, 12)
        past = meeting_schedule(
            actor=lead,
            data=MeetingInput(PAST_TITLE, _at(held_day, 15), PLACE, electricity, invited),
            now=_at(working_day_before(held_day, 3), 10),
        )
        meeting_transition(
            actor=lead,
            meeting=past,
            transition="hold",
            data={"minutes": MINUTES, "decisions": DECISIONS},
            now=_at(held_day, 17),
        )
        for description, owner, days in ACTIONS:
            due = working_day_before(today, -days) if days < 0 else working_day_after(today, days)
            action_item_add(
                actor=lead,
                meeting=past,
                data=ActionItemInput(description, Organization.objects.get(code=owner), due),
                now=_at(held_day, 17),
            )
        meeting_transition(actor=lead, meeting=past, transition="publish", now=_at(held_day, 18))
        coordination_sweep()  # the overdue action item escalates, as beat would have done
    upcoming = Meeting.objects.filter(title=NEXT_TITLE).first()
    if upcoming is None:
        upcoming = meeting_schedule(
            actor=lead,
            data=MeetingInput(
                NEXT_TITLE,
                _at(working_day_after(today, 3), 15),
                PLACE,
                electricity,
                invited,
            ),
        )
    return list(Meeting.objects.filter(pk__in=[past.pk, upcoming.pk]).order_by("starts_at"))
