"""One sign-in limiter for every sign-in path (workgroups/signin.py, django-axes): the admin's
login as well as the portal's, keyed on the name and the real client address
(TRUSTED_PROXY_COUNT), slowing a name tried from many addresses without locking it; and the
password-reset mail limited per address and per e-mail."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory, company, member_of
from workgroups.api_tokens import api_token_create
from workgroups.models import Organization

pytestmark = pytest.mark.django_db

PORTAL = "/en/accounts/login/"
ADMIN = "/en/admin/login/"
OWNER = "13600136000"
PASSWORD = "pass-1234"
ATTACKER = "203.0.113.9"
OWNER_ADDRESS = "198.51.100.7"
PROXY = "10.0.0.2"


@pytest.fixture
def owner(reference):
    """An applicant who is also on the admin (is_staff), so both sign-in pages admit them."""
    return member_of(company(), username=OWNER, password=PASSWORD, is_staff=True)


def _sign_in(client, url: str, password: str, *, username: str = OWNER, **meta):
    return client.post(url, {"username": username, "password": password}, **meta)


def _attempts():
    """The limiter's failure records (django-axes' table)."""
    from axes.models import AccessAttempt

    return AccessAttempt.objects


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_admin_sign_in_is_paused_after_the_limit_even_with_the_right_password(client, owner):
    for _ in range(4):
        response = _sign_in(client, ADMIN, "wrong")
        assert response.status_code == 200  # the admin's own form error
    assert _sign_in(client, ADMIN, "wrong").status_code == 429
    response = _sign_in(client, ADMIN, PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    # The portal's own page (its layout, its language), not a bare text.
    html = response.content.decode()
    assert '<html lang="en">' in html and "Too many failed attempts" in html
    assert 'href="/en/accounts/password/reset/"' in html
    assert 0 < int(response["Retry-After"]) <= 900


def test_the_pause_page_speaks_chinese_at_the_root(client, owner):
    for _ in range(5):
        _sign_in(client, "/admin/login/", "wrong")
    response = _sign_in(client, "/accounts/login/", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html and "登录已暂停" in html and "失败次数过多" in html


def test_the_portal_and_the_admin_count_failures_together(client, owner):
    # However the number is spelled on either page, it is one name for the limiter.
    for _ in range(3):
        assert _sign_in(client, PORTAL, "wrong", username="136 0013 6000").status_code == 200
    assert _sign_in(client, ADMIN, "wrong").status_code == 200
    assert _sign_in(client, ADMIN, "wrong", username="+8613600136000").status_code == 429
    assert _sign_in(client, PORTAL, PASSWORD).status_code == 429
    assert _sign_in(client, ADMIN, PASSWORD).status_code == 429
    assert not _signed_in(client)


def test_a_forged_forwarded_for_neither_escapes_the_lock_nor_locks_its_owner(client, owner):
    # No proxy is configured (TRUSTED_PROXY_COUNT=0): X-Forwarded-For is the client's own
    # writing. The attacker names a new address on every try, and the victim's.
    for n in range(5):
        _sign_in(
            client,
            ADMIN,
            "wrong",
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {OWNER_ADDRESS}",
        )
    response = _sign_in(
        client, ADMIN, PASSWORD, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert response.status_code == 429
    assert set(_attempts().values_list("ip_address", flat=True)) == {ATTACKER}
    assert _sign_in(client, PORTAL, PASSWORD, REMOTE_ADDR=OWNER_ADDRESS).status_code == 302


def test_behind_one_proxy_an_attacker_locks_only_their_own_address(client, owner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # Every request comes from the proxy, which appends the address it saw; the attacker's
    # own X-Forwarded-For entries stand to the left of it.
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{OWNER_ADDRESS}, {ATTACKER}"}
    for _ in range(5):
        _sign_in(client, PORTAL, "wrong", **attacker)
    assert _sign_in(client, PORTAL, PASSWORD, **attacker).status_code == 429
    assert _sign_in(client, ADMIN, PASSWORD, **attacker).status_code == 429
    # Someone else behind the same proxy, and even another name from the attacker's address.
    colleague = member_of(company(code="other"), username="13500135000", password=PASSWORD)
    other = Client()  # another browser
    assert (
        _sign_in(other, PORTAL, PASSWORD, username=colleague.username, **attacker).status_code
        == 302
    )
    assert (
        _sign_in(
            client,
            PORTAL,
            PASSWORD,
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=OWNER_ADDRESS,
        ).status_code
        == 302
    )
    assert _signed_in(client)


def test_a_name_tried_from_many_addresses_is_slowed_not_locked(client, owner, settings):
    settings.LOGIN_NAME_SLOWDOWN_AFTER = 12
    settings.LOGIN_NAME_SLOWDOWN_SECONDS = 10
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        # Three addresses, four failures each: no pair reaches the lock, the name does reach
        # the slow-down.
        for n in range(12):
            response = _sign_in(client, ADMIN, "wrong", REMOTE_ADDR=f"192.0.2.{n // 4 + 1}")
            assert response.status_code == 200
        failures = _attempts().aggregate(n=Sum("failures_since_start"))["n"]
        assert failures == 12

        # The owner, from an address never seen, is asked to wait a few seconds...
        clock.shift(dt.timedelta(seconds=3))
        response = _sign_in(client, PORTAL, PASSWORD, REMOTE_ADDR=OWNER_ADDRESS)
        assert response.status_code == 429
        assert response["Retry-After"] == "7"
        assert "Please wait 7 seconds" in response.content.decode()
        # ...and so is the attacker, whose refused tries are not even counted.
        assert _sign_in(client, ADMIN, "guess", REMOTE_ADDR="192.0.2.77").status_code == 429
        assert _attempts().aggregate(n=Sum("failures_since_start"))["n"] == failures

        # Once the interval has passed, the owner signs in: the name was never locked.
        clock.shift(dt.timedelta(seconds=7))
        response = _sign_in(client, PORTAL, PASSWORD, REMOTE_ADDR=OWNER_ADDRESS)
        assert response.status_code == 302
        assert _signed_in(client)


def test_the_pair_lock_lifts_after_the_window(client, owner):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            _sign_in(client, PORTAL, "wrong")
        clock.shift(dt.timedelta(minutes=10))
        response = _sign_in(client, PORTAL, PASSWORD)
        assert response.status_code == 429
        assert response["Retry-After"] == "300"  # 15 minutes after the last failure
        assert "paused for 5 minutes" in response.content.decode()
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        assert _sign_in(client, PORTAL, PASSWORD).status_code == 302


def test_api_tokens_are_not_counted_as_sign_ins(client, owner, reference):
    admin = UserFactory(username="token-admin", is_staff=True, is_superuser=True)
    _token, plaintext = api_token_create(
        actor=admin,
        organization=Organization.objects.get(code="csg-zhongshan"),
        name="dispatch",
        scopes=["work_items:read"],
    )
    for _ in range(5):
        _sign_in(client, PORTAL, "wrong")  # this address is locked for the owner's name
    api = APIClient()
    for _ in range(6):
        api.credentials(HTTP_AUTHORIZATION="Bearer zsp_" + "x" * 43)
        assert api.get("/api/v1/work-items/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get("/api/v1/work-items/").status_code == 200
    assert list(_attempts().values_list("username", flat=True)) == [OWNER]


# --- Password reset ------------------------------------------------------------------------------


def _reset(client, email: str, address: str):
    response = client.post("/en/accounts/password/reset/", {"email": email}, REMOTE_ADDR=address)
    # The same answer whatever happened: sent, unknown address, or over a limit.
    assert response.status_code == 302
    assert response.url == "/en/accounts/password/reset/sent/"
    return response


def test_password_reset_mail_is_limited_per_email_address(client, owner, settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 3
    for n in range(5):
        _reset(client, owner.email.upper(), f"192.0.2.{n + 1}")
    assert len(mail.outbox) == 3
    assert {tuple(m.to) for m in mail.outbox} == {(owner.email,)}


def test_password_reset_mail_is_limited_per_client_address(client, reference, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    people = [
        member_of(company(), username=f"1360013600{n}", email=f"p{n}@example.cn") for n in range(3)
    ]
    for person in people:
        _reset(client, person.email, ATTACKER)
    assert [m.to for m in mail.outbox] == [[people[0].email], [people[1].email]]
    # Another address is not held back by that one.
    _reset(client, people[2].email, OWNER_ADDRESS)
    assert mail.outbox[-1].to == [people[2].email]


def test_password_reset_limit_keys_on_the_real_address_not_a_forged_header(
    client, reference, settings
):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    people = [
        member_of(company(), username=f"1360013600{n}", email=f"p{n}@example.cn") for n in range(3)
    ]
    for n, person in enumerate(people):
        client.post(
            "/en/accounts/password/reset/",
            {"email": person.email},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert len(mail.outbox) == 2
