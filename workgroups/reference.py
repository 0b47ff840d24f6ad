"""Reference data from the policy (中山市 2024-05-29, sections 三 and 四) and DOMAIN defaults.

`load_reference_data()` is idempotent: it upserts by natural keys, so running it twice leaves
the same rows. Staff may edit SLAs, coverage and tiers afterwards; a re-run restores defaults
only for the rows it owns (it never deletes what staff added).
"""

from dataclasses import dataclass

from django.db import transaction

from .constants import NetworkCarrier as C
from .constants import OrganizationKind as K
from .constants import PermitType, SlaVariant, Stage, Utility, WorkgroupRole
from .models import (
    EscalationTier,
    OperatorCoverage,
    Organization,
    PermitAuthority,
    SlaPolicy,
    Town,
    Workgroup,
    WorkgroupMembership,
)
from .services import calendar_package_seed, organization_upsert


@dataclass(frozen=True)
class Org:
    code: str
    name_zh: str
    name_en: str
    kind: str
    provides_data: bool = False
    carrier: str = ""
    keeps_company_registry: bool = False


AGENCIES = [
    Org("ndrc", "中山市发展改革局", "Zhongshan Development and Reform Bureau", K.AGENCY, True),
    Org("water-bureau", "中山市水务局", "Zhongshan Water Affairs Bureau", K.AGENCY),
    Org(
        "housing",
        "中山市住房和城乡建设局",
        "Zhongshan Housing and Urban-Rural Development Bureau",
        K.AGENCY,
        True,
    ),
    Org(
        "comms-office",
        "中山市通信建设管理办公室",
        "Zhongshan Communications Construction Administration Office",
        K.AGENCY,
    ),
    Org(
        "miit",
        "中山市工业和信息化局",
        "Zhongshan Industry and Information Technology Bureau",
        K.AGENCY,
    ),
    Org("public-security", "中山市公安局", "Zhongshan Public Security Bureau", K.AGENCY, True),
    Org(
        "natural-resources",
        "中山市自然资源局",
        "Zhongshan Natural Resources Bureau",
        K.AGENCY,
        True,
    ),
    Org("transport", "中山市交通运输局", "Zhongshan Transport Bureau", K.AGENCY),
    Org(
        "data-bureau",
        "中山市政务服务和数据管理局",
        "Zhongshan Government Services and Data Management Bureau",
        K.AGENCY,
        True,
    ),
    Org(
        "urban-management",
        "中山市城管执法局",
        "Zhongshan Urban Management and Law Enforcement Bureau",
        K.AGENCY,
        True,
    ),
    # The company registry: its data verifies applicant companies (workgroups/identity.py).
    Org(
        "market-regulation",
        "中山市市场监督管理局",
        "Zhongshan Administration for Market Regulation",
        K.AGENCY,
        True,
        keeps_company_registry=True,
    ),
    Org(
        "culture-tourism",
        "中山市文化广电旅游局",
        "Zhongshan Culture, Radio, Television and Tourism Bureau",
        K.AGENCY,
    ),
    Org(
        "investment",
        "中山市投资促进局",
        "Zhongshan Investment Promotion Bureau",
        K.DATA_PROVIDER,
        True,
    ),
]

LEADERSHIP = [
    Org(
        "leadership-office",
        "中山市优化营商环境改革工作领导小组办公室",
        "Office of the Zhongshan Leading Group for Business Environment Reform",
        K.LEADERSHIP_OFFICE,
    ),
    Org(
        "leading-group",
        "中山市优化营商环境改革工作领导小组",
        "Zhongshan Leading Group for Business Environment Reform",
        K.LEADING_GROUP,
    ),
]

OPERATORS = [
    Org(
        "csg-zhongshan",
        "中山供电局",
        "Zhongshan Power Supply Bureau (China Southern Power Grid)",
        K.OPERATOR,
    ),
    Org(
        "zs-water",
        "中山公用水务投资有限公司",
        "Zhongshan Public Water Investment Co., Ltd.",
        K.OPERATOR,
    ),
    Org("towngas-zs", "中山港华燃气有限公司", "Zhongshan Towngas Co., Ltd.", K.OPERATOR),
    Org("crgas-zs", "华润燃气有限公司", "China Resources Gas Co., Ltd. (Zhongshan)", K.OPERATOR),
    Org(
        "telecom-zs",
        "中国电信中山分公司",
        "China Telecom Zhongshan Branch",
        K.OPERATOR,
        carrier=C.TELECOM,
    ),
    Org(
        "tower-zs",
        "中国铁塔股份有限公司中山市分公司",
        "China Tower Corporation Zhongshan Branch",
        K.OPERATOR,
        carrier=C.TOWER,
    ),
    Org(
        "mobile-zs",
        "广东移动通信中山分公司",
        "China Mobile Guangdong Zhongshan Branch",
        K.OPERATOR,
        carrier=C.MOBILE,
    ),
    Org(
        "unicom-zs",
        "中国联通中山市分公司",
        "China Unicom Zhongshan Branch",
        K.OPERATOR,
        carrier=C.UNICOM,
    ),
    Org(
        "gcable-zs",
        "广东省广播电视网络股份有限公司中山分公司",
        "Guangdong Cable TV Network Co., Ltd. Zhongshan Branch",
        K.OPERATOR,
    ),
]

AREA_COMMITTEES = [
    Org(
        "torch-zone",
        "火炬开发区管委会",
        "Torch Development Zone Administrative Committee",
        K.AREA,
    ),
    Org("cuiheng", "翠亨新区管委会", "Cuiheng New Area Administrative Committee", K.AREA),
]

# (code, Chinese, English, governing organisation code or None for the town's own government)
TOWNS = [
    ("shiqi", "石岐街道", "Shiqi Sub-district", None),
    ("dongqu", "东区街道", "Dongqu Sub-district", None),
    ("xiqu", "西区街道", "Xiqu Sub-district", None),
    ("nanqu", "南区街道", "Nanqu Sub-district", None),
    ("wuguishan", "五桂山街道", "Wuguishan Sub-district", None),
    ("zhongshangang", "中山港街道", "Zhongshangang Sub-district", "torch-zone"),
    ("nanlang", "南朗街道", "Nanlang Sub-district", "cuiheng"),
    ("minzhong", "民众街道", "Minzhong Sub-district", "cuiheng"),
    ("xiaolan", "小榄镇", "Xiaolan Town", None),
    ("guzhen", "古镇镇", "Guzhen Town", None),
    ("dongfeng", "东凤镇", "Dongfeng Town", None),
    ("nantou", "南头镇", "Nantou Town", None),
    ("huangpu", "黄圃镇", "Huangpu Town", None),
    ("fusha", "阜沙镇", "Fusha Town", None),
    ("sanjiao", "三角镇", "Sanjiao Town", None),
    ("gangkou", "港口镇", "Gangkou Town", None),
    ("henglan", "横栏镇", "Henglan Town", None),
    ("banfu", "板芙镇", "Banfu Town", None),
    ("shenwan", "神湾镇", "Shenwan Town", None),
    ("tanzhou", "坦洲镇", "Tanzhou Town", None),
    ("sanxiang", "三乡镇", "Sanxiang Town", None),
    ("dayong", "大涌镇", "Dayong Town", None),
    ("shaxi", "沙溪镇", "Shaxi Town", None),
]

# Gas is a franchise by area (DOMAIN): a starting split that staff edit in the staff site.
GAS_FRANCHISE = {
    "crgas-zs": [
        "xiaolan",
        "guzhen",
        "dongfeng",
        "nantou",
        "huangpu",
        "fusha",
        "sanjiao",
        "henglan",
        "minzhong",
    ],
}
GAS_DEFAULT_OPERATOR = "towngas-zs"

# workgroup code -> (Chinese, English, lead codes, operator codes and the utility they serve)
WORKGROUPS = {
    Utility.ELECTRICITY: (
        "获得电力联动协调小组",
        "Getting Electricity",
        ["ndrc"],
        ["csg-zhongshan"],
    ),
    Utility.WATER: ("获得用水联动协调小组", "Getting Water", ["water-bureau"], ["zs-water"]),
    Utility.GAS: ("获得燃气联动协调小组", "Getting Gas", ["housing"], ["towngas-zs", "crgas-zs"]),
    Utility.NETWORK: (
        "获得网络联动协调小组",
        "Getting Network",
        ["comms-office", "miit"],
        ["telecom-zs", "tower-zs", "mobile-zs", "unicom-zs"],
    ),
    Utility.CABLE_TV: ("有线电视联动协调小组", "Cable TV", ["culture-tourism"], ["gcable-zs"]),
}

# Default SLAs in working days (DOMAIN "Stages and default SLAs").
DEFAULT_SLAS: dict[tuple[str, str], int] = {
    (Stage.SUBMITTED, SlaVariant.STANDARD): 1,
    (Stage.ACCEPTED, SlaVariant.STANDARD): 3,
    (Stage.SURVEYING, SlaVariant.STANDARD): 10,
    (Stage.PERMITTING, SlaVariant.STANDARD): 5,
    (Stage.CONSTRUCTING, SlaVariant.STANDARD): 15,
    (Stage.INSPECTING, SlaVariant.STANDARD): 5,
}
ELECTRICITY_EXTRA_SLAS: dict[tuple[str, str], int] = {
    (Stage.SURVEYING, SlaVariant.LOW_VOLTAGE): 3,
    (Stage.SURVEYING, SlaVariant.DUAL_SOURCE): 30,
}

PERMIT_AUTHORITIES = {
    PermitType.PLANNING: "natural-resources",
    PermitType.ROAD_EXCAVATION: "urban-management",
    PermitType.ROAD_OCCUPATION: "public-security",
    PermitType.HIGHWAY: "transport",
    PermitType.GREENING: "urban-management",
}
PERMIT_WORKING_DAYS = 5

ESCALATION_TIERS = [
    (1, "专项联动协调工作小组牵头单位", "Workgroup lead agency", None, 2),
    (2, "市优化营商环境改革工作领导小组办公室", "Leadership office", "leadership-office", 3),
    (3, "市优化营商环境改革工作领导小组", "Leading group", "leading-group", 5),
]


def _town_government(code: str, name_zh: str, name_en: str) -> Org:
    if name_zh.endswith("街道"):
        return Org(f"{code}-office", f"{name_zh}办事处", f"{name_en} Office", K.AREA)
    return Org(f"{code}-gov", f"{name_zh}人民政府", f"{name_en} People's Government", K.AREA)


@transaction.atomic
def load_reference_data() -> dict[str, int]:
    """Upsert every organisation, town, workgroup, coverage, SLA, permit authority and tier."""
    orgs: dict[str, Organization] = {}
    for spec in AGENCIES + LEADERSHIP + OPERATORS + AREA_COMMITTEES:
        orgs[spec.code] = organization_upsert(**spec.__dict__)

    towns: dict[str, Town] = {}
    for code, name_zh, name_en, governor in TOWNS:
        if governor is None:
            spec = _town_government(code, name_zh, name_en)
            orgs[spec.code] = organization_upsert(**spec.__dict__)
            governor = spec.code
        towns[code], _ = Town.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "governing_organization": orgs[governor],
            },
        )

    operator_codes = {spec.code for spec in OPERATORS}
    member_codes = [
        code
        for code, org in orgs.items()
        if org.kind in (K.AGENCY, K.AREA) and code not in operator_codes
    ]
    for utility, (name_zh, name_en, leads, operators) in WORKGROUPS.items():
        workgroup, _ = Workgroup.objects.update_or_create(
            code=utility, defaults={"name_zh": name_zh, "name_en": name_en}
        )
        roles = {code: WorkgroupRole.MEMBER for code in member_codes}
        roles.update({code: WorkgroupRole.OPERATOR for code in operators})
        roles.update({code: WorkgroupRole.LEAD for code in leads})
        for code, role in roles.items():
            WorkgroupMembership.objects.update_or_create(
                workgroup=workgroup, organization=orgs[code], defaults={"role": role}
            )
        slas = dict(DEFAULT_SLAS)
        if utility == Utility.ELECTRICITY:
            slas.update(ELECTRICITY_EXTRA_SLAS)
        for (stage, variant), days in slas.items():
            SlaPolicy.objects.get_or_create(
                workgroup=workgroup,
                stage=stage,
                variant=variant,
                defaults={"working_days": days},
            )
        if utility == Utility.GAS:
            _load_gas_franchise(orgs, towns)
        else:
            for code in operators:
                OperatorCoverage.objects.get_or_create(
                    operator=orgs[code], utility=utility, town=None
                )

    for permit_type, agency_code in PERMIT_AUTHORITIES.items():
        PermitAuthority.objects.update_or_create(
            permit_type=permit_type,
            defaults={"agency": orgs[agency_code]},
            create_defaults={"agency": orgs[agency_code], "working_days": PERMIT_WORKING_DAYS},
        )

    calendar_package_seed()

    for level, name_zh, name_en, org_code, climb in ESCALATION_TIERS:
        EscalationTier.objects.update_or_create(
            level=level,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "organization": orgs[org_code] if org_code else None,
            },
            create_defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "organization": orgs[org_code] if org_code else None,
                "climb_after_working_days": climb,
            },
        )

    return {
        "organizations": Organization.objects.count(),
        "towns": Town.objects.count(),
        "workgroups": Workgroup.objects.count(),
        "workgroup_memberships": WorkgroupMembership.objects.count(),
        "operator_coverage": OperatorCoverage.objects.count(),
        "sla_policies": SlaPolicy.objects.count(),
        "permit_authorities": PermitAuthority.objects.count(),
        "escalation_tiers": EscalationTier.objects.count(),
    }


def _load_gas_franchise(orgs: dict[str, Organization], towns: dict[str, Town]) -> None:
    """Each town gets exactly one gas operator; only towns without one are assigned."""
    assigned = set(
        OperatorCoverage.objects.filter(utility=Utility.GAS, town__isnull=False).values_list(
            "town__code", flat=True
        )
    )
    franchise = {town: op for op, town_list in GAS_FRANCHISE.items() for town in town_list}
    for code, town in towns.items():
        if code in assigned:
            continue
        operator = orgs[franchise.get(code, GAS_DEFAULT_OPERATOR)]
        OperatorCoverage.objects.create(operator=operator, utility=Utility.GAS, town=town)
