"""`POST /api/v1/companies/`: the company registry (市场监督管理局) states who holds a credit
code, and verifies the applicant company registered with it, before or after it registers."""

import pytest
from django.core.exceptions import ValidationError

from workgroups.api_tokens import api_token_create
from workgroups.constants import VerificationStatus, VerifiedVia
from workgroups.models import (
    CompanyIdentity,
    CompanyIdentityEvent,
    CompanyRegistryRecord,
    Organization,
)
from workgroups.registration import applicant_company_register

CODE = "91442000MA55C8R185"
NAME = "中山市翠亨智造科技有限公司（南朗分公司）"


@pytest.fixture
def registry_api(make_token, bearer):
    return bearer(make_token("market-regulation", ["companies:write"]))


def _register(name=NAME, code=CODE, mobile="13800138011"):
    user = applicant_company_register(
        company_name=name,
        unified_social_credit_code=code,
        contact_name="王立新",
        mobile=mobile,
        email=f"{mobile}@example.cn",
        password="Zs-portal-2026",
    )
    return user.memberships.get().organization


def _push(api, **overrides):
    body = {"credit_code": CODE, "name": NAME, "legal_representative": "王建华"}
    body.update(overrides)
    return api.post("/api/v1/companies/", body, format="json")


def test_a_registry_push_verifies_the_registered_company_whose_name_matches(registry_api):
    company = _register()
    assert company.identity.status == VerificationStatus.UNVERIFIED
    # Spaces and full-width forms are not differences: the registry writes （） and spaces.
    response = _push(
        registry_api, name=" 中山市翠亨智造科技有限公司 (南朗分公司)", credit_code=CODE.lower()
    )
    assert response.status_code == 201, response.json()
    assert response.json()["portal_company"] == "verified"
    assert response.json()["credit_code"] == CODE
    identity = CompanyIdentity.objects.get(organization=company)
    assert identity.status == VerificationStatus.VERIFIED
    assert identity.verified_via == VerifiedVia.REGISTRY
    record = identity.registry_record
    assert (record.legal_representative, record.pushed_by_organization.code) == (
        "王建华",
        "market-regulation",
    )
    assert record.pushed_by.username.startswith("api@market-regulation") and record.pushed_at
    assert identity.verified_by == record.pushed_by
    event = CompanyIdentityEvent.objects.get(identity=identity, name="verify_by_registry")
    assert (event.from_state, event.to_state) == ("unverified", "verified")

    again = _push(registry_api, legal_representative="王建国")
    assert again.status_code == 200 and again.json()["portal_company"] == "already_verified"
    assert CompanyRegistryRecord.objects.get().legal_representative == "王建国"


def test_data_pushed_before_the_company_registers_verifies_it_when_it_does(registry_api):
    response = _push(registry_api)
    assert response.status_code == 201
    assert response.json()["portal_company"] == "not_registered"
    company = _register(name="中山市翠亨智造科技有限公司(南朗分公司)")
    assert company.identity.status == VerificationStatus.VERIFIED
    assert company.identity.registry_record.name == NAME
    assert CompanyIdentityEvent.objects.get(identity=company.identity).name == "match_registry"


def test_another_name_leaves_the_company_unverified(registry_api):
    _push(registry_api, name="中山市另一家五金制品有限公司")
    company = _register()
    assert company.identity.status == VerificationStatus.UNVERIFIED
    response = _push(registry_api, name="中山市另一家五金制品有限公司")
    assert response.json()["portal_company"] == "name_differs"
    company.identity.refresh_from_db()
    assert company.identity.status == VerificationStatus.UNVERIFIED


def test_only_the_company_registry_pushes_company_data(make_token, bearer, token_admin, clients):
    investment = Organization.objects.get(code="investment")
    with pytest.raises(ValidationError):
        api_token_create(
            actor=token_admin, organization=investment, name="x", scopes=["companies:write"]
        )
    for role in ("provider", "other_provider", "operator", "applicant"):
        assert _push(clients[role]).status_code == 403, role
    assert _push(clients["anonymous"]).status_code == 401
    assert not CompanyRegistryRecord.objects.exists()


def test_every_invalid_field_is_named(registry_api):
    response = _push(
        registry_api, credit_code="91442000MA55C8R18X", name="", legal_representative=""
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"credit_code", "name", "legal_representative"}
    assert not CompanyRegistryRecord.objects.exists()
