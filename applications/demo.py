"""Demo data for `manage.py seed_demo`, built only through the real services.

Idempotent: organisations and people are upserted by their natural keys, and each demo case
is keyed by a fixed project code and skipped when that project exists; a case is built in one
transaction, so an interrupted run leaves no half case behind.
"""

import os
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.hashers import check_password, make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from indicators.selectors.kpi import indicators_available
from indicators.services.rollup import kpi_rollup_refresh
from workgroups.constants import OrganizationKind, Role
from workgroups.models import Organization, Town, User
from workgroups.reference import load_reference_data
from workgroups.services import membership_add, organization_upsert
from workgroups.validators import uscc_check_character

from .constants import BusinessType, DocumentType, ProjectKind, WorksType
from .models import CombinedApplication, Document, Project, ServiceApplication
from .registry import DOCUMENT_RULES, documents_required
from .services import (
    SubmissionInput,
    combined_application_submit,
    document_store,
    permit_request_decide,
    project_create,
    project_document_share,
    service_application_transition,
)
from .services.projects import project_push

DEFAULT_DEMO_PASSWORD = "zhongshan-demo-2026"  # noqa: S105 - a published demo password
EMAIL_DOMAIN = "demo.zs-portal.example"
DEMO_NAMESPACE = uuid.UUID("6f1c3a52-7a0e-4f57-9d0a-2b1e5f3c8d41")


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


# --- Unified social credit code (GB 32100-2015) ---------------------------------------------

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code


def org_code_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body (USCC 9-16)."""
    total = sum(int(c, 36) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(
    *, division: str, org_code_body: str, authority: str = "9", category: str = "1"
) -> str:
    """A USCC for an enterprise (9 = market regulation, 1 = enterprise) in `division`, with
    both check characters: the organisation code's (GB 11714) and the code's own."""
    first17 = f"{authority}{category}{division}{org_code_body}{org_code_check_char(org_code_body)}"
    return first17 + uscc_check_character(first17)


# --- Organisations and people ---------------------------------------------------------------

ZHONGSHAN_DIVISION = "442000"


@dataclass(frozen=True)
class DemoCompany:
    code: str
    name_zh: str
    name_en: str
    org_code_body: str

    @property
    def uscc(self) -> str:
        return make_uscc(division=ZHONGSHAN_DIVISION, org_code_body=self.org_code_body)


COMPANIES = (
    DemoCompany(
        "demo-cuiheng-zhizao",
        "中山市翠亨智造科技有限公司",
        "Zhongshan Cuiheng Smart Manufacturing Technology Co., Ltd.",
        "MA55C8R1",
    ),
    DemoCompany(
        "demo-xiaolan-jingmi",
        "中山市小榄精密五金制品有限公司",
        "Zhongshan Xiaolan Precision Hardware Co., Ltd.",
        "MA4W2T7K",
    ),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str  # a workgroups Role value, or "" for the platform administrator
    organization: str = ""  # organisation code
    is_staff: bool = True
    is_superuser: bool = False


DEMO_USERS = (
    DemoUser("admin", "系统管理员", "", is_superuser=True),
    DemoUser("applicant", "王立新", Role.APPLICANT, "demo-cuiheng-zhizao", is_staff=False),
    DemoUser("applicant2", "陈嘉怡", Role.APPLICANT, "demo-xiaolan-jingmi", is_staff=False),
    DemoUser("op-power", "李国强", Role.OPERATOR, "csg-zhongshan"),
    DemoUser("op-water", "黄志明", Role.OPERATOR, "zs-water"),
    DemoUser("op-towngas", "梁伟文", Role.OPERATOR, "towngas-zs"),
    DemoUser("op-crgas", "何敏", Role.OPERATOR, "crgas-zs"),
    DemoUser("op-telecom", "刘洋", Role.OPERATOR, "telecom-zs"),
    DemoUser("op-tower", "张磊", Role.OPERATOR, "tower-zs"),
    DemoUser("op-mobile", "吴静", Role.OPERATOR, "mobile-zs"),
    DemoUser("op-unicom", "周杰", Role.OPERATOR, "unicom-zs"),
    DemoUser("op-cable", "郑丽", Role.OPERATOR, "gcable-zs"),
    DemoUser("lead-ndrc", "林海", Role.LEAD_AGENCY, "ndrc"),
    DemoUser("lead-water", "杨帆", Role.LEAD_AGENCY, "water-bureau"),
    DemoUser("lead-housing", "徐明", Role.LEAD_AGENCY, "housing"),
    DemoUser("lead-comms", "孙悦", Role.LEAD_AGENCY, "comms-office"),
    DemoUser("lead-miit", "马骏", Role.LEAD_AGENCY, "miit"),
    DemoUser("lead-culture", "朱琳", Role.LEAD_AGENCY, "culture-tourism"),
    DemoUser("permit-nr", "胡斌", Role.PERMIT_AGENCY, "natural-resources"),
    DemoUser("permit-um", "高峰", Role.PERMIT_AGENCY, "urban-management"),
    DemoUser("permit-police", "罗军", Role.PERMIT_AGENCY, "public-security"),
    DemoUser("leadership", "谢文华", Role.LEADERSHIP_OFFICE, "leadership-office"),
    DemoUser("data-investment", "曾晓", Role.DATA_PROVIDER, "investment", is_staff=False),
)


def ensure_companies() -> dict[str, Organization]:
    return {
        c.code: organization_upsert(
            code=c.code,
            name_zh=c.name_zh,
            name_en=c.name_en,
            kind=OrganizationKind.APPLICANT_COMPANY,
            unified_social_credit_code=c.uscc,
        )
        for c in COMPANIES
    }


class DemoPasswords:
    """Gives every demo user the demo password while hashing it about once per run.

    All demo users share one encoded hash (the password is published anyway), so a re-run
    verifies one hash and compares strings for the rest; a user whose password was changed
    is reset to the demo password, so the printed table is always true.
    """

    def __init__(self, password: str) -> None:
        self.password = password
        self.verified: set[str] = set()
        self.encoded = ""

    def ensure(self, user: User) -> None:
        if user.password in self.verified:
            return
        if user.password and check_password(self.password, user.password):
            self.verified.add(user.password)
            return
        if not self.encoded:
            self.encoded = make_password(self.password)
            self.verified.add(self.encoded)
        user.password = self.encoded
        user.save(update_fields=["password"])


def ensure_user(spec: DemoUser, passwords: DemoPasswords) -> User:
    """The demo user, created or brought back to its demo state, with the demo password."""
    user, _ = User.objects.update_or_create(
        username=spec.username,
        defaults={
            "email": f"{spec.username}@{EMAIL_DOMAIN}",
            "first_name": spec.display_name,
            "is_staff": spec.is_staff or spec.is_superuser,
            "is_superuser": spec.is_superuser,
            "is_active": True,
        },
    )
    passwords.ensure(user)
    if spec.organization:
        membership_add(user=user, organization=Organization.objects.get(code=spec.organization))
    return user


def ensure_users(password: str) -> dict[str, User]:
    passwords = DemoPasswords(password)
    return {spec.username: ensure_user(spec, passwords) for spec in DEMO_USERS}


# --- Documents ----------------------------------------------------------------------------------


def demo_pdf(text: str) -> bytes:
    """A small, well-formed one-page PDF showing `text` (ASCII)."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 770 Td ({safe}) Tj ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


def demo_png(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A small, well-formed single-colour PNG."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def demo_document(*, actor: User, owner: Organization, doc_type: str) -> Document:
    """The company's document of this type (the same bytes every run: stored once)."""
    if doc_type == DocumentType.SITE_PLAN:
        name, content = f"{doc_type}.png", demo_png((40, 110, 180))
    else:
        name = f"{doc_type}.pdf"
        content = demo_pdf(f"Zhongshan utility portal demo - {owner.code} - {doc_type}")
    upload = SimpleUploadedFile(name, content)
    return document_store(actor=actor, owner=owner, doc_type=doc_type, upload=upload)


# --- Demo cases ---------------------------------------------------------------------------------

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


def _plan(permits: list[str], fee: str) -> dict:
    return {
        "survey_result": "现场勘查完成：接入点距红线约80米，具备接入条件。",
        "plan": "由市政管网就近接入，外线沿规划道路人行道敷设。",
        "fee_quote_cny": fee,
        "required_permits": permits,
    }


_SURVEY = (Step("", "accept"), Step("", "start_survey"))


def _for(utility: str, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    return tuple(
        Step(utility, s.action, s.by, s.data, s.permit_type) if not s.utility else s for s in steps
    )


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
    ),
    DemoCase(
        "2026-442000-47-01-900003",
        "翠亨智造研发中心",
        "zhongshangang",
        "demo-cuiheng-zhizao",
        "electricity plan issued with a fee quote, awaiting the applicant",
        {"electricity": DETAILS["electricity"]},
        _for("electricity", (*_SURVEY, Step("", "issue_plan", data=_plan([], "12800.00")))),
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
                ),
                Step("", "confirm_plan", by="applicant"),
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
                Step("", "issue_plan", data=_plan(["road_excavation"], "58000.00")),
                Step("", "confirm_plan", by="applicant"),
                Step(
                    "",
                    "approve",
                    by="permit",
                    permit_type="road_excavation",
                    data={"reason": "同意按方案开挖，注意夜间施工降噪。"},
                ),
            ),
        ),
    ),
    DemoCase(
        "2026-442000-47-01-900006",
        "坦洲物流仓储中心",
        "tanzhou",
        "demo-xiaolan-jingmi",
        "cable TV and broadband connected (fast track)",
        {"cable_tv": DETAILS["cable_tv"], "network": BROADBAND},
        tuple(
            Step(utility, action)
            for utility in ("cable_tv", "network")
            for action in ("accept", "start_construction", "connect")
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
                Step("", "issue_plan", data=_plan([], "21000.00")),
                Step("", "confirm_plan", by="applicant"),
                Step("", "complete_construction"),
                Step("", "connect", data={"inspection_result": "竣工验收合格，水表已安装。"}),
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


def _perform(step: Step, combined: CombinedApplication, users: dict[str, User]) -> None:
    sa = combined.services.filter(utility=step.utility).order_by("pk").first()
    actor = _actor_for(step, sa, users)
    if step.permit_type:
        permit_request_decide(
            actor=actor,
            permit_request=sa.permits.get(permit_type=step.permit_type, status="pending"),
            decision=step.action,
            data=step.data,
        )
    else:
        service_application_transition(
            actor=actor, service_application=sa, transition=step.action, data=step.data
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
    combined = combined_application_submit(
        actor=actor, applicant=owner, project=project, data=_submission(case, actor, owner)
    )
    for step in case.steps:
        _perform(step, combined, users)
    return combined


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
    """Pushed by 市自然资源局 with its land and planning documents (免证办)."""
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


@dataclass(frozen=True)
class DemoResult:
    password: str
    users: dict[str, User]
    cases: list[CaseResult]
    shared_project: Project


def build_demo(*, password: str) -> DemoResult:
    """Reference data, demo companies and users, then every demo case not yet present."""
    load_reference_data()
    ensure_companies()
    users = ensure_users(password)
    cases = build_cases(users)
    shared = build_shared_project(users)
    # The indicators pages read a rollup beat rebuilds every few minutes: have it now
    # (PostgreSQL only: on the embedded SQLite database the pages say they need it).
    if indicators_available():
        kpi_rollup_refresh()
    return DemoResult(password, users, cases, shared)
