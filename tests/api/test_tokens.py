"""API tokens: shown once, stored hashed, scoped by the organisation's role, revocable."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import member_of, staff_of
from workgroups.api_tokens import _cache_key, api_token_create, api_token_revoke, token_digest
from workgroups.constants import MemberRole
from workgroups.models import ApiToken, Membership, Organization
from workgroups.services import membership_add


def _org(code):
    return Organization.objects.get(code=code)


def test_the_plaintext_is_shown_once_and_only_its_digest_is_kept(token_admin):
    token, plaintext = api_token_create(
        actor=token_admin,
        organization=_org("csg-zhongshan"),
        name="调度系统",
        scopes=["work_items:read"],
    )
    assert plaintext.startswith("zsp_") and len(plaintext) > 40
    assert token.prefix == plaintext[:12]
    assert token.digest == token_digest(plaintext)
    stored = ApiToken.objects.values_list(flat=False).get(pk=token.pk)
    assert plaintext not in [str(value) for value in stored]


def test_tokens_act_as_one_service_account_that_is_a_member(token_admin):
    org = _org("zs-water")
    first, _ = api_token_create(
        actor=token_admin, organization=org, name="a", scopes=["work_items:read"]
    )
    second, _ = api_token_create(
        actor=token_admin, organization=org, name="b", scopes=["work_items:read"]
    )
    assert first.user_id == second.user_id
    assert Membership.objects.filter(user=first.user, organization=org).exists()
    assert not first.user.has_usable_password()


def test_a_look_alike_user_name_is_never_adopted_as_the_service_account(token_admin):
    org = _org("zs-water")
    squatter = member_of(_org("csg-zhongshan"), username="api@zs-water")
    token, _ = api_token_create(
        actor=token_admin, organization=org, name="a", scopes=["work_items:read"]
    )
    assert token.user_id != squatter.pk
    assert not Membership.objects.filter(user=squatter, organization=org).exists()


@pytest.mark.parametrize(
    ("code", "scopes"),
    [
        ("csg-zhongshan", ["permits:write"]),  # an operator decides no permits
        ("investment", ["work_items:read"]),  # a data provider has no work
        ("natural-resources", ["bogus:scope"]),
        ("csg-zhongshan", []),
    ],
)
def test_scopes_follow_the_organisations_role(token_admin, code, scopes):
    with pytest.raises(ValidationError) as caught:
        api_token_create(actor=token_admin, organization=_org(code), name="x", scopes=scopes)
    assert "scopes" in caught.value.message_dict


def test_only_a_manager_of_the_organisation_or_an_administrator_makes_tokens(reference):
    org = _org("csg-zhongshan")
    staff = staff_of("csg-zhongshan")
    with pytest.raises(PermissionDenied):
        api_token_create(actor=staff, organization=org, name="x", scopes=["work_items:read"])
    manager = staff_of("csg-zhongshan", username="manager")
    membership_add(user=manager, organization=org, role=MemberRole.MANAGER)
    token, _ = api_token_create(
        actor=manager, organization=org, name="x", scopes=["work_items:read"]
    )
    other_manager = staff_of("zs-water", username="water-manager")
    membership_add(user=other_manager, organization=_org("zs-water"), role=MemberRole.MANAGER)
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=other_manager, token=token)


def test_a_revoked_or_expired_token_is_refused(token_admin, bearer, reference):
    org = _org("csg-zhongshan")
    token, plaintext = api_token_create(
        actor=token_admin,
        organization=org,
        name="x",
        scopes=["work_items:read"],
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    api = bearer(plaintext)
    assert api.get("/api/v1/work-items/").status_code == 200

    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        expired = api.get("/api/v1/work-items/")
    assert expired.status_code == 401

    api_token_revoke(actor=token_admin, token=token)
    revoked = api.get("/api/v1/work-items/")
    assert revoked.status_code == 401
    assert revoked.json()["type"] == "authentication_failed"
    assert revoked["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer zsp_not-a-real-token", "Bearer a b", "Basic dXNlcjpwYXNz"]
)
def test_bad_credentials_are_401_with_the_one_error_shape(reference, client, header):
    response = client.get("/api/v1/work-items/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert set(response.json()) == {"type", "title", "status", "detail", "errors", "request_id"}


@pytest.mark.parametrize("cache_seconds", [0, 60], ids=["uncached", "cached"])
def test_last_use_is_written_at_most_once_a_minute(
    make_token, bearer, django_assert_num_queries, settings, cache_seconds
):
    settings.API_TOKEN_CACHE_SECONDS = cache_seconds
    plaintext = make_token("csg-zhongshan")
    api = bearer(plaintext)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api.get("/api/v1/work-items/")
        # The page; and the token unless it is cached. No write either way.
        with django_assert_num_queries(1 if cache_seconds else 2):
            api.get("/api/v1/work-items/")
    token = ApiToken.objects.get(digest=token_digest(plaintext))
    assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        api.get("/api/v1/work-items/")
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(seconds=61)


@pytest.fixture
def cached_tokens(settings):
    """Resolved tokens kept in the (test's own) cache, as in a deployment with Redis."""
    settings.API_TOKEN_CACHE_SECONDS = 60


def test_a_cached_token_is_refused_on_the_request_after_its_revocation(
    cached_tokens, token_admin, bearer, reference, django_capture_on_commit_callbacks
):
    token, plaintext = api_token_create(
        actor=token_admin, organization=_org("csg-zhongshan"), name="x", scopes=["work_items:read"]
    )
    api = bearer(plaintext)
    assert api.get("/api/v1/work-items/").status_code == 200  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        api_token_revoke(actor=token_admin, token=token)
    assert api.get("/api/v1/work-items/").status_code == 401
    # A request that read the row before the revocation committed cannot cache it again.
    live = ApiToken.objects.select_related("organization", "user").get(pk=token.pk)
    live.revoked_at = None
    cache.add(_cache_key(token.digest), live, 60)
    assert api.get("/api/v1/work-items/").status_code == 401


def test_a_cached_token_is_refused_once_it_expires(cached_tokens, token_admin, bearer, reference):
    start = timezone.now()
    _token, plaintext = api_token_create(
        actor=token_admin,
        organization=_org("csg-zhongshan"),
        name="x",
        scopes=["work_items:read"],
        expires_at=start + dt.timedelta(seconds=30),
    )
    api = bearer(plaintext)
    with time_machine.travel(start, tick=False):
        assert api.get("/api/v1/work-items/").status_code == 200  # cached for 60 s
    with time_machine.travel(start + dt.timedelta(seconds=45), tick=False):
        assert api.get("/api/v1/work-items/").status_code == 401  # the copy is still cached


@pytest.mark.parametrize("owner", ["organization", "user"])
def test_a_cached_token_of_a_deactivated_organisation_or_account_is_refused_at_once(
    cached_tokens, token_admin, bearer, reference, owner
):
    token, plaintext = api_token_create(
        actor=token_admin, organization=_org("csg-zhongshan"), name="x", scopes=["work_items:read"]
    )
    api = bearer(plaintext)
    assert api.get("/api/v1/work-items/").status_code == 200  # now cached
    deactivated = getattr(token, owner)
    deactivated.is_active = False
    deactivated.save()
    assert api.get("/api/v1/work-items/").status_code == 401


@pytest.fixture(params=["memory", "redis"])
def throttle_cache(request, settings):
    """The counters in per-process memory (the embedded mode) or in Redis (a deployment: one
    pipelined INCR per request), under a prefix of this test's own."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.REDIS_URL,
                "KEY_PREFIX": f"test-throttle-{uuid.uuid4()}",
            }
        }
    return request.param


def test_each_token_has_its_own_rate_limit(throttle_cache, make_token, bearer, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "3/minute", "anon": "3/minute"},
    }
    busy = bearer(make_token("csg-zhongshan", name="busy"))
    calm = bearer(make_token("csg-zhongshan", name="calm"))
    window = (timezone.now() + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    with time_machine.travel(window + dt.timedelta(seconds=15), tick=False):
        statuses = [busy.get("/api/v1/work-items/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        throttled = busy.get("/api/v1/work-items/")
        assert throttled.json()["type"] == "throttled"
        assert throttled["Retry-After"] == "45"  # the rest of this minute's window
        assert calm.get("/api/v1/work-items/").status_code == 200
    with time_machine.travel(window + dt.timedelta(seconds=60), tick=False):
        assert busy.get("/api/v1/work-items/").status_code == 200  # a new window


def test_anonymous_callers_are_limited_by_address(throttle_cache, reference, client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "3/minute", "anon": "2/minute"},
    }
    statuses = [client.get("/api/v1/stats/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    other = client.get("/api/v1/stats/", REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def test_a_new_forwarded_for_per_call_does_not_escape_the_anonymous_limit(
    throttle_cache, reference, client, settings
):
    # No proxy configured (TRUSTED_PROXY_COUNT=0): X-Forwarded-For is the caller's own writing.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "3/minute", "anon": "2/minute"},
    }
    statuses = [
        client.get(
            "/api/v1/stats/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_behind_one_proxy_each_real_client_has_its_own_anonymous_budget(
    throttle_cache, reference, client, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "3/minute", "anon": "2/minute"},
    }

    def call(forwarded_for: str) -> int:
        # Every call arrives from the proxy, which appended the address it saw.
        return client.get(
            "/api/v1/stats/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    # What the client wrote to the left of the proxy's entry changes nothing.
    assert [call(f"192.0.2.{n}, 203.0.113.9") for n in range(3)] == [200, 200, 429]
    assert call("198.51.100.7") == 200  # another client behind the same proxy


def test_the_command_prints_a_working_token_once_and_revokes_it(token_admin, bearer):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "api_token",
        "create",
        "--org",
        "zs-water",
        "--name",
        "调度",
        "--by",
        "token-admin",
        stdout=out,
        stderr=StringIO(),
    )
    plaintext = out.getvalue().strip()
    assert bearer(plaintext).get("/api/v1/work-items/").status_code == 200
    listing = StringIO()
    call_command("api_token", "list", "--org", "zs-water", stdout=listing)
    assert plaintext[:12] in listing.getvalue() and plaintext not in listing.getvalue()
    call_command(
        "api_token", "revoke", "--prefix", plaintext[:12], "--by", "token-admin", stdout=StringIO()
    )
    assert bearer(plaintext).get("/api/v1/work-items/").status_code == 401


def _command(*args: str) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_listing_gives_the_prefix_revoke_takes_and_times_in_the_portals_zone(
    token_admin, bearer
):
    start = dt.datetime(2026, 11, 30, 1, 5, tzinfo=dt.UTC)  # 09:05 in Zhongshan
    with time_machine.travel(start, tick=False):
        plaintext = _command(
            "create",
            "--org",
            "zs-water",
            "--name",
            "调度 dispatch",
            "--expires-days",
            "30",
            "--by",
            "token-admin",
        ).strip()
        bearer(plaintext).get("/api/v1/work-items/")
        listing = _command("list", "--org", "zs-water").splitlines()
    header, row = listing[0].split(), listing[1]
    assert header[:2] == ["prefix", "name"]
    prefix = row.split()[0]
    assert prefix == plaintext[:12]  # the first column, exactly: no ellipsis to trim
    assert "2026-11-30T09:05+08:00" in row  # created and last used, with the offset
    assert "2026-12-30T09:05+08:00" in row  # expires
    assert " active " in row

    assert "Revoked" in _command("revoke", "--prefix", prefix, "--by", "token-admin")
    assert bearer(plaintext).get("/api/v1/work-items/").status_code == 401
    assert " revoked " in _command("list", "--org", "zs-water").splitlines()[1]


def test_the_command_rotates_a_token_by_its_prefix(token_admin, bearer):
    plaintext = _command("create", "--org", "zs-water", "--name", "x", "--by", "token-admin")
    plaintext = plaintext.strip()
    rotated = _command("rotate", "--prefix", plaintext[:12], "--by", "token-admin").strip()
    assert rotated.startswith("zsp_") and rotated != plaintext
    assert bearer(plaintext).get("/api/v1/work-items/").status_code == 401
    assert bearer(rotated).get("/api/v1/work-items/").status_code == 200
    actions = list(
        ApiToken.objects.filter(organization__code="zs-water")
        .order_by("created_at")
        .values_list("events__action", "events__via")
    )
    assert actions == [("created", "command"), ("rotated", "command")]
