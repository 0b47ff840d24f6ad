"""Sign-up (company, person), validators, sign-in, password reset, invitations.

The sign-in limiter of every path (portal and admin): tests/web/test_signin_limits.py."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from applications.permissions import grant_project
from tests.factories import ProjectFactory, company, member_of
from tests.signup import sign_up
from workgroups.constants import MemberRole, OrganizationKind
from workgroups.models import Membership, Organization, User
from workgroups.validators import uscc_check_character, validate_mobile, validate_uscc

pytestmark = pytest.mark.django_db

VALID_USCC = "91350100M000100Y43"


def _company_form(**overrides):
    data = {
        "company_name": "中山市新能源科技有限公司",
        "unified_social_credit_code": VALID_USCC,
        "contact_name": "李明",
        "mobile": "13800138000",
        "email": "liming@example.cn",
        "password1": "Zs-portal-2026",
        "password2": "Zs-portal-2026",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("code", [VALID_USCC, "91110108551385082Q", "91440101ma59tq9r4u"])
def test_valid_unified_social_credit_codes_pass(code):
    validate_uscc(code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "uscc_check"),  # one character off
        ("91350100M000100Y4", "uscc_length"),
        ("91350100M0O0100Y43", "uscc_format"),  # the letter O never occurs
        ("9135010AM000100Y43", "uscc_format"),  # the division code is digits
    ],
)
def test_invalid_unified_social_credit_codes_are_refused(code, reason):
    with pytest.raises(ValidationError) as exc:
        validate_uscc(code)
    assert exc.value.code == reason


def test_check_character_matches_the_standard_example():
    assert uscc_check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize("mobile", ["13800138000", "+86 139 0000 1111", "199-0000-1111"])
def test_mainland_mobile_numbers_pass(mobile):
    validate_mobile(mobile)


@pytest.mark.parametrize("mobile", ["12800138000", "1380013800", "23800138000", "abc"])
def test_other_numbers_are_refused(mobile):
    with pytest.raises(ValidationError):
        validate_mobile(mobile)


def test_a_company_signs_up_and_lands_on_its_requests(client, reference):
    response = sign_up(client, "/en/accounts/signup/", _company_form())
    assert response.status_code == 302
    assert response.url == "/en/requests/"
    org = Organization.objects.get(unified_social_credit_code=VALID_USCC)
    assert org.kind == OrganizationKind.APPLICANT_COMPANY
    user = User.objects.get(username="13800138000")
    assert user.mobile == "13800138000" and user.first_name == "李明"
    membership = Membership.objects.get(user=user)
    assert membership.organization == org and membership.role == MemberRole.MANAGER
    assert set(user.groups.values_list("name", flat=True)) == {org.group.name}
    project = ProjectFactory(owner=org, created_by=user)
    grant_project(project)  # what the company is granted, the person holds through its group
    assert user.has_perm("applications.change_project", project)
    assert client.get("/en/requests/").status_code == 200


def test_sign_up_errors_are_shown_next_to_each_field_and_nothing_is_saved(client, reference):
    data = _company_form(
        unified_social_credit_code="91350100M000100Y44",
        mobile="12345",
        email="not-an-email",
        password2="different",
    )
    before = (Organization.objects.count(), User.objects.count())
    response = client.post("/en/accounts/signup/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"unified_social_credit_code", "mobile", "email", "password2"}
    html = response.content.decode()
    assert 'id="id_unified_social_credit_code_errors"' in html
    assert "check character does not match" in html
    assert (Organization.objects.count(), User.objects.count()) == before


def test_a_second_registration_of_a_code_opens_a_dispute_instead_of_a_refusal(client, reference):
    from workgroups.models import CompanyDispute

    sign_up(client, "/en/accounts/signup/", _company_form())
    client.logout()
    response = sign_up(
        client,
        "/en/accounts/signup/",
        _company_form(mobile="13900139000", email="b@example.cn"),
        follow=True,
    )
    assert response.status_code == 200
    assert "another account registered this credit code first" in response.content.decode()
    # The code stays with the first company; the second gets a company of its own, disputed.
    assert Organization.objects.filter(unified_social_credit_code=VALID_USCC).count() == 1
    second = User.objects.get(username="13900139000").memberships.get().organization
    assert second.unified_social_credit_code == ""
    assert second.identity.status == "disputed" and second.identity.credit_code == VALID_USCC
    dispute = CompanyDispute.objects.get()
    assert (dispute.claimant, dispute.credit_code, dispute.status) == (second, VALID_USCC, "open")


SENT_A_CODE = "We sent a code to 138****8000: enter it to finish creating your account."


def test_a_mobile_number_registers_only_once_and_the_page_never_says_it_is_taken(client, reference):
    sign_up(client, "/en/accounts/signup/", _company_form())
    client.logout()
    mail.outbox.clear()
    response = client.post(
        "/en/accounts/signup/",
        _company_form(unified_social_credit_code="91110108551385082Q", email="someone@else.cn"),
        follow=True,
    )
    assert response.status_code == 200
    # Neither the field nor the words give away that the number has an account.
    html = response.content.decode()
    assert SENT_A_CODE in html
    assert "already exists" not in html and "already registered" not in html
    # The second company was not created either.
    assert not Organization.objects.filter(unified_social_credit_code="91110108551385082Q").exists()
    # The number's owner hears of it, at the address of their account, not the one typed.
    assert [m.to for m in mail.outbox] == [["liming@example.cn"]]
    notice = mail.outbox[0]
    assert "tried to register" in notice.subject
    assert "138****8000" in notice.body and "/en/accounts/password/reset/" in notice.body
    assert "someone@else.cn" not in notice.body


def test_the_owner_is_told_of_sign_up_attempts_at_most_once_an_hour(client, reference):
    member_of(company(), username="13600136000", email="owner@example.cn")
    for _ in range(3):
        response = client.post(
            "/en/accounts/signup/person/", _person_form("13600136000"), follow=True
        )
        assert "We sent a code to 136****6000" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["owner@example.cn"]]


def test_the_neutral_answer_is_chinese_at_the_root(client, reference):
    member_of(company(), username="13600136000", email="owner@example.cn")
    response = client.post("/accounts/signup/person/", _person_form("136 0013 6000"), follow=True)
    html = response.content.decode()
    assert "已向 136****6000 发送验证码" in html and "已注册" not in html and "已存在" not in html


def test_a_manager_inviting_a_colleague_with_a_taken_number_is_told_so(client, reference):
    member_of(company(code="other"), username="13900139000")
    sign_up(client, "/en/accounts/signup/", _company_form())
    response = client.post(
        "/en/accounts/colleagues/",
        {"full_name": "赵强", "mobile": "13900139000", "email": "zq@example.cn"},
    )
    assert "already exists" in str(response.context["form"].errors["mobile"])


def _person_form(mobile: str) -> dict:
    return {
        "full_name": "王芳",
        "mobile": mobile,
        "email": "wf@example.cn",
        "password1": "Zs-portal-2026",
        "password2": "Zs-portal-2026",
    }


def test_a_person_signs_up_with_a_one_person_organisation(client, reference):
    response = sign_up(
        client,
        "/en/accounts/signup/person/",
        {
            "full_name": "王芳",
            "mobile": "13700137000",
            "email": "wf@example.cn",
            "password1": "Zs-portal-2026",
            "password2": "Zs-portal-2026",
        },
    )
    assert response.status_code == 302
    org = Membership.objects.get(user__username="13700137000").organization
    assert org.kind == OrganizationKind.APPLICANT_COMPANY and org.name_zh == "王芳"
    assert org.unified_social_credit_code == ""


def test_sign_in_with_the_mobile_number(client, reference):
    sign_up(client, "/en/accounts/signup/", _company_form())
    client.logout()
    response = client.post(
        "/en/accounts/login/", {"username": "138 0013 8000", "password": "Zs-portal-2026"}
    )
    assert response.status_code == 302
    assert response.url == "/en/requests/"


def test_sign_in_is_paused_at_the_fifth_failure_even_with_the_right_password(client, reference):
    member_of(company(), username="13600136000", password="pass-1234")
    for _ in range(4):
        response = client.post(
            "/en/accounts/login/", {"username": "13600136000", "password": "wrong"}
        )
        assert response.status_code == 200
        assert "Please enter a correct" in response.content.decode()
    response = client.post("/en/accounts/login/", {"username": "13600136000", "password": "wrong"})
    assert response.status_code == 429
    response = client.post(
        "/en/accounts/login/", {"username": "13600136000", "password": "pass-1234"}
    )
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another person signing in from the same address is not locked out.
    member_of(company(code="other"), username="13500135000", password="pass-1234")
    response = client.post(
        "/en/accounts/login/", {"username": "13500135000", "password": "pass-1234"}
    )
    assert response.status_code == 302


def test_a_success_resets_the_failure_count(client, reference):
    member_of(company(), username="13600136000", password="pass-1234")
    for _ in range(4):
        client.post("/en/accounts/login/", {"username": "13600136000", "password": "x"})
    client.post("/en/accounts/login/", {"username": "13600136000", "password": "pass-1234"})
    client.logout()
    for _ in range(4):
        client.post("/en/accounts/login/", {"username": "13600136000", "password": "x"})
    response = client.post(
        "/en/accounts/login/", {"username": "13600136000", "password": "pass-1234"}
    )
    assert response.status_code == 302


def test_password_reset_by_email(client, reference):
    member_of(company(), username="13600136000", email="a@example.cn", password="pass-1234")
    response = client.post("/en/accounts/password/reset/", {"email": "a@example.cn"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/accounts/password/reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    set_url = response.redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": "New-pass-2026!", "new_password2": "New-pass-2026!"}
    )
    assert response.status_code == 302
    response = client.post(
        "/en/accounts/login/", {"username": "13600136000", "password": "New-pass-2026!"}
    )
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_both_languages_render_the_account_pages(client):
    for url in (
        "/accounts/signup/",
        "/accounts/signup/person/",
        "/accounts/login/",
        "/accounts/password/reset/",
    ):
        assert client.get(url).status_code == 200
        assert client.get("/en" + url).status_code == 200


def test_a_manager_invites_a_colleague_who_sets_a_password(
    client, reference, django_capture_on_commit_callbacks
):
    sign_up(client, "/en/accounts/signup/", _company_form())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/accounts/colleagues/",
            {"full_name": "赵强", "mobile": "13900139000", "email": "zq@example.cn"},
        )
    assert response.status_code == 302
    colleague = User.objects.get(username="13900139000")
    assert not colleague.has_usable_password()
    org = Organization.objects.get(unified_social_credit_code=VALID_USCC)
    assert Membership.objects.get(user=colleague).organization == org
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zq@example.cn"]
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_a_staff_member_cannot_invite(client, reference):
    sign_up(client, "/en/accounts/signup/", _company_form())
    org = Organization.objects.get(unified_social_credit_code=VALID_USCC)
    staff = member_of(org, username="13100131000")
    client.force_login(staff)
    response = client.post(
        "/en/accounts/colleagues/",
        {"full_name": "赵强", "mobile": "13900139000", "email": "zq@example.cn"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="13900139000").exists()
