"""Sign-up never tells whether a mobile number has an account: both forms end on "We sent a code
to 138****8000" whatever the number. A free number's account waits, inactive, for the code sent
by SMS; a taken number creates nothing and its owner is told. Unconfirmed sign-ups expire."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from notifications import sms
from tests.error_summary import assert_error_summary
from tests.factories import company, member_of
from tests.signup import sms_code
from workgroups.models import CompanyDispute, MobileConfirmation, Organization, PendingSignup, User
from workgroups.registration import pending_signups_expire

pytestmark = pytest.mark.django_db

FREE, TAKEN = "13800138000", "13811118000"  # both shown as 138****8000
USCC = "91350100M000100Y43"
SENT = "We sent a code to 138****8000: enter it to finish creating your account."
WRONG = "The code is wrong or has expired."


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def owner(reference):
    user = member_of(company(), username=TAKEN, email="owner@example.cn", mobile=TAKEN)
    User.objects.filter(pk=user.pk).update(mobile_confirmed_at=timezone.now())
    return user


def _company_form(mobile: str, **overrides) -> dict:
    return {
        "company_name": "中山市新能源科技有限公司",
        "unified_social_credit_code": USCC,
        "contact_name": "李明",
        "mobile": mobile,
        "email": "liming@example.cn",
        "password1": "Zs-portal-2026",
        "password2": "Zs-portal-2026",
        **overrides,
    }


def _person_form(mobile: str) -> dict:
    return {
        "full_name": "王芳",
        "mobile": mobile,
        "email": "wf@example.cn",
        "password1": "Zs-portal-2026",
        "password2": "Zs-portal-2026",
    }


def _page(response) -> str:
    """The page without what differs on every rendering (the CSRF token)."""
    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def _answers(client: Client, path: str, data: dict) -> list:
    posted = client.post(path, data)
    shown = client.get(posted.url)
    refused = client.post(posted.url, {"action": "confirm", "code": "000000"})
    resent = client.post(posted.url, {"action": "resend"}, follow=True)
    return [
        (posted.status_code, posted.url),
        (shown.status_code, [t.name for t in shown.templates], _page(shown)),
        (refused.status_code, _page(refused)),
        (resent.redirect_chain, re.sub(r"\d+ seconds", "N seconds", _page(resent))),
    ]


@pytest.mark.parametrize(
    ("path", "form"),
    [("/en/accounts/signup/", _company_form), ("/en/accounts/signup/person/", _person_form)],
)
def test_a_free_and_a_taken_number_get_the_same_answers(owner, path, form):
    users_before = User.objects.count()
    free = _answers(Client(), path, form(FREE))
    attacker = Client()
    taken = _answers(attacker, path, form(TAKEN))
    assert free == taken
    # Whatever code is typed for the taken number, the answer is that of a wrong code.
    any_code = attacker.post("/en/accounts/signup/confirm/", {"code": sms_code(FREE)})
    assert_error_summary(any_code, "The code is wrong or has expired.", field="id_code")
    assert WRONG in any_code.content.decode()
    assert SENT in free[1][2] and WRONG in free[2][1]
    assert free[0][0] == 302 and free[1][0] == 200 and free[2][0] == 200
    # The taken number created nothing, and got no code; its owner is told by e-mail and SMS.
    assert User.objects.count() == users_before + 1
    assert not User.objects.filter(username=TAKEN, pending_signup__isnull=False).exists()
    assert [m.to for m in mail.outbox] == [["owner@example.cn"]]
    sms_code(FREE)  # delivers the pending SMS rows
    to_owner = [m.text for m in sms.outbox if m.to == TAKEN]
    assert len(to_owner) == 1 and "有人试图用您的手机号码" in to_owner[0]


def test_the_pending_account_cannot_sign_in_until_the_right_code_activates_it(client, reference):
    posted = client.post("/en/accounts/signup/", _company_form(FREE))
    assert posted.status_code == 302
    user = User.objects.get(username=FREE)
    assert not user.is_active and user.memberships.count() == 0
    assert not Organization.objects.filter(unified_social_credit_code=USCC).exists()

    other = Client()
    refused = other.post("/en/accounts/login/", {"username": FREE, "password": "Zs-portal-2026"})
    assert refused.status_code == 200 and "_auth_user_id" not in other.session
    other.post("/en/accounts/password/reset/", {"email": "liming@example.cn"})
    assert mail.outbox == []

    done = client.post(posted.url, {"action": "confirm", "code": sms_code(FREE)}, follow=True)
    assert done.redirect_chain[-1][0] == "/en/requests/"
    assert "Your account is ready" in done.content.decode()
    user.refresh_from_db()
    assert user.is_active and user.mobile_confirmed_at is not None
    assert not PendingSignup.objects.exists()
    org = user.memberships.get().organization
    assert org.unified_social_credit_code == USCC and org.identity.status == "unverified"
    client.logout()
    signed_in = client.post("/en/accounts/login/", {"username": FREE, "password": "Zs-portal-2026"})
    assert signed_in.status_code == 302 and "_auth_user_id" in client.session


def test_a_second_registration_of_a_code_opens_its_dispute_only_once_confirmed(client, reference):
    from tests.signup import sign_up

    sign_up(Client(), "/en/accounts/signup/", _company_form(FREE))
    client.post("/en/accounts/signup/", _company_form("13900139000", email="b@example.cn"))
    assert not CompanyDispute.objects.exists()
    client.post(
        "/en/accounts/signup/confirm/", {"action": "confirm", "code": sms_code("13900139000")}
    )
    assert CompanyDispute.objects.get().claimant.memberships.get().user.username == "13900139000"


def test_wrong_codes_are_limited_and_then_even_the_right_one_is_refused(
    client, reference, settings
):
    settings.MOBILE_CODE_MAX_ATTEMPTS = 3
    posted = client.post("/en/accounts/signup/person/", _person_form(FREE))
    code = sms_code(FREE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        answer = client.post(posted.url, {"action": "confirm", "code": wrong})
        assert_error_summary(answer, "The code is wrong or has expired.", field="id_code")
        assert WRONG in answer.content.decode()
    late = client.post(posted.url, {"action": "confirm", "code": code})
    assert_error_summary(late, "The code is wrong or has expired.", field="id_code")
    assert WRONG in late.content.decode()
    assert not User.objects.get(username=FREE).is_active
    assert "_auth_user_id" not in client.session


def test_an_unconfirmed_sign_up_expires_and_frees_the_number(client, reference):
    posted = client.post("/en/accounts/signup/person/", _person_form(FREE))
    code = sms_code(FREE)
    day_later = timezone.now() - dt.timedelta(hours=24, seconds=1)
    PendingSignup.objects.update(created_at=day_later, expires_at=timezone.now())
    late = client.post(posted.url, {"action": "confirm", "code": code})
    assert_error_summary(late, "The code is wrong or has expired.", field="id_code")
    assert WRONG in late.content.decode()
    assert not User.objects.get(username=FREE).is_active

    # The next sign-up with the number replaces it (the resend pause still counts) ...
    MobileConfirmation.objects.update(created_at=day_later)
    someone = Client()
    again = someone.post("/en/accounts/signup/", _company_form(FREE, contact_name="陈晓"))
    done = someone.post(again.url, {"action": "confirm", "code": sms_code(FREE)}, follow=True)
    assert done.redirect_chain[-1][0] == "/en/requests/"
    user = User.objects.get(username=FREE)
    assert user.is_active and user.first_name == "陈晓"

    # ... and the hourly clean-up deletes those nobody came back to.
    Client().post("/en/accounts/signup/person/", _person_form("13900139000"))
    assert pending_signups_expire() == 0
    PendingSignup.objects.update(expires_at=timezone.now())
    assert pending_signups_expire() == 1
    assert not User.objects.filter(username="13900139000").exists()


def test_the_demo_says_where_the_code_is_printed(client, reference, settings):
    settings.DEBUG = True
    settings.SMS_BACKEND = "notifications.sms.ConsoleBackend"
    page = client.post("/accounts/signup/person/", _person_form(FREE), follow=True)
    assert "验证码" in page.content.decode() and "make run" in page.content.decode()


def test_a_manager_may_invite_a_number_whose_sign_up_waits_for_its_code(client, reference):
    from tests.signup import sign_up

    Client().post("/en/accounts/signup/person/", _person_form("13900139000"))
    sign_up(client, "/en/accounts/signup/", _company_form(FREE))
    response = client.post(
        "/en/accounts/colleagues/",
        {"full_name": "赵强", "mobile": "13900139000", "email": "zq@example.cn"},
    )
    assert response.status_code == 302
    invited = User.objects.get(username="13900139000")
    assert invited.is_active and invited.first_name == "赵强"
    assert not PendingSignup.objects.exists()
