"""Demo demands and suggestions (诉求与建议), played back in time through the real services so
the staff queue shows a realistic mix: new, acknowledged, overdue and escalated, answered and
waiting for the submitter, solved, reopened and referred to the leadership office. Each is keyed
by its subject and never built twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from applications.models import ServiceApplication
from coordination.models import Demand
from coordination.services import (
    DemandInput,
    coordination_sweep,
    demand_submit,
    demand_transition,
)
from workgroups.calendar import local_zone, working_day_after, working_day_before
from workgroups.models import Town, User


@dataclass(frozen=True)
class DemoDemand:
    title: str
    kind: str
    theme: str
    utility: str
    town: str
    description: str
    # Working days before today it was received.
    received: int
    by: str = ""  # a demo user's username; "" for someone without an account
    contact: tuple[str, str, str] = ("", "", "")  # name, mobile, e-mail without an account
    case: str = ""  # the project code of the submitter's own case it is about
    # (working days after receipt, username or "applicant" for the submitter, action, input)
    steps: tuple[tuple[int, str, str, dict], ...] = field(default_factory=tuple)


DEMO_DEMANDS = (
    DemoDemand(
        "外线施工进度慢，厂房迟迟不能通电",
        "complaint",
        "connection",
        "electricity",
        "nanlang",
        "项目外线工程已开工两周，施工队多次停工，请协调供电局加快进度。",
        received=1,
        by="applicant",
        case="2026-442000-47-01-900005",
        steps=((0, "lead-ndrc", "acknowledge", {}),),
    ),
    DemoDemand(
        "水费账单重复扣款",
        "complaint",
        "payment",
        "water",
        "shiqi",
        "三月份水费被银行代扣两次，请核实并退款。",
        received=4,
        contact=("林女士", "13800138001", "lin.demo@example.cn"),
    ),
    DemoDemand(
        "建议开通燃气报装进度短信提醒",
        "suggestion",
        "other",
        "gas",
        "xiaolan",
        "希望燃气报装每到一个环节都能收到短信提醒，减少电话询问。",
        received=3,
        by="applicant2",
        steps=(
            (1, "lead-housing", "acknowledge", {}),
            (
                2,
                "lead-housing",
                "answer",
                {"answer": "已纳入明年系统升级计划，届时各环节将短信通知。"},
            ),
        ),
    ),
    DemoDemand(
        "园区需要千兆光纤覆盖",
        "need",
        "connection",
        "network",
        "zhongshangang",
        "火炬开发区新材料产业园三期预计明年投产，需要千兆光纤和5G覆盖。",
        received=8,
        contact=("吴工", "13900139002", ""),
        steps=(
            (1, "lead-comms", "acknowledge", {}),
            (
                3,
                "lead-comms",
                "answer",
                {"answer": "已通知电信、移动、联通和铁塔公司提前规划管道和基站。"},
            ),
            (4, "lead-comms", "close", {}),
        ),
    ),
    DemoDemand(
        "有线电视迁移后信号不稳定",
        "complaint",
        "quality",
        "cable_tv",
        "nanlang",
        "厂区宿舍有线电视迁移后经常出现马赛克。",
        received=6,
        by="applicant",
        steps=(
            (1, "lead-culture", "acknowledge", {}),
            (2, "lead-culture", "answer", {"answer": "已安排广电网络公司上门检修分支器。"}),
            (3, "applicant", "report_unsolved", {"reason": "检修后仍有马赛克，晚上尤其明显。"}),
            (
                4,
                "lead-culture",
                "refer_up",
                {"reason": "信号问题源于片区主干线路老化，需市级统筹改造资金。"},
            ),
        ),
    ),
    DemoDemand(
        "报装材料能否全部网上提交",
        "need",
        "connection",
        "water",
        "dongqu",
        "请问新建厂房的用水报装是否还需要到窗口递交纸质材料？",
        received=2,
        contact=("黄先生", "", "huang.demo@example.cn"),
        steps=(
            (1, "lead-water", "answer", {"answer": "无需到窗口：全部材料可在本平台一次上传。"}),
        ),
    ),
)


def _moment(day: dt.date, index: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), local_zone()) + dt.timedelta(minutes=41 * index)


@transaction.atomic
def build_demand(spec: DemoDemand, users: dict[str, User]) -> Demand:
    today = timezone.localdate()
    first = working_day_before(today, spec.received)
    actor = users[spec.by] if spec.by else None
    case = None
    if spec.case:
        case = (
            ServiceApplication.objects.filter(
                combined__project__code=spec.case, utility=spec.utility
            )
            .order_by("pk")
            .first()
        )
    name, mobile, email = spec.contact
    demand = demand_submit(
        actor=actor,
        data=DemandInput(
            kind=spec.kind,
            theme=spec.theme,
            utility=spec.utility,
            town=Town.objects.get(code=spec.town),
            title=spec.title,
            description=spec.description,
            service_application=case,
            contact_name=name,
            contact_mobile=mobile,
            contact_email=email,
        ),
        now=_moment(first, 0),
    )
    for index, (days, who, action, data) in enumerate(spec.steps, start=1):
        by = actor if who == "applicant" else users[who]
        demand = demand_transition(
            actor=by,
            demand=demand,
            transition=action,
            data=data,
            now=_moment(working_day_after(first, days), index),
        )
    return demand


def build_demands(users: dict[str, User]) -> list[tuple[DemoDemand, Demand, bool]]:
    """Every demo demand not yet present; then the sweep, so the overdue ones are escalated
    as beat would have done."""
    results = []
    for spec in DEMO_DEMANDS:
        existing = Demand.objects.filter(title=spec.title).first()
        created = existing is None
        results.append((spec, existing or build_demand(spec, users), created))
    coordination_sweep()
    return results
