"""The demo's policy notices (政策推送) of the electricity workgroup, keyed by title: one
published to every applicant company (with its infographic), and one aimed at the companies
with an electricity case still at acceptance or survey, scheduled for tomorrow morning."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from coordination.models import PolicyNotice
from coordination.services import (
    NoticeInput,
    policy_notice_create,
    policy_notice_publish,
    policy_notice_schedule,
)
from workgroups.calendar import local_zone
from workgroups.models import User, Workgroup

from .files import demo_png

PUBLISHED_TITLE = "低压小微企业用电报装“零投资”政策解读"
PUBLISHED_BODY = (
    "<p>自2024年起，中山市160千瓦及以下的低压小微企业用电报装实行<strong>零投资</strong>："
    "从企业用地红线到公共电网的外线工程由供电企业投资建设。</p>"
    "<ul><li>办理环节：申请、外线施工、装表接电；</li><li>办理时限：不超过10个工作日；</li>"
    "<li>所需材料：营业执照（可免证办）、用电地址产权证明或承诺书。</li></ul>"
)
SCHEDULED_TITLE = "外线工程道路开挖并联审批提醒"
SCHEDULED_BODY = (
    "<p>涉及道路开挖、占道的外线工程，规划、城管、交警审批并联办理，"
    "请在确认供电方案后3个工作日内补齐施工组织方案。</p>"
)


@transaction.atomic
def build_notices(users: dict[str, User]) -> list[PolicyNotice]:
    lead = users["lead-ndrc"]
    electricity = Workgroup.objects.get(code="electricity").pk
    notices = []
    published = PolicyNotice.objects.filter(title=PUBLISHED_TITLE).first()
    if published is None:
        published = policy_notice_create(
            actor=lead,
            data=NoticeInput(
                title=PUBLISHED_TITLE,
                body_html=PUBLISHED_BODY,
                workgroup_id=electricity,
                infographic=SimpleUploadedFile(
                    "infographic.png", demo_png((0, 94, 184), size=64), content_type="image/png"
                ),
            ),
        )
        published = policy_notice_publish(actor=lead, notice=published)
    notices.append(published)
    scheduled = PolicyNotice.objects.filter(title=SCHEDULED_TITLE).first()
    if scheduled is None:
        scheduled = policy_notice_create(
            actor=lead,
            data=NoticeInput(
                title=SCHEDULED_TITLE,
                body_html=SCHEDULED_BODY,
                workgroup_id=electricity,
                utilities=["electricity"],
                case_states=["accepted", "surveying"],
            ),
        )
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        scheduled = policy_notice_schedule(
            actor=lead,
            notice=scheduled,
            publish_at=dt.datetime.combine(tomorrow, dt.time(9), local_zone()),
        )
    notices.append(scheduled)
    return notices
