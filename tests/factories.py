"""factory_boy factories; reference data (workgroups, operators, towns) comes from the real
`load_reference_data`, so tests run against the organisations of the policy."""

from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.constants import BusinessType, ProjectKind, WorksType
from applications.models import Project
from applications.registry import DOCUMENT_RULES, documents_required
from applications.services import SubmissionInput, document_store
from workgroups.constants import OrganizationKind
from workgroups.identity import company_identity_start, company_registry_push
from workgroups.models import Organization, Town, User
from workgroups.services import membership_add, organization_upsert
from workgroups.validators import make_uscc

PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.django.Password("pass-1234")


def company(code: str = "acme", name: str = "中山示例科技有限公司") -> Organization:
    return organization_upsert(
        code=code,
        name_zh=name,
        name_en=code.title(),
        kind=OrganizationKind.APPLICANT_COMPANY,
    )


def credit_code_for(organization: Organization) -> str:
    """A valid 统一社会信用代码 of Zhongshan, distinct per organisation."""
    return make_uscc(division="442000", org_code_body=f"MA{organization.pk % 10**6:06d}")


def registry_clerk() -> User:
    """A staff member of the company registry (市场监督管理局)."""
    registry = Organization.objects.get(code="market-regulation")
    user = User.objects.filter(username="registry-clerk").first()
    if user is None:
        user = member_of(registry, username="registry-clerk")
    return user


def verify(organization: Organization, *, legal_representative: str = "张伟") -> Organization:
    """Give the company a credit code (if it has none) and verify it the real way: the
    registry pushes data naming it."""
    if not organization.unified_social_credit_code:
        organization.unified_social_credit_code = credit_code_for(organization)
        organization.save(update_fields=["unified_social_credit_code"])
    uscc = organization.unified_social_credit_code
    company_identity_start(organization=organization, credit_code=uscc)
    company_registry_push(
        actor=registry_clerk(),
        organization=Organization.objects.get(code="market-regulation"),
        credit_code=uscc,
        name=organization.name_zh,
        legal_representative=legal_representative,
    )
    organization.refresh_from_db()
    return organization


def member_of(organization: Organization, **kwargs) -> User:
    user = UserFactory(**kwargs)
    membership_add(user=user, organization=organization)
    return user


def staff_of(code: str, **kwargs) -> User:
    """A staff user of a reference organisation (operator, agency) by its code."""
    return member_of(Organization.objects.get(code=code), **kwargs)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"2026-442000-48-01-{n:06d}")
    name = factory.Sequence(lambda n: f"翠亨新区科创园{n}期")
    kind = ProjectKind.NEW
    works_type = WorksType.BUILDING
    address = "中山市翠亨新区和清路1号"
    town = factory.LazyFunction(lambda: Town.objects.get(code="nanlang"))
    floor_area_m2 = Decimal("12000.50")


DETAILS = {
    "electricity": {
        "category": "commercial_industrial",
        "capacity_kva": "630",
        "voltage_level": "10kv",
        "supply_mode": "single",
    },
    "water": {"purpose": "non_residential", "pipe_diameter_mm": "100", "daily_max_m3": "80"},
    "gas": {
        "use_type": "commercial",
        "appliances": "中餐灶 x4, 热水炉 x1",
        "appliance_count": "5",
        "peak_m3_per_hour": "45",
    },
    "network": {
        "service_type": "dedicated_line",
        "bandwidth_mbps": "1000",
        "access_points": "4",
        "preferred_carriers": ["telecom"],
    },
    "cable_tv": {"service_type": "tv", "terminals": "20"},
}


def upload(user: User, owner: Organization, doc_type: str, content: bytes = PDF_BYTES):
    payload = content + doc_type.encode()  # distinct content per type
    return document_store(
        actor=user,
        owner=owner,
        doc_type=doc_type,
        upload=SimpleUploadedFile(f"{doc_type}.pdf", payload, "application/pdf"),
    )


def submission(
    user: User,
    owner: Organization,
    utilities: list[str],
    *,
    commit_where_allowed: bool = False,
    **overrides,
) -> SubmissionInput:
    """A complete, valid submission: every required document uploaded once (or committed)."""
    documents, commitments = {}, {}
    for doc_type in documents_required(utilities):
        if commit_where_allowed and DOCUMENT_RULES[doc_type].commitment_allowed:
            commitments[doc_type] = "本单位承诺所提交信息真实有效,并在施工前补交该材料。"
        else:
            documents[doc_type] = upload(user, owner, doc_type)
    fields = {
        "business_type": BusinessType.NEW_CONNECTION,
        "utilities": {u: dict(DETAILS[u]) for u in utilities},
        "documents": documents,
        "commitments": commitments,
    }
    fields.update(overrides)
    return SubmissionInput(**fields)


def make_service(
    *,
    applicant_org: Organization,
    applicant: User,
    project: Project,
    utility: str = "electricity",
    operator_code: str = "csg-zhongshan",
    status: str = "submitted",
    **fields,
):
    """A service application put straight into `status` (test set-up only: real cases get
    there through the services), with the permissions a real submission grants."""
    from django.utils import timezone

    from applications.models import CombinedApplication, ServiceApplication
    from applications.permissions import grant_submission
    from workgroups.models import Workgroup

    now = timezone.now()
    combined = CombinedApplication.objects.create(
        project=project,
        applicant=applicant_org,
        business_type=BusinessType.NEW_CONNECTION,
        submitted_by=applicant,
        submitted_at=now,
    )
    defaults = {
        "details": DETAILS[utility],
        "submitted_at": now,
        "stage_entered_at": now,
    }
    defaults.update(fields)
    sa = ServiceApplication.objects.create(
        combined=combined,
        utility=utility,
        workgroup=Workgroup.objects.get(code=utility),
        operator=Organization.objects.get(code=operator_code),
        status=status,
        **defaults,
    )
    grant_submission(combined, [sa])
    return sa
