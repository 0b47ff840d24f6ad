"""The demo's knowledge base (知识库) and training (业务培训): a few Chinese articles of the
electricity and water workgroups (a procedure, an FAQ, and the decision of the electricity
workgroup's last meeting, linked to it) and a training session with attendance of the grid
operator and a town. Keyed by title, written through the real services."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from coordination.constants import ArticleKind
from coordination.models import Article, Meeting, TrainingSession
from coordination.services.knowledge import (
    ArticleInput,
    TrainingInput,
    article_create,
    training_attendance_record,
    training_session_create,
)
from workgroups.models import Organization, User, Workgroup

from .meetings import PAST_TITLE

ARTICLES = (
    # (workgroup, author, kind, case stage, title, body, linked to the past meeting)
    (
        "electricity",
        "lead-ndrc",
        ArticleKind.PROCEDURE,
        "submitted",
        "临时用电报装受理要点",
        "<p>施工临时用电报装：核对建设工程规划许可证或施工许可证，确认<strong>用电容量</strong>"
        "和使用期限；低压160千伏安及以下按“三零”服务办理，不收取外线工程费用。</p>"
        "<ul><li>材料齐全当日受理</li><li>缺少材料的可选承诺制，开工前补交</li></ul>",
        False,
    ),
    (
        "electricity",
        "op-power",
        ArticleKind.FAQ,
        "",
        "常见问题：双电源供电方案为何答复时间更长？",
        "<p>双电源需两个变电站出线间隔的校核和上级电网的确认，方案答复时限为30个工作日。"
        "Dual-source supplies need two feeder bays checked, so the plan reply takes longer.</p>",
        False,
    ),
    (
        "electricity",
        "lead-ndrc",
        ArticleKind.DECISION,
        "constructing",
        "会议决定：外线工程倒排工期与道路开挖并联审批",
        "<p>一、中山供电局对翠亨新区在建项目外线工程倒排工期，每周报送进度。</p>"
        "<p>二、市城管执法局对涉及道路开挖的外线工程实行并联审批，3个工作日内办结。</p>",
        True,
    ),
    (
        "water",
        "lead-water",
        ArticleKind.PROCEDURE,
        "surveying",
        "用水报装现场勘查与供水方案",
        "<p>现场勘查后10个工作日内出具供水方案；DN100以上管径须核对市政管网压力。</p>",
        False,
    ),
)
TRAINING_TITLE = "临时用电报装与“三零”服务业务培训"
ATTENDANCE = (
    ("csg-zhongshan", ("李国强", "陈志华", "黄晓燕")),
    ("cuiheng", ("邓雅琪",)),
)


@transaction.atomic
def build_knowledge(users: dict[str, User]) -> tuple[list[Article], TrainingSession]:
    past = Meeting.objects.filter(title=PAST_TITLE).first()
    articles = []
    for code, author, kind, stage, title, body, linked in ARTICLES:
        article = Article.objects.filter(title=title).first()
        if article is None:
            article = article_create(
                actor=users[author],
                data=ArticleInput(
                    workgroup=Workgroup.objects.get(code=code),
                    kind=kind,
                    title=title,
                    body=body,
                    stage=stage,
                    meeting=past if linked else None,
                ),
            )
        articles.append(article)
    session = TrainingSession.objects.filter(title=TRAINING_TITLE).first()
    if session is None:
        lead = users["lead-ndrc"]
        session = training_session_create(
            actor=lead,
            data=TrainingInput(
                workgroup=Workgroup.objects.get(code="electricity"),
                title=TRAINING_TITLE,
                held_on=timezone.localdate() - dt.timedelta(days=7),
                trainer="市发展和改革局 林海",
                material="<p>课件：临时用电报装流程、承诺制与免证办、“三零”服务标准。</p>",
            ),
        )
        for code, people in ATTENDANCE:
            training_attendance_record(
                actor=lead,
                session=session,
                organization=Organization.objects.get(code=code),
                people=list(people),
            )
    return articles, session
