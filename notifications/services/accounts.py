"""Messages to one person about their own account: the code that confirms a mobile number."""

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
def mobile_code_send(*, user: User) -> MobileConfirmation:
    """A new one-time code for the person's mobile number, sent as an SMS through the outbox
    (written in this transaction, delivered until the gateway takes it). The SMS text is the
    only place the code's plaintext lives, and only until it is sent (DeliveryMachine)."""
    challenge, code = mobile_code_issue(user=user)
    minutes = max(settings.MOBILE_CODE_TTL_SECONDS // 60, 1)
    with override(user.preferred_language or settings.LANGUAGE_CODE):
        subject = _("Mobile number confirmation code")
        text = _(
            "%(code)s is your code to confirm this mobile number on the Zhongshan utility "
            "connection portal. It is valid for %(minutes)s minutes. Never tell it to anyone."
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
