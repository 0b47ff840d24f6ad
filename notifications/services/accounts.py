"""Messages to one person about their own account: the code that confirms a mobile number (or
finishes a sign-up), and the notice that someone tried to sign up with their number."""

import uuid

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from workgroups.mobile import mobile_code_issue
from workgroups.models import MobileConfirmation, User

from ..constants import Channel, EventType
from ..models import Delivery


@transaction.atomic
def mobile_code_send(*, user: User, signup: bool = False) -> MobileConfirmation:
    """A new one-time code for the person's mobile number, sent as an SMS through the outbox
    (written in this transaction, delivered until the gateway takes it). The SMS text is the
    only place the code's plaintext lives, and only until it is sent (DeliveryMachine)."""
    challenge, code = mobile_code_issue(user=user)
    minutes = max(settings.MOBILE_CODE_TTL_SECONDS // 60, 1)
    with override(user.preferred_language or settings.LANGUAGE_CODE):
        subject = _("Mobile number confirmation code")
        if signup:
            text = _(
                "%(code)s is your code to finish creating your account on the Zhongshan "
                "utility connection portal. It is valid for %(minutes)s minutes. Never tell "
                "it to anyone."
            ) % {"code": code, "minutes": minutes}
        else:
            text = _(
                "%(code)s is your code to confirm this mobile number on the Zhongshan utility "
                "connection portal. It is valid for %(minutes)s minutes. Never tell it to "
                "anyone."
            ) % {"code": code, "minutes": minutes}
    Delivery.objects.create(
        event_id=uuid.uuid4(),
        event_type=EventType.MOBILE_CODE,
        channel=Channel.SMS,
        idempotency_key=f"mobile-code:{challenge.pk}",
        recipient_user=user,
        subject=subject,
        body=text,
        payload={"to": challenge.mobile, "expires_at": challenge.expires_at.isoformat()},
    )
    return challenge


@transaction.atomic
def signup_attempt_sms(*, owner: User) -> Delivery | None:
    """Tell the owner of a number, by SMS to their confirmed number, that someone tried to sign
    up with it (the caller limits how often). Nothing for an unconfirmed number."""
    if owner.mobile_confirmed_at is None or not owner.mobile:
        return None
    with override(owner.preferred_language or settings.LANGUAGE_CODE):
        subject = _("Sign-up attempt with your number")
        text = _(
            "Someone tried to create an account on the Zhongshan utility connection portal "
            "with your mobile number. If it was you, sign in or reset your password; if not, "
            "you need not do anything."
        )
    return Delivery.objects.create(
        event_id=uuid.uuid4(),
        event_type=EventType.MOBILE_CODE,
        channel=Channel.SMS,
        idempotency_key=f"signup-attempt:{owner.pk}:{uuid.uuid4().hex}",
        recipient_user=owner,
        subject=subject,
        body=text,
        payload={"to": owner.mobile},
    )
