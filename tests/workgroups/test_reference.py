"""Reference data matches the policy and loads idempotently."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from workgroups.constants import Carrier, NetworkCarrier, OrganizationKind, WorkgroupRole
from workgroups.models import (
    EscalationTier,
    OperatorCoverage,
    Organization,
    SlaPolicy,
    Town,
    Workgroup,
    WorkgroupMembership,
)
from workgroups.reference import load_reference_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _world(reference):
    """These tests read the reference data the session loaded; a test that flushed the
    database earlier in the same worker (a live server) leaves it to be loaded again."""


# Member units named in the policy, section 三 (with the 中山 prefix of their full names).
POLICY_MEMBERS = [
    "火炬开发区管委会",
    "翠亨新区管委会",
    "中山市发展改革局",
    "中山市水务局",
    "中山市住房和城乡建设局",
    "中山市通信建设管理办公室",
    "中山市公安局",
    "中山市自然资源局",
    "中山市交通运输局",
    "中山市政务服务和数据管理局",
    "中山市城管执法局",
    "中山市工业和信息化局",
    "中山市市场监督管理局",
    "中山市文化广电旅游局",
    "中山供电局",
    "中山公用水务投资有限公司",
    "中山港华燃气有限公司",
    "华润燃气有限公司",
    "中国电信中山分公司",
    "中国铁塔股份有限公司中山市分公司",
    "广东移动通信中山分公司",
    "中国联通中山市分公司",
    "广东省广播电视网络股份有限公司中山分公司",
]


def _table_snapshot():
    snapshot = {}
    for app_label in ("workgroups", "auth"):
        for model in apps.get_app_config(app_label).get_models():
            snapshot[model._meta.label] = sorted(model.objects.values_list("pk", flat=True))
    return snapshot


def test_seed_reference_twice_leaves_the_same_rows():
    first = _table_snapshot()  # the session already loaded it once
    out = io.StringIO()
    call_command("seed_reference", stdout=out)
    call_command("seed_reference", stdout=out)
    assert _table_snapshot() == first
    assert "workgroups: 5" in out.getvalue()


def test_every_member_unit_of_the_policy_exists():
    names = set(Organization.objects.values_list("name_zh", flat=True))
    assert set(POLICY_MEMBERS) <= names
    assert all(org.name_en for org in Organization.objects.all())


def _by_role(code, role):
    return set(
        WorkgroupMembership.objects.filter(workgroup__code=code, role=role).values_list(
            "organization__name_zh", flat=True
        )
    )


@pytest.mark.parametrize(
    ("code", "leads", "operators"),
    [
        ("electricity", {"中山市发展改革局"}, {"中山供电局"}),
        ("water", {"中山市水务局"}, {"中山公用水务投资有限公司"}),
        ("gas", {"中山市住房和城乡建设局"}, {"中山港华燃气有限公司", "华润燃气有限公司"}),
        (
            "network",
            {"中山市通信建设管理办公室", "中山市工业和信息化局"},
            {
                "中国电信中山分公司",
                "中国铁塔股份有限公司中山市分公司",
                "广东移动通信中山分公司",
                "中国联通中山市分公司",
            },
        ),
        ("cable_tv", {"中山市文化广电旅游局"}, {"广东省广播电视网络股份有限公司中山分公司"}),
    ],
)
def test_workgroup_leads_and_operators_follow_the_policy(code, leads, operators):
    assert _by_role(code, WorkgroupRole.LEAD) == leads
    assert _by_role(code, WorkgroupRole.OPERATOR) == operators
    members = _by_role(code, WorkgroupRole.MEMBER)
    assert {"中山市公安局", "中山市自然资源局", "火炬开发区管委会"} <= members


def test_there_are_exactly_five_workgroups():
    assert sorted(Workgroup.objects.values_list("code", flat=True)) == sorted(
        ["electricity", "water", "gas", "network", "cable_tv"]
    )


def test_escalation_climbs_from_the_lead_agency_to_the_office_to_the_leading_group():
    tiers = list(EscalationTier.objects.order_by("level"))
    assert [t.level for t in tiers] == [1, 2, 3]
    assert tiers[0].organization is None  # the case's own lead agencies
    assert tiers[1].organization.kind == OrganizationKind.LEADERSHIP_OFFICE
    assert tiers[1].organization.name_zh == "中山市优化营商环境改革工作领导小组办公室"
    assert tiers[2].organization.kind == OrganizationKind.LEADING_GROUP


def test_every_town_has_exactly_one_gas_operator():
    towns = Town.objects.count()
    assert towns >= 23
    gas = OperatorCoverage.objects.filter(utility="gas")
    assert gas.filter(town__isnull=True).count() == 0
    assert gas.values("town").distinct().count() == towns == gas.count()


def test_default_slas_follow_the_domain_reference():
    electricity = {
        (p.stage, p.variant): p.working_days
        for p in SlaPolicy.objects.filter(workgroup__code="electricity")
    }
    assert electricity[("submitted", "")] == 1
    assert electricity[("surveying", "")] == 10
    assert electricity[("surveying", "low_voltage")] == 3
    assert electricity[("surveying", "dual_source")] == 30
    assert electricity[("constructing", "")] == 15


def test_staff_edits_to_slas_survive_a_reload():
    SlaPolicy.objects.filter(workgroup__code="water", stage="submitted").update(working_days=2)
    load_reference_data()
    assert SlaPolicy.objects.get(workgroup__code="water", stage="submitted").working_days == 2


def test_every_organisation_acts_through_its_own_group():
    groups = list(Organization.objects.values_list("group__name", "code"))
    assert all(name == f"org:{code}" for name, code in groups)


def test_the_network_operators_say_which_carrier_they_are():
    carriers = dict(Organization.objects.exclude(carrier="").values_list("code", "carrier"))
    assert carriers == {
        "telecom-zs": NetworkCarrier.TELECOM,
        "mobile-zs": NetworkCarrier.MOBILE,
        "unicom-zs": NetworkCarrier.UNICOM,
        "tower-zs": NetworkCarrier.TOWER,
    }


def test_every_carrier_an_applicant_may_prefer_is_a_carrier_an_operator_can_be():
    assert set(Carrier.values) < set(NetworkCarrier.values)
