"""API tokens on the staff site: an organisation's managers create, list, rotate and revoke its
tokens (the secret shown once), every change is audited; a colleague who is not a manager and
a manager of another organisation are refused."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.error_summary import assert_error_summary
from tests.factories import staff_of
from workgroups.constants import ApiTokenAction, ApiTokenChannel, MemberRole
from workgroups.models import ApiToken, ApiTokenEvent, Organization
from workgroups.services import membership_add

LIST = reverse("staff:api_tokens")
SECRET = re.compile(r'value="(zsp_[A-Za-z0-9_-]{43})"')


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Tokens resolved by these tests are cached in a cache of their own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "staff-token-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


def manager_of(code: str, username: str):
    user = staff_of(code, username=username)
    membership_add(
        user=user, organization=Organization.objects.get(code=code), role=MemberRole.MANAGER
    )
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_status(plaintext: str) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return api.get("/api/v1/work-items/").status_code


def create(client: Client, **data) -> tuple[object, str | None]:
    fields = {"name": "调度系统", "scopes": ["work_items:read", "work_items:write"], **data}
    response = client.post(LIST, fields)
    found = SECRET.search(response.content.decode())
    return response, found.group(1) if found else None


@pytest.fixture
def power_manager(reference):
    return manager_of("csg-zhongshan", "power-manager")


def test_a_manager_creates_a_token_and_sees_its_secret_once(power_manager):
    client = signed_in(power_manager)
    page = client.get(LIST)
    assert page.status_code == 200
    # Only the scopes the organisation's role opens are offered.
    offered = set(re.findall(r'name="scopes" value="([a-z_:]+)"', page.content.decode()))
    assert offered == {
        "work_items:read",
        "work_items:write",
        "demand_notices:read",
        "demand_notices:write",
        "webhooks:write",
    }

    response, plaintext = create(client, expires_in_days="30")
    assert response.status_code == 200
    assert plaintext is not None
    assert "no-store" in response["Cache-Control"]
    assert api_status(plaintext) == 200
    token = ApiToken.objects.get(prefix=plaintext[:12])
    assert token.organization.code == "csg-zhongshan"
    assert token.scopes == ["work_items:read", "work_items:write"]
    assert token.expires_at is not None and token.created_by == power_manager

    listing = client.get(LIST).content.decode()
    assert plaintext[:12] in listing and plaintext not in listing  # listed, never shown again
    event = ApiTokenEvent.objects.get(token=token)
    assert (event.action, event.actor, event.via) == (
        ApiTokenAction.CREATED,
        power_manager,
        ApiTokenChannel.STAFF_SITE,
    )


def test_a_scope_the_role_does_not_open_is_refused_on_the_form(power_manager):
    response, plaintext = create(signed_in(power_manager), scopes=["permits:write"])
    assert_error_summary(response, "permits:write 不在可用的选项中", field="id_scopes_0")
    assert plaintext is None
    assert not ApiToken.objects.exists()


def test_a_manager_rotates_a_token_the_old_one_is_refused_at_once(power_manager):
    client = signed_in(power_manager)
    _response, old_plaintext = create(client, expires_in_days="30")
    old = ApiToken.objects.get(prefix=old_plaintext[:12])
    assert api_status(old_plaintext) == 200

    response = client.post(reverse("staff:api_token_rotate", args=[old.uuid]))
    assert response.status_code == 200
    new_plaintext = SECRET.search(response.content.decode()).group(1)
    assert old.prefix in response.content.decode()  # "the previous token ... is revoked"
    assert api_status(old_plaintext) == 401
    assert api_status(new_plaintext) == 200
    new = ApiToken.objects.get(prefix=new_plaintext[:12])
    assert (new.name, new.scopes) == (old.name, old.scopes)
    assert new.expires_at is not None
    event = ApiTokenEvent.objects.get(token=new)
    assert (event.action, event.replaced, event.actor) == (
        ApiTokenAction.ROTATED,
        old,
        power_manager,
    )
    # A revoked token is not rotated again.
    again = client.post(reverse("staff:api_token_rotate", args=[old.uuid]))
    assert_error_summary(again, "该令牌已吊销，请创建新令牌。")


def test_a_manager_revokes_a_token(power_manager):
    client = signed_in(power_manager)
    _response, plaintext = create(client)
    token = ApiToken.objects.get(prefix=plaintext[:12])
    response = client.post(reverse("staff:api_token_revoke", args=[token.uuid]), follow=True)
    assert response.status_code == 200
    assert f'data-token="{token.prefix}" data-state="revoked"' in response.content.decode()
    assert api_status(plaintext) == 401
    assert ApiTokenEvent.objects.filter(
        token=token, action=ApiTokenAction.REVOKED, actor=power_manager
    ).exists()


def test_a_colleague_who_is_not_a_manager_is_refused(power_manager):
    _response, plaintext = create(signed_in(power_manager))
    token = ApiToken.objects.get(prefix=plaintext[:12])
    colleague = signed_in(staff_of("csg-zhongshan", username="power-clerk"))
    assert colleague.get(LIST).status_code == 403
    response, created = create(colleague)
    assert response.status_code == 403 and created is None
    for name in ("staff:api_token_rotate", "staff:api_token_revoke"):
        assert colleague.post(reverse(name, args=[token.uuid])).status_code == 404
    assert f'href="{LIST}"' not in colleague.get(reverse("staff:queue")).content.decode()
    assert f'href="{LIST}"' in signed_in(power_manager).get(reverse("staff:queue")).content.decode()
    assert api_status(plaintext) == 200
    assert ApiToken.objects.count() == 1


def test_a_manager_of_another_organisation_neither_sees_nor_touches_the_tokens(power_manager):
    _response, plaintext = create(signed_in(power_manager))
    token = ApiToken.objects.get(prefix=plaintext[:12])
    water = signed_in(manager_of("zs-water", "water-manager"))
    listing = water.get(LIST, {"org": "csg-zhongshan"}).content.decode()
    assert token.prefix not in listing
    for name in ("staff:api_token_rotate", "staff:api_token_revoke"):
        assert water.post(reverse(name, args=[token.uuid])).status_code == 404
    assert api_status(plaintext) == 200
    # Naming the other organisation in the form creates a token for one's own, if any.
    _response, created = create(water, org="csg-zhongshan")
    assert ApiToken.objects.get(prefix=created[:12]).organization.code == "zs-water"
    assert list(ApiToken.objects.filter(organization__code="csg-zhongshan")) == [token]


def test_a_data_providing_department_manager_uses_the_page_too(reference):
    client = signed_in(manager_of("investment", "investment-manager"))
    response, plaintext = create(client, scopes=["projects:read", "projects:write"])
    assert response.status_code == 200 and plaintext
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get("/api/v1/projects/").status_code == 200
