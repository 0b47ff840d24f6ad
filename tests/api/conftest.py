"""API fixtures: a client per role, each organisation's token made by the real service."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from applications.constants import ServiceStatus
from applications.models import PermitRequest
from applications.services import service_application_transition
from applications.services.projects import project_push
from notifications.services import demand_signal_record
from notifications.services.webhooks import webhook_endpoint_create
from tests.factories import make_service, staff_of
from workgroups.api_tokens import api_token_create, scopes_allowed
from workgroups.models import Organization, Town

# Role -> the organisation it acts for (None: no token).
ROLE_ORGS = {
    "operator": "csg-zhongshan",
    "other_operator": "zs-water",
    "agency": "natural-resources",
    "other_agency": "urban-management",
    "provider": "investment",
    "other_provider": "market-regulation",
}
# What each role's token may do (an agency that also provides data gets only its agency scopes).
OPERATOR_SCOPES = [
    "work_items:read",
    "work_items:write",
    "demand_notices:read",
    "demand_notices:write",
    "webhooks:write",
]
PROVIDER_SCOPES = [
    "projects:read",
    "projects:write",
    "demand_signals:read",
    "demand_signals:write",
]
ROLE_SCOPES = {
    "operator": OPERATOR_SCOPES,
    "other_operator": OPERATOR_SCOPES,
    "agency": ["permits:read", "permits:write"],
    "other_agency": ["permits:read", "permits:write"],
    "provider": PROVIDER_SCOPES,
    "other_provider": PROVIDER_SCOPES,
}


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Throttle counters and the cached public stats start empty in every test, in a cache
    of these tests' own (clearing a shared Redis would wipe other processes' keys)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "api-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token_admin(django_user_model, reference):
    return django_user_model.objects.create_superuser("token-admin", "admin@example.cn", "x")


@pytest.fixture
def make_token(token_admin):
    def make(code: str, scopes: list[str] | None = None, name: str = "dispatch") -> str:
        organization = Organization.objects.get(code=code)
        wanted = sorted(scopes_allowed(organization)) if scopes is None else scopes
        _token, plaintext = api_token_create(
            actor=token_admin, organization=organization, name=name, scopes=wanted
        )
        return plaintext

    return make


@pytest.fixture
def bearer():
    def client(plaintext: str | None) -> APIClient:
        api = APIClient()
        if plaintext:
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        return api

    return client


@pytest.fixture
def operator_api(make_token, bearer):
    return bearer(make_token("csg-zhongshan"))


@pytest.fixture
def clients(make_token, bearer, applicant):
    """One client per role; the applicant signs in with a browser session."""
    session = APIClient()
    session.force_login(applicant)
    town = APIClient()
    town.force_login(staff_of("cuiheng", username="api-town"))
    by_role = {"anonymous": APIClient(), "applicant": session, "town": town}
    for role, code in ROLE_ORGS.items():
        by_role[role] = bearer(make_token(code, ROLE_SCOPES[role]))
    return by_role


def permitting_item(applicant_org, applicant, project, permits=("planning",)):
    """An electricity item waiting for its outside-line permits (issued by the real path)."""
    sa = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status=ServiceStatus.PLAN_ISSUED,
        required_permits=list(permits),
    )
    return service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )


@pytest.fixture
def world(submit, applicant_org, applicant, project):
    """The objects the permission matrix reaches for, each owned by one organisation."""
    combined = submit(["electricity"])
    sa = combined.services.get()  # csg-zhongshan's, with the applicant's documents
    permitted = permitting_item(applicant_org, applicant, project)
    pushed = project_push(
        actor=staff_of("investment", username="investment-staff"),
        organization=Organization.objects.get(code="investment"),
        code="2026-442000-70-01-000001",
        town_code="xiaolan",
        name="小榄滨河商住项目",
        kind="new",
        works_type="building",
        address="中山市小榄镇滨河路8号",
        owner_credit_code="91442000MA7QX31P2X",
    )
    power = Organization.objects.get(code="csg-zhongshan")
    signal = demand_signal_record(
        source_organization=Organization.objects.get(code="investment"),
        kind="investment",
        title="小榄智能家电产业基地",
        town=Town.objects.get(code="xiaolan"),
        expected_utilities=["electricity"],
    )
    webhook, _secret = webhook_endpoint_create(
        actor=staff_of("csg-zhongshan", username="csg-staff"),
        organization=power,
        url="https://dispatch.csg.example.cn/hooks/portal",
    )
    return SimpleNamespace(
        sa=sa,
        permit=PermitRequest.objects.get(service_application=permitted),
        project=pushed,
        document=sa.document_links.order_by("doc_type").first().document,
        notice=signal.notices.get(operator=power),  # csg-zhongshan's only
        signal=signal,  # investment's
        webhook=webhook,
    )
