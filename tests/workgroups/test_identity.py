"""A company's identity: a typed credit code proves nothing until the registry's data or staff
review of the business licence does; a second registration of a code is a dispute that the
company registry's staff decide, and both sides are told."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from notifications.constants import Channel, EventType
from notifications.models import Delivery
from notifications.services import deliveries_send, facts_process
from tests.error_summary import assert_error_summary
from tests.factories import PDF_BYTES, registry_clerk, staff_of
from tests.signup import sign_up
from workgroups.constants import VerificationStatus, VerifiedVia
from workgroups.identity import company_name_key
from workgroups.models import CompanyDispute, CompanyIdentity, Organization, User

pytestmark = pytest.mark.django_db

CODE = "91442000MA4W2T7K1M"


def _sign_up(client: Client, *, name: str, mobile: str, email: str):
    response = sign_up(
        client,
        "/en/accounts/signup/",
        {
            "company_name": name,
            "unified_social_credit_code": CODE,
            "contact_name": "陈嘉怡",
            "mobile": mobile,
            "email": email,
            "password1": "Zs-portal-2026",
            "password2": "Zs-portal-2026",
        },
        follow=True,
    )
    assert response.status_code == 200
    return User.objects.get(username=mobile).memberships.get().organization


@pytest.mark.parametrize(
    ("registered", "registry", "same"),
    [
        ("中山市小榄精密五金制品有限公司", "中山市小榄精密五金制品有限公司", True),
        ("中山市 小榄精密五金制品有限公司", "中山市小榄精密五金制品有限公司", True),
        ("中山市小榄精密（五金）制品有限公司", "中山市小榄精密(五金)制品有限公司", True),
        ("ＡＢＣ中山有限公司", "ABC中山有限公司", True),
        ("中山市小榄精密五金制品有限公司", "中山市小榄精密五金有限公司", False),
        ("abc中山有限公司", "ABC中山有限公司", False),
    ],
)
def test_names_match_after_folding_spaces_and_full_width_forms_only(registered, registry, same):
    assert (company_name_key(registered) == company_name_key(registry)) is same


def test_a_dispute_is_decided_by_the_registry_staff_and_both_sides_are_told(reference):
    first = _sign_up(
        Client(), name="中山市小榄精密五金制品有限公司", mobile="13800138021", email="a@example.cn"
    )
    second = _sign_up(
        Client(), name="中山市小榄精密五金有限公司", mobile="13800138022", email="b@example.cn"
    )
    dispute = CompanyDispute.objects.get()
    assert (dispute.holder, dispute.claimant, dispute.status) == (first, second, "open")
    for company in (first, second):
        assert CompanyIdentity.objects.get(organization=company).status == "disputed"

    # Only the company registry's staff (and administrators) see and decide disputes.
    operator = Client()
    operator.force_login(staff_of("csg-zhongshan", username="op"))
    assert operator.get("/en/staff/disputes/").status_code == 403
    assert operator.post(f"/en/staff/disputes/{dispute.uuid}/decide/", {}).status_code == 403

    staff = Client()
    staff.force_login(registry_clerk())
    page = staff.get("/en/staff/disputes/").content.decode()
    assert f'data-dispute="{dispute.uuid}"' in page
    assert "中山市小榄精密五金制品有限公司" in page and "中山市小榄精密五金有限公司" in page
    no_reason = staff.post(f"/en/staff/disputes/{dispute.uuid}/decide/", {"side": "claimant"})
    assert_error_summary(no_reason, "Give the reason: the company is told it.")
    decided = staff.post(
        f"/en/staff/disputes/{dispute.uuid}/decide/",
        {"side": "claimant", "reason": "核验营业执照：该代码属于第二家公司"},
    )
    assert decided.status_code == 302

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.unified_social_credit_code == "" and second.unified_social_credit_code == CODE
    loser, winner = first.identity, second.identity
    assert (loser.status, loser.credit_code) == (VerificationStatus.UNVERIFIED, "")
    assert (winner.status, winner.verified_via) == (
        VerificationStatus.VERIFIED,
        VerifiedVia.DISPUTE,
    )
    dispute.refresh_from_db()
    assert (dispute.status, dispute.decided_for) == ("decided", "claimant")
    assert dispute.decided_by == registry_clerk()

    # Both are told: in the inbox and by e-mail, with the reason.
    facts_process()
    told = Delivery.objects.filter(event_type=EventType.COMPANY_IDENTITY)
    for company, event in ((first, "detach"), (second, "settle")):
        inbox = told.get(
            recipient_organization=company, channel=Channel.IN_APP, payload__event=event
        )
        assert "核验营业执照" in inbox.body
        assert told.filter(recipient_organization=company, payload__event="open_dispute").exists()
    emails = told.filter(channel=Channel.EMAIL, payload__event__in=["detach", "settle"])
    deliveries_send(delivery_ids=list(emails.values_list("pk", flat=True)))
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.cn", "b@example.cn"]

    # The pages say so too.
    first_user = Client()
    first_user.force_login(User.objects.get(username="13800138021"))
    page = first_user.get("/en/company/").content.decode()
    assert "belongs to another company" in page and "核验营业执照" in page


def test_a_verified_holder_stays_verified_while_a_dispute_is_open(reference):
    from tests.factories import verify

    holder = verify(
        _sign_up(Client(), name="中山市甲公司", mobile="13800138031", email="c@example.cn")
    )
    claimant = _sign_up(Client(), name="中山市乙公司", mobile="13800138032", email="d@example.cn")
    assert holder.identity.status == VerificationStatus.VERIFIED
    assert claimant.identity.status == VerificationStatus.DISPUTED
    facts_process()
    notice = Delivery.objects.get(
        recipient_organization=holder, channel=Channel.IN_APP, payload__event="dispute_opened"
    )
    assert CODE in notice.subject


def test_staff_review_of_the_business_licence_verifies_the_company(reference):
    company = _sign_up(
        Client(), name="中山市南区新能源有限公司", mobile="13800138041", email="e@example.cn"
    )
    manager = Client()
    manager.force_login(User.objects.get(username="13800138041"))
    page = manager.get("/en/company/").content.decode()
    assert "How to get verified" in page

    def send_licence(name: str):
        upload = SimpleUploadedFile(name, PDF_BYTES + name.encode(), "application/pdf")
        response = manager.post("/en/company/", {"file": upload})
        assert response.status_code == 302, response.content.decode()[:2000]

    send_licence("营业执照.pdf")
    identity = CompanyIdentity.objects.get(organization=company)
    assert identity.status == VerificationStatus.AWAITING_REVIEW

    staff = Client()
    staff.force_login(registry_clerk())
    listing = staff.get("/en/staff/companies/").content.decode()
    assert f'data-company="{company.uuid}"' in listing and "营业执照.pdf" in listing
    licence = identity.organization.documents.get()
    assert staff.get(f"/en/documents/{licence.uuid}/view/").status_code == 200
    operator = Client()
    operator.force_login(staff_of("zs-water", username="water-op"))
    assert operator.get(f"/en/documents/{licence.uuid}/view/").status_code == 404
    assert operator.get("/en/staff/companies/").status_code == 403

    refused = staff.post(
        f"/en/staff/companies/{company.uuid}/refuse/", {"reason": "执照照片模糊，请重新上传"}
    )
    assert refused.status_code == 302
    identity.refresh_from_db()
    assert identity.status == VerificationStatus.UNVERIFIED
    assert "执照照片模糊" in manager.get("/en/company/").content.decode()

    send_licence("营业执照-清晰.pdf")
    assert staff.post(f"/en/staff/companies/{company.uuid}/accept/").status_code == 302
    identity.refresh_from_db()
    assert (identity.status, identity.verified_via) == ("verified", VerifiedVia.REVIEW)
    assert identity.verified_by == registry_clerk()
    assert "Your company is verified" in manager.get("/en/company/").content.decode()

    facts_process()
    events = set(
        Delivery.objects.filter(recipient_organization=company, channel=Channel.IN_APP).values_list(
            "payload__event", flat=True
        )
    )
    assert events == {"refuse_review", "accept_review"}


def test_only_a_manager_sends_the_licence(reference):
    from workgroups.services import membership_add

    company = _sign_up(
        Client(), name="中山市东区科技有限公司", mobile="13800138051", email="f@example.cn"
    )
    colleague = User.objects.create(username="colleague", email="g@example.cn")
    membership_add(user=colleague, organization=Organization.objects.get(pk=company.pk))
    client = Client()
    client.force_login(colleague)
    upload = SimpleUploadedFile("营业执照.pdf", PDF_BYTES, "application/pdf")
    assert client.post("/en/company/", {"file": upload}).status_code == 403
    assert CompanyIdentity.objects.get(organization=company).status == "unverified"
