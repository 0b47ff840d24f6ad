"""SMS through the delivery outbox: the pluggable backend (LocMemBackend in tests, console by
default), mobile numbers confirmed with a one-time code (hashed, expiring, limited attempts,
throttled), and the messages that reach a confirmed number."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone, translation

from notifications import sms
from notifications.constants import Channel, DeliveryStatus, EventType
from notifications.models import Delivery
from notifications.services import deliveries_send, facts_process
from notifications.services.accounts import mobile_code_send
from tests.error_summary import assert_error_summary
from tests.factories import member_of, verify
from workgroups.mobile import mobile_code_confirm
from workgroups.models import MobileConfirmation, User

pytestmark = pytest.mark.django_db
MOBILE = "13800138000"


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    with translation.override("en"):  # the messages the services return, read in English
        yield
    sms.outbox.clear()


@pytest.fixture
def person(applicant):
    applicant.mobile = MOBILE
    applicant.save(update_fields=["mobile"])
    return applicant


@pytest.fixture
def signed_in(person):
    client = Client()
    client.force_login(person)
    return client


def _sent_code() -> str:
    """Deliver the pending SMS rows as the worker would; the code the person receives."""
    pending = Delivery.objects.filter(channel=Channel.SMS, status=DeliveryStatus.PENDING)
    deliveries_send(delivery_ids=list(pending.values_list("pk", flat=True)))
    message = sms.outbox[-1]
    assert message.to == MOBILE
    return next(word for word in message.text.split() if word.isdigit() and len(word) == 6)


def test_a_mobile_number_is_confirmed_with_the_code_sent_by_sms(signed_in, person):
    page = signed_in.get("/en/accounts/mobile/")
    assert page.status_code == 200 and 'data-mobile-confirmed="no"' in page.content.decode()
    assert signed_in.post("/en/accounts/mobile/", {"action": "send"}).status_code == 302

    delivery = Delivery.objects.get(channel=Channel.SMS, recipient_user=person)
    assert (delivery.event_type, delivery.status) == (EventType.MOBILE_CODE, "pending")
    code = _sent_code()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert code not in delivery.body  # removed once sent
    challenge = MobileConfirmation.objects.get(user=person)
    assert code not in challenge.code_digest and len(challenge.code_digest) == 64

    wrong = "000000" if code != "000000" else "111111"
    refused = signed_in.post("/en/accounts/mobile/", {"action": "confirm", "code": wrong})
    assert_error_summary(refused, "That code is not right. 4 attempts left.", field="id_code")
    assert "attempts left" in refused.content.decode()
    confirmed = signed_in.post("/en/accounts/mobile/", {"action": "confirm", "code": code})
    assert confirmed.status_code == 302
    person.refresh_from_db()
    assert person.mobile_confirmed_at is not None
    assert 'data-mobile-confirmed="yes"' in signed_in.get("/en/accounts/mobile/").content.decode()


def test_wrong_codes_are_limited_and_then_even_the_right_one_is_refused(person, settings):
    settings.MOBILE_CODE_MAX_ATTEMPTS = 3
    mobile_code_send(user=person)
    code = _sent_code()
    wrong = "000000" if code != "000000" else "111111"
    results = [mobile_code_confirm(user=person, code=wrong) for _ in range(3)]
    assert [r.confirmed for r in results] == [False, False, False]
    assert "Too many wrong codes" in results[-1].message
    late = mobile_code_confirm(user=person, code=code)
    assert not late.confirmed and "Ask for a new one" in late.message
    assert User.objects.get(pk=person.pk).mobile_confirmed_at is None


def test_a_code_expires_after_minutes(person, settings):
    settings.MOBILE_CODE_TTL_SECONDS = 600
    mobile_code_send(user=person)
    code = _sent_code()
    later = timezone.now() + dt.timedelta(seconds=601)
    expired = mobile_code_confirm(user=person, code=code, now=later)
    assert not expired.confirmed and "expired" in expired.message
    assert User.objects.get(pk=person.pk).mobile_confirmed_at is None


def test_a_new_code_waits_for_the_pause_and_only_the_last_one_counts(signed_in, person, settings):
    settings.MOBILE_CODE_RESEND_SECONDS = 60
    settings.MOBILE_CODE_DAILY_LIMIT = 2
    signed_in.post("/en/accounts/mobile/", {"action": "send"})
    first = _sent_code()
    again = signed_in.post("/en/accounts/mobile/", {"action": "send"}, follow=True)
    assert "A code was just sent" in again.content.decode()
    assert Delivery.objects.filter(channel=Channel.SMS).count() == 1

    MobileConfirmation.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))
    signed_in.post("/en/accounts/mobile/", {"action": "send"})
    second = _sent_code()
    if first != second:
        assert not mobile_code_confirm(user=person, code=first).confirmed
    MobileConfirmation.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))
    over = signed_in.post("/en/accounts/mobile/", {"action": "send"}, follow=True)
    assert "Too many codes were sent today" in over.content.decode()
    assert mobile_code_confirm(user=person, code=second).confirmed


def test_verification_news_reaches_confirmed_mobile_numbers_by_sms(person, applicant_org):
    User.objects.filter(pk=person.pk).update(mobile_confirmed_at=timezone.now())
    unconfirmed = member_of(applicant_org, username="colleague", mobile="13900139000")
    verify(applicant_org)
    facts_process()
    texts = Delivery.objects.filter(channel=Channel.SMS, event_type=EventType.COMPANY_IDENTITY)
    assert list(texts.values_list("recipient_user", flat=True)) == [person.pk]
    assert unconfirmed.pk not in texts.values_list("recipient_user", flat=True)
    deliveries_send(delivery_ids=list(texts.values_list("pk", flat=True)))
    assert sms.outbox[-1].to == MOBILE and sms.outbox[-1].text == texts.get().subject


def test_the_console_backend_prints_and_a_failing_gateway_is_retried(person, settings, capsys):
    sms.ConsoleBackend().send_messages([sms.SmsMessage(to=MOBILE, text="测试短信")])
    assert f"SMS to {MOBILE}: 测试短信" in capsys.readouterr().out

    settings.SMS_BACKEND = "tests.notifications.test_sms.DownGateway"
    mobile_code_send(user=person)
    delivery = Delivery.objects.get(channel=Channel.SMS)
    deliveries_send(delivery_ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "gateway down" in delivery.last_error
    assert delivery.attempt_history.get().target == MOBILE


class DownGateway(sms.BaseSmsBackend):
    def send_messages(self, messages):
        raise sms.SmsError("gateway down")
