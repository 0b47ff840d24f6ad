"""Limits on guessing passwords and on account mail, for every sign-in path.

Sign-in (the portal's and the admin's alike) goes through django-axes: its backend stands first
in AUTHENTICATION_BACKENDS, so `authenticate()` refuses to even try a password once a limit is
reached, and its middleware turns the refusal into `lockout_response` below. Failures are kept in
the database (axes' AccessAttempt rows), not in Redis: the limiter holds while Redis is down,
counts the same in every web process, and staff can see and lift a lock in the admin.

- **The pair name + address is locked** after `LOGIN_FAILURE_LIMIT` failures, for
  `LOGIN_FAILURE_WINDOW_SECONDS` after the last one (`AXES_LOCKOUT_PARAMETERS`). The address is
  `core.client_address.client_address`, so behind the reverse proxy one attacker locks only
  their own address, never everybody, and a forged `X-Forwarded-For` changes nothing.
- **The name alone is slowed, never locked**: after `LOGIN_NAME_SLOWDOWN_AFTER` failures on one
  name from any addresses within the window, each further attempt on that name must wait
  `LOGIN_NAME_SLOWDOWN_SECONDS` after the last failure. Someone trying passwords from many
  addresses gets one guess per interval, and the owner still signs in from their own address.

Account mail (password-reset links, notices about a sign-up with a taken number) is limited per
client address and per recipient in the shared cache (`account_mail_allowed`).
"""

import datetime as dt
import hashlib
import logging
import math

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.cache_guard import GuardedCache

from .validators import normalize_login_name

logger = logging.getLogger(__name__)

# While Redis does not answer, each process counts account mail on its own (core/cache_guard.py).
mail_cache = GuardedCache("account_mail", fallback="memory")


def signin_name(request: HttpRequest, credentials: dict | None) -> str | None:
    """The name a sign-in attempt counts against, the same whichever form sent it: a mobile
    number in any spelling (`138 0013 8000`, `+86...`) is the number; other names ignore case
    (so `Admin` and `admin` share one count)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials is not None:
        value = credentials.get(field)
    else:
        value = getattr(request, "POST", {}).get(field)
    if value is None:
        return None
    return normalize_login_name(str(value).strip()).lower()[:255]  # axes' column


class SignInHandler(AxesDatabaseHandler):
    """axes' database handler plus the slow-down of a name tried from many addresses."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        wait = self.name_slowdown_seconds(request, credentials)
        if wait:
            # Read by lockout_response: "wait a few seconds", not "locked".
            request.signin_wait_seconds = wait
            return True
        return False

    def name_slowdown_seconds(self, request, credentials: dict | None = None) -> int:
        """Seconds this attempt must still wait because its name has failed too often lately
        (from any address); 0 when it may go ahead. Refused attempts are not counted, so the
        wait runs from the last password actually tried."""
        now = request.axes_attempt_time
        name = get_client_username(request, credentials)
        recent = AccessAttempt.objects.filter(
            username=name, attempt_time__gte=now - _window(request)
        ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if (recent["failures"] or 0) < settings.LOGIN_NAME_SLOWDOWN_AFTER:
            return 0
        waited = (now - recent["last"]).total_seconds()
        return max(math.ceil(settings.LOGIN_NAME_SLOWDOWN_SECONDS - waited), 0)

    def pair_lock_seconds(self, request, credentials: dict | None = None) -> int:
        """Seconds until the lock of this name + address lifts: the window after its last
        failure."""
        lasts = [
            last
            for attempts in self.get_user_attempts(request, credentials)
            if (last := attempts.aggregate(last=Max("attempt_time"))["last"]) is not None
        ]
        if not lasts:
            return 0
        remaining = (max(lasts) + _window(request) - request.axes_attempt_time).total_seconds()
        return max(math.ceil(remaining), 0)


def _window(request) -> dt.timedelta:
    return get_cool_off(request) or dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page answering a refused sign-in (portal or admin): 429 with Retry-After, in the
    page's language, through the portal's own templates."""
    wait = getattr(request, "signin_wait_seconds", 0)
    if wait:
        message = _(
            "Many sign-in attempts on this account failed recently. Please wait %(seconds)s "
            "seconds, then try again."
        ) % {"seconds": wait}
    else:
        handler = AxesProxyHandler.get_implementation()
        wait = (
            handler.pair_lock_seconds(request, credentials)
            if isinstance(handler, SignInHandler)
            else settings.LOGIN_FAILURE_WINDOW_SECONDS
        ) or settings.LOGIN_FAILURE_WINDOW_SECONDS
        message = _(
            "Too many failed attempts. For your security, sign-in is paused for %(minutes)s "
            "minutes. You can reset your password meanwhile."
        ) % {"minutes": max(math.ceil(wait / 60), 1)}
    response = render(
        request,
        "accounts/signin_paused.html",
        {"message": message},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(max(wait, 1))
    return response


def account_mail_allowed(
    *, kind: str, address: str, recipient: str, per_address: int, per_recipient: int
) -> bool:
    """Count one mail of `kind` asked from client `address` for `recipient`. False once the
    address has asked `per_address` times within the hour, or the recipient has been sent
    `per_recipient`: the caller then sends nothing and answers exactly as if it had. A refused
    address does not spend the recipient's budget."""
    digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:32]
    if _count(f"account-mail:{kind}:address:{address or 'unknown'}", 3600) > per_address:
        logger.warning("No %s mail sent: the client address reached its hourly limit", kind)
        return False
    if _count(f"account-mail:{kind}:recipient:{digest}", 3600) > per_recipient:
        logger.warning("No %s mail sent: the recipient reached its hourly limit", kind)
        return False
    return True


def _count(key: str, seconds: int) -> int:
    """One more under `key` (which lives `seconds` from its first count); the count so far."""

    def count(cache) -> int:
        if cache.add(key, 1, seconds):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between the two calls: a new window
            cache.set(key, 1, seconds)
            return 1

    return mail_cache.call(count)
