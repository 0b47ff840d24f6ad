"""Confirming a person's mobile number with a one-time code (sent by the notifications engine).

The code is six digits: easy to type from an SMS, and only ever useful for minutes. Only a
keyed hash of it is stored (HMAC-SHA256 with the site's secret key, salted with the person and
the number): a copy of the database alone does not give it away, although a million candidates
would be quick to try against an unkeyed hash. Guessing is bounded by the attempts a code takes
(MOBILE_CODE_MAX_ATTEMPTS), by its lifetime (MOBILE_CODE_TTL_SECONDS), by the pause between two
codes (MOBILE_CODE_RESEND_SECONDS) and by the codes a person may ask for in a day
(MOBILE_CODE_DAILY_LIMIT), which also caps what a mischievous caller costs in SMS.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import MobileConfirmation, User
from .validators import normalize_mobile, validate_mobile

CODE_DIGITS = 6
_SALT = "workgroups.mobile.code"


def _digest(user: User, mobile: str, code: str) -> str:
    return salted_hmac(_SALT, f"{user.pk}:{mobile}:{code}", algorithm="sha256").hexdigest()


def _live(user: User, now: dt.datetime):
    return MobileConfirmation.objects.filter(
        user=user, confirmed_at__isnull=True, expires_at__gt=now
    )


@transaction.atomic
def mobile_code_issue(
    *, user: User, now: dt.datetime | None = None
) -> tuple[MobileConfirmation, str]:
    """A new code for the user's mobile number, and its plaintext (for the SMS only). Earlier
    codes stop working. Refused while the last one was sent too recently, and past the day's
    limit."""
    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per person
    mobile = normalize_mobile(user.mobile)
    try:
        validate_mobile(mobile)
    except ValidationError as exc:
        raise ValidationError({"mobile": _("Your account has no valid mobile number.")}) from exc
    last = MobileConfirmation.objects.filter(user=user).order_by("-created_at").first()
    sent_today = MobileConfirmation.objects.filter(
        user=user, created_at__gt=now - dt.timedelta(days=1)
    ).count()
    mobile_code_allowance(
        last_sent=last.created_at if last else None, sent_today=sent_today, now=now
    )
    # A new code ends the earlier ones: only the last SMS counts.
    _live(user, now).update(expires_at=now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge = MobileConfirmation.objects.create(
        user=user,
        mobile=mobile,
        code_digest=_digest(user, mobile, code),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.MOBILE_CODE_TTL_SECONDS),
    )
    return challenge, code


def mobile_code_allowance(
    *, last_sent: dt.datetime | None, sent_today: int, now: dt.datetime
) -> None:
    """Refuse a new code (ValidationError on `mobile`, the words the person sees) while the
    last one went out too recently, and past the day's limit."""
    wait = settings.MOBILE_CODE_RESEND_SECONDS
    if last_sent is not None and (now - last_sent).total_seconds() < wait:
        seconds = math.ceil(wait - (now - last_sent).total_seconds())
        raise ValidationError(
            {
                "mobile": ngettext(
                    "A code was just sent. You can ask for another in %(n)s second.",
                    "A code was just sent. You can ask for another in %(n)s seconds.",
                    seconds,
                )
                % {"n": seconds}
            }
        )
    if sent_today >= settings.MOBILE_CODE_DAILY_LIMIT:
        raise ValidationError({"mobile": _("Too many codes were sent today. Try again tomorrow.")})


@dataclass(frozen=True)
class MobileCheck:
    confirmed: bool
    message: str = ""


def mobile_code_confirm(*, user: User, code: str, now: dt.datetime | None = None) -> MobileCheck:
    """Check a typed code. A wrong code uses up one attempt (kept even though the answer is a
    refusal); the last attempt ends the code. Right: the number is confirmed."""
    now = now or timezone.now()
    code = "".join((code or "").split())
    with transaction.atomic():
        challenge = (
            MobileConfirmation.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if challenge is None:
            return MobileCheck(False, _("Ask for a code first."))
        if challenge.expires_at <= now:
            return MobileCheck(False, _("This code has expired. Ask for a new one."))
        limit = settings.MOBILE_CODE_MAX_ATTEMPTS
        if challenge.attempts >= limit:
            return MobileCheck(False, _("Too many wrong codes. Ask for a new one."))
        right = (
            hmac.compare_digest(challenge.code_digest, _digest(user, challenge.mobile, code))
            and code.isdigit()
        )
        if not right:
            challenge.attempts += 1
            fields = ["attempts"]
            if challenge.attempts >= limit:
                challenge.expires_at = now
                fields.append("expires_at")
            challenge.save(update_fields=fields)
            left = limit - challenge.attempts
            if left <= 0:
                return MobileCheck(False, _("Too many wrong codes. Ask for a new one."))
            return MobileCheck(
                False,
                ngettext(
                    "That code is not right. %(n)s attempt left.",
                    "That code is not right. %(n)s attempts left.",
                    left,
                )
                % {"n": left},
            )
        challenge.confirmed_at = now
        challenge.save(update_fields=["confirmed_at"])
        if normalize_mobile(user.mobile) != challenge.mobile:
            return MobileCheck(False, _("Your mobile number changed since the code was sent."))
        User.objects.filter(pk=user.pk).update(mobile_confirmed_at=now)
        user.mobile_confirmed_at = now
    return MobileCheck(True)
