"""Demo cases in different states, each built in one transaction through the real services and
keyed by a fixed project code, so a case that exists is never built twice."""

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from applications.constants import (
    BusinessType,
    DocumentType,
    ProjectKind,
    ServiceStatus,
    WorksType,
)
from applications.models import CombinedApplication, Project, ServiceApplication
from applications.registry import DOCUMENT_RULES, documents_required
from applications.services import (
    SubmissionInput,
    combined_application_submit,
    permit_request_decide,
    project_create,
    project_document_share,
    service_application_transition,
)
from applications.services.fees import fee_payment_record
from applications.services.projects import project_push
from workgroups.calendar import local_zone, working_day_after, working_day_before
from workgroups.models import Organization, Town, User

from .files import demo_document, demo_pdf
from .people import COMPANIES, DEMO_USERS

DEMO_NAMESPACE = uuid.UUID("6f1c3a52-7a0e-4f57-9d0a-2b1e5f3c8d41")

DETAILS = {
    "electricity": {
        "category": "commercial_industrial",
        "capacity_kva": "800",
        "voltage_level": "10kv",
        "supply_mode": "single",
    },
    "water": {"purpose": "non_residential", "pipe_diameter_mm": "100", "daily_max_m3": "120"},
    "gas": {
        "use_type": "commercial",
        "appliances": "中餐灶 x6, 商用热水炉 x2",
        "appliance_count": "8",
        "peak_m3_per_hour": "60",
    },
    "network": {
        "service_type": "dedicated_line",
        "bandwidth_mbps": "1000",
        "access_points": "6",
        "preferred_carriers": ["telecom", "mobile"],
    },
    "cable_tv": {"service_type": "tv", "terminals": "40"},
}
BROADBAND = {
    "service_type": "broadband",
    "bandwidth_mbps": "500",
    "access_points": "2",
    "preferred_carriers": ["unicom"],
}


@dataclass(frozen=True)
class Step:
    """One action on the case: a transition of a utility's application, or (with
    `permit_type`) a permit agency's decision on that application's permit."""

    utility: str
    action: str
    by: str = "operator"  # operator | applicant | permit agency
    data: dict = field(default_factory=dict)
    permit_type: str = ""
    days: int = 1  # working days after the step before it (0: the same day, later)


@dataclass(frozen=True)
class DemoCase:
    code: str
    name: str
    town: str
    company: str
    story: str  # what the demo shows, for the command's summary
    utilities: dict[str, dict]
    steps: tuple[Step, ...] = ()
    commit_where_allowed: bool = False
    business_type: str = BusinessType.NEW_CONNECTION
    # Working days the case has been in its present stage today: the cases are played back in
    # time, so their clocks show realistic days by party.
    waiting: int = 1

    def moments(self, today: dt.date) -> list[dt.datetime]:
        """When it was submitted and when each step happened, ending `waiting` working days
        before `today`: the working days counted back, a few hours apart on the same day."""
        offsets = [0]
        for step in self.steps:
            offsets.append(offsets[-1] + step.days)
        first = working_day_before(today, offsets[-1] + self.waiting)
        zone = local_zone()
        return [
            dt.datetime.combine(working_day_after(first, offset), dt.time(9), zone)
            + dt.timedelta(minutes=37 * i)
            for i, offset in enumerate(offsets)
        ]


def _plan(permits: list[str], fee: str) -> dict:
    return {
        "survey_result": "现场勘查完成：接入点距红线约80米，具备接入条件。",
        "plan": "由市政管网就近接入，外线沿规划道路人行道敷设。",
        "fee_quote_cny": fee,
        "required_permits": permits,
    }


_SURVEY = (Step("", "accept"), Step("", "start_survey", days=2))


def _for(utility: str, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    return tuple(replace(s, utility=utility) if not s.utility else s for s in steps)


DEMO_CASES = (
    DemoCase(
        "2026-442000-47-01-900001",
        "翠亨新区智能装备产业园一期",
        "nanlang",
        "demo-cuiheng-zhizao",
        "submitted: all five utilities, waiting for acceptance",
        {u: DETAILS[u] for u in ("electricity", "water", "gas", "network", "cable_tv")},
        commit_where_allowed=True,
    ),
    DemoCase(
        "2026-442000-47-01-900002",
        "小榄精密五金新厂房",
        "xiaolan",
        "demo-xiaolan-jingmi",
        "water returned for correction (补正); gas submitted",
        {u: DETAILS[u] for u in ("water", "gas")},
        (
            Step(
                "water",
                "return_for_correction",
                data={"reason": "请在总平面图中标明给水接入点和水表井位置后重新提交。"},
            ),
        ),
        waiting=3,
    ),
    DemoCase(
        "2026-442000-47-01-900003",
        "翠亨智造研发中心",
        "zhongshangang",
        "demo-cuiheng-zhizao",
        "electricity plan issued with a fee quote, awaiting the applicant",
        {"electricity": DETAILS["electricity"]},
        _for(
            "electricity",
            (*_SURVEY, Step("", "issue_plan", data=_plan([], "12800.00"), days=3)),
        ),
        waiting=2,
    ),
    DemoCase(
        "2026-442000-47-01-900004",
        "古镇灯饰产业大厦",
        "guzhen",
        "demo-xiaolan-jingmi",
        "water in permitting: 3 parallel permits, planning approved",
        {"water": DETAILS["water"]},
        _for(
            "water",
            (
                *_SURVEY,
                Step(
                    "",
                    "issue_plan",
                    data=_plan(["planning", "road_excavation", "road_occupation"], "36500.00"),
                    days=4,
                ),
                Step("", "confirm_plan", by="applicant", days=2),
                Step("", "approve", by="permit", permit_type="planning"),
            ),
        ),
    ),
    DemoCase(
        "2026-442000-47-01-900005",
        "石岐总部办公楼",
        "shiqi",
        "demo-cuiheng-zhizao",
        "electricity under construction after its permit was approved",
        {"electricity": DETAILS["electricity"]},
        _for(
            "electricity",
            (
                *_SURVEY,
                Step("", "issue_plan", data=_plan(["road_excavation"], "58000.00"), days=5),
                Step("", "confirm_plan", by="applicant"),
                Step(
                    "",
                    "approve",
                    by="permit",
                    permit_type="road_excavation",
                    data={"reason": "同意按方案开挖，注意夜间施工降噪。"},
                    days=2,
                ),
            ),
        ),
        waiting=4,
    ),
    DemoCase(
        "2026-442000-47-01-900006",
        "坦洲物流仓储中心",
        "tanzhou",
        "demo-xiaolan-jingmi",
        "cable TV and broadband connected (fast track)",
        {"cable_tv": DETAILS["cable_tv"], "network": BROADBAND},
        (
            Step("cable_tv", "accept"),
            Step("network", "accept", days=0),
            Step("cable_tv", "start_construction"),
            Step("network", "start_construction", days=0),
            Step("cable_tv", "connect", days=2),
            Step("network", "connect"),
        ),
    ),
    DemoCase(
        "2026-442000-47-01-900007",
        "东区人才公寓",
        "dongqu",
        "demo-cuiheng-zhizao",
        "water closed after inspection and connection",
        {"water": DETAILS["water"]},
        _for(
            "water",
            (
                *_SURVEY,
                Step("", "issue_plan", data=_plan([], "21000.00"), days=3),
                Step("", "confirm_plan", by="applicant", days=2),
                Step("", "complete_construction", days=8),
                Step(
                    "",
                    "connect",
                    data={"inspection_result": "竣工验收合格，水表已安装。"},
                    days=2,
                ),
                Step("", "close"),
            ),
        ),
    ),
    DemoCase(
        "2026-442000-47-01-900008",
        "三乡商业综合体",
        "sanxiang",
        "demo-xiaolan-jingmi",
        "gas withdrawn by the applicant",
        {"gas": DETAILS["gas"]},
        (
            Step(
                "gas",
                "withdraw",
                by="applicant",
                data={"reason": "项目业态调整，暂缓用气报装。"},
                days=3,
            ),
        ),
    ),
)


@dataclass(frozen=True)
class CaseResult:
    case: DemoCase
    created: bool
    reference: str
    statuses: dict[str, str]


def _submission(case: DemoCase, actor: User, owner: Organization) -> SubmissionInput:
    documents, commitments = {}, {}
    for doc_type in documents_required(list(case.utilities)):
        if case.commit_where_allowed and DOCUMENT_RULES[doc_type].commitment_allowed:
            commitments[doc_type] = "本单位承诺所提交信息真实有效，并在施工前补交该材料。"
        else:
            documents[doc_type] = demo_document(actor=actor, owner=owner, doc_type=doc_type)
    return SubmissionInput(
        business_type=case.business_type,
        utilities={utility: dict(details) for utility, details in case.utilities.items()},
        documents=documents,
        commitments=commitments,
        client_token=uuid.uuid5(DEMO_NAMESPACE, case.code),
    )


def _actor_for(step: Step, sa: ServiceApplication, users: dict[str, User]) -> User:
    by_org = {spec.organization: users[spec.username] for spec in reversed(DEMO_USERS)}
    if step.by == "applicant":
        return by_org[sa.combined.applicant.code]
    if step.by == "permit":
        return by_org[sa.permits.get(permit_type=step.permit_type, status="pending").agency.code]
    return by_org[sa.operator.code]


def _perform(
    step: Step, combined: CombinedApplication, users: dict[str, User], now: dt.datetime
) -> None:
    sa = combined.services.filter(utility=step.utility).order_by("pk").first()
    actor = _actor_for(step, sa, users)
    if step.permit_type:
        permit_request_decide(
            actor=actor,
            permit_request=sa.permits.get(permit_type=step.permit_type, status="pending"),
            decision=step.action,
            data=step.data,
            now=now,
        )
    else:
        service_application_transition(
            actor=actor, service_application=sa, transition=step.action, data=step.data, now=now
        )


@transaction.atomic
def build_case(case: DemoCase, users: dict[str, User]) -> CombinedApplication:
    """Record the project, submit the combined request and play the case's steps."""
    owner = Organization.objects.get(code=case.company)
    actor = next(users[s.username] for s in DEMO_USERS if s.organization == case.company)
    project = project_create(
        actor=actor,
        owner=owner,
        code=case.code,
        name=case.name,
        kind=ProjectKind.NEW,
        works_type=WorksType.BUILDING,
        address=f"中山市{Town.objects.get(code=case.town).name_zh}{case.name}项目地块",
        town=Town.objects.get(code=case.town),
        floor_area_m2=Decimal("18500.00"),
        planned_start=date(2026, 9, 1),
    )
    submitted_at, *step_moments = case.moments(timezone.localdate())
    combined = combined_application_submit(
        actor=actor,
        applicant=owner,
        project=project,
        data=_submission(case, actor, owner),
        now=submitted_at,
    )
    for step, moment in zip(case.steps, step_moments, strict=True):
        _perform(step, combined, users, moment)
    _pay_connected(combined, users)
    return combined


def _pay_connected(combined: CombinedApplication, users: dict[str, User]) -> None:
    """A utility connected with a confirmed fee was paid: its operator reports the payment from
    its billing system on the day the applicant confirmed the quote (缴费)."""
    for sa in combined.services.filter(
        status__in=(ServiceStatus.CONNECTED, ServiceStatus.CLOSED),
        fee_confirmed_at__isnull=False,
        fee_quote_cny__gt=0,
    ).order_by("pk"):
        paid_on = timezone.localdate(sa.fee_confirmed_at)
        fee_payment_record(
            actor=_actor_for(Step(utility=sa.utility, action="pay"), sa, users),
            service_application=sa,
            data={
                "amount_cny": str(sa.fee_quote_cny),
                "paid_on": paid_on.isoformat(),
                "receipt_number": f"DEMO-{paid_on:%Y%m%d}-{sa.pk}",
            },
            now=sa.fee_confirmed_at,
        )


def _result(case: DemoCase, *, created: bool) -> CaseResult:
    combined = CombinedApplication.objects.filter(project__code=case.code).order_by("pk").first()
    statuses = {}
    if combined is not None:
        for sa in combined.services.select_related("operator").order_by("pk"):
            statuses[f"{sa.utility}/{sa.operator.code}"] = sa.status
    return CaseResult(case, created, combined.reference if combined else "", statuses)


def build_cases(users: dict[str, User]) -> list[CaseResult]:
    results = []
    for case in DEMO_CASES:
        exists = Project.objects.filter(code=case.code).exists()
        if not exists:
            build_case(case, users)
        results.append(_result(case, created=not exists))
    return results


# A project a department pushed with its documents, waiting for its company to claim it by code.
SHARED_PROJECT_CODE = "2026-442000-48-01-990001"
SHARED_DOCUMENTS = (
    DocumentType.PROPERTY_RIGHT,
    DocumentType.PLANNING_PERMIT,
    DocumentType.SITE_PLAN,
)


def build_shared_project(users: dict[str, User]) -> Project:
    """Pushed by 市自然资源局 with its land and planning documents (免证办), for the first demo
    company (its credit code): the demo `applicant` finds it on the projects page by its code."""
    existing = Project.objects.filter(code=SHARED_PROJECT_CODE).first()
    if existing is not None:
        return existing
    actor = users["permit-nr"]
    provider = Organization.objects.get(code="natural-resources")
    with transaction.atomic():
        project = project_push(
            actor=actor,
            organization=provider,
            code=SHARED_PROJECT_CODE,
            town_code="zhongshangang",
            name="火炬开发区新材料产业园（共享数据演示）",
            kind="new",
            works_type="building",
            address="中山市火炬开发区沿江东三路8号",
            floor_area_m2=Decimal("45000"),
            owner_credit_code=COMPANIES[0].uscc,
        )
        for doc_type in SHARED_DOCUMENTS:
            content = demo_pdf(f"Zhongshan shared data - {SHARED_PROJECT_CODE} - {doc_type}")
            project_document_share(
                provider=provider,
                project=project,
                doc_type=doc_type,
                upload=SimpleUploadedFile(f"{doc_type}.pdf", content),
            )
    return project
