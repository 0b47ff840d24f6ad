"""Demo organisations and people: two applicant companies and one login for every role."""

import os
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password

from workgroups.constants import MemberRole, OrganizationKind, Role
from workgroups.identity import company_identity_start, company_registry_push
from workgroups.models import Organization, User
from workgroups.services import membership_add, organization_upsert
from workgroups.validators import make_uscc

DEFAULT_DEMO_PASSWORD = "zhongshan-demo-2026"  # noqa: S105 - a published demo password
EMAIL_DOMAIN = "demo.zs-portal.example"


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


ZHONGSHAN_DIVISION = "442000"


@dataclass(frozen=True)
class DemoCompany:
    code: str
    name_zh: str
    name_en: str
    org_code_body: str
    legal_representative: str

    @property
    def uscc(self) -> str:
        return make_uscc(division=ZHONGSHAN_DIVISION, org_code_body=self.org_code_body)


COMPANIES = (
    DemoCompany(
        "demo-cuiheng-zhizao",
        "中山市翠亨智造科技有限公司",
        "Zhongshan Cuiheng Smart Manufacturing Technology Co., Ltd.",
        "MA55C8R1",
        "王建华",
    ),
    DemoCompany(
        "demo-xiaolan-jingmi",
        "中山市小榄精密五金制品有限公司",
        "Zhongshan Xiaolan Precision Hardware Co., Ltd.",
        "MA4W2T7K",
        "陈志强",
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
    # A manager of the organisation (Membership role): manages its API tokens on the staff
    # site (docs/api.md, section 1).
    manager: bool = False


DEMO_USERS = (
    DemoUser("admin", "系统管理员", "", is_superuser=True),
    DemoUser("applicant", "王立新", Role.APPLICANT, "demo-cuiheng-zhizao", is_staff=False),
    DemoUser("applicant2", "陈嘉怡", Role.APPLICANT, "demo-xiaolan-jingmi", is_staff=False),
    DemoUser("op-power", "李国强", Role.OPERATOR, "csg-zhongshan", manager=True),
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
    DemoUser("permit-um", "高峰", Role.PERMIT_AGENCY, "urban-management", manager=True),
    DemoUser("permit-police", "罗军", Role.PERMIT_AGENCY, "public-security"),
    DemoUser("leadership", "谢文华", Role.LEADERSHIP_OFFICE, "leadership-office"),
    # A development zone: reads the cases in Nanlang and Minzhong, answers demands there.
    DemoUser("town-cuiheng", "邓雅琪", Role.AREA, "cuiheng"),
    DemoUser("registry-amr", "冯晓东", Role.COMPANY_REGISTRY, "market-regulation"),
    DemoUser(
        "data-investment", "曾晓", Role.DATA_PROVIDER, "investment", is_staff=False, manager=True
    ),
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


def verify_companies(companies: dict[str, Organization], registry_clerk: User) -> None:
    """The demo companies are verified the way a real one is: the market regulator's registry
    data for their credit codes names them (pushed once; a re-run changes nothing)."""
    registry = Organization.objects.get(code="market-regulation")
    for spec in COMPANIES:
        identity = company_identity_start(organization=companies[spec.code], credit_code=spec.uscc)
        if identity.is_verified:
            continue
        company_registry_push(
            actor=registry_clerk,
            organization=registry,
            credit_code=spec.uscc,
            name=spec.name_zh,
            legal_representative=spec.legal_representative,
        )


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
        membership_add(
            user=user,
            organization=Organization.objects.get(code=spec.organization),
            role=MemberRole.MANAGER if spec.manager else MemberRole.STAFF,
        )
    return user


def ensure_users(password: str) -> dict[str, User]:
    passwords = DemoPasswords(password)
    return {spec.username: ensure_user(spec, passwords) for spec in DEMO_USERS}
