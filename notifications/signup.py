"""The public sign-up pages (company and person). They end on one page whatever the number:
"We sent a code to 138****8000", so nobody learns from them whether a number has an account.

- A free number gets an inactive account waiting for the code sent by SMS (the mobile-code
  machinery of workgroups/mobile.py: hashed, expiring, few attempts, resend pause, daily
  limit); the right code activates it, confirms the number, creates the company (or the
  one-person organisation) and signs the person in.
- A taken number creates nothing; its owner is told by e-mail, and by SMS to a confirmed
  number. The page, the resend button and any code typed answer exactly as for a real
  sign-up whose code is wrong (the resend limits are counted in the session).
"""

import contextlib
import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.client_address import client_address
from core.forms import error_summary
from core.web import errors_to_form
from workgroups.constants import VerificationStatus
from workgroups.forms import CompanySignupForm, PersonSignupForm
from workgroups.mobile import mobile_code_allowance, mobile_code_confirm
from workgroups.models import CompanyIdentity, PendingSignup, User
from workgroups.registration import (
    RegistrationError,
    signup_complete,
    signup_pending,
    signup_start,
)
from workgroups.signin import account_mail_allowed
from workgroups.views import SIGNUP_NOTICES_PER_HOUR, signup_attempt_mail

from .services.accounts import mobile_code_send, signup_attempt_sms
from .tasks import dispatch
from .views import MobileCodeForm

BACKEND = "django.contrib.auth.backends.ModelBackend"
SESSION_KEY = "signup"


def masked_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 11 else mobile


def _dispatch_on_commit() -> None:
    # The outbox row is committed: hand it to a worker now (the next dispatch would anyway).
    transaction.on_commit(lambda: dispatch.delay(), robust=True)


def _send(state: dict, user: User | None, now: dt.datetime) -> None:
    """A code for the sign-up in `state`: a real SMS for a pending account; for a taken
    number (or an expired sign-up) only the count the same limits would keep."""
    if user is not None:
        mobile_code_send(user=user, signup=True)
        _dispatch_on_commit()
        return
    sent = [dt.datetime.fromisoformat(at) for at in state.get("sent", [])]
    sent = [at for at in sent if at > now - dt.timedelta(days=1)]
    mobile_code_allowance(last_sent=max(sent, default=None), sent_today=len(sent), now=now)
    state["sent"] = [at.isoformat() for at in [*sent, now]]


def _tell_owner(request: HttpRequest, owner: User) -> None:
    signup_attempt_mail(request, owner)
    if owner.mobile_confirmed_at is not None and account_mail_allowed(
        kind="signup-notice-sms",
        address=client_address(request),
        recipient=owner.mobile,
        per_address=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
        per_recipient=SIGNUP_NOTICES_PER_HOUR,
    ):
        signup_attempt_sms(owner=owner)
        _dispatch_on_commit()


def _signup(request: HttpRequest, form_class, kind: str, template: str) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("applications:dashboard")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = (
            {
                "company_name": data["company_name"].strip(),
                "unified_social_credit_code": data["unified_social_credit_code"],
            }
            if kind == PendingSignup.KIND_COMPANY
            else {}
        )
        try:
            start = signup_start(
                kind=kind,
                mobile=data["mobile"],
                full_name=data.get("contact_name") or data.get("full_name") or "",
                email=data["email"],
                password=data["password1"],
                details=details,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            state: dict = {"mobile": start.mobile, "user": None, "sent": []}
            if start.owner is not None:
                _tell_owner(request, start.owner)
            if start.pending is not None:
                state["user"] = start.pending.pk
            # Refused only when a code went out moments ago: the page offers another.
            with contextlib.suppress(ValidationError):
                _send(state, start.pending, timezone.now())
            request.session[SESSION_KEY] = state
            return redirect("signup_confirm")
    return render(request, template, {"form": form})


@require_http_methods(["GET", "POST"])
def signup_company(request: HttpRequest) -> HttpResponse:
    return _signup(
        request, CompanySignupForm, PendingSignup.KIND_COMPANY, "accounts/signup_company.html"
    )


@require_http_methods(["GET", "POST"])
def signup_person(request: HttpRequest) -> HttpResponse:
    return _signup(
        request, PersonSignupForm, PendingSignup.KIND_PERSON, "accounts/signup_person.html"
    )


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest) -> HttpResponse:
    """Type the code from the SMS (or ask for a new one) to finish the sign-up."""
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict) or not state.get("mobile"):
        return redirect("signup")
    now = timezone.now()
    user = signup_pending(user_id=state.get("user"), now=now)
    form = MobileCodeForm()
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            _send(state, user, now)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            request.session[SESSION_KEY] = state
            messages.success(request, _("A new code is on its way to your mobile number."))
        return redirect("signup_confirm")
    if request.method == "POST":
        form = MobileCodeForm(request.POST)
        if form.is_valid():
            if user is not None:
                try:
                    with transaction.atomic():
                        result = mobile_code_confirm(user=user, code=form.cleaned_data["code"])
                        if result.confirmed:
                            signup_complete(user=user, now=now)
                except RegistrationError as exc:
                    errors_to_form(form, exc)
                else:
                    if result.confirmed:
                        return _signed_in(request, user)
            if not form.errors:
                # The same words for a wrong, used-up or expired code and for a number whose
                # sign-up created nothing.
                form.add_error("code", _("The code is wrong or has expired."))
    return render(
        request,
        "accounts/signup_confirm.html",
        {
            "form": form,
            "masked_mobile": masked_mobile(state["mobile"]),
            "sms_console": settings.DEBUG and settings.SMS_BACKEND.endswith("ConsoleBackend"),
            "error_links": error_summary(form),
        },
    )


def _signed_in(request: HttpRequest, user: User) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    login(request, user, backend=BACKEND)
    if CompanyIdentity.objects.filter(
        organization__memberships__user=user, status=VerificationStatus.DISPUTED
    ).exists():
        messages.warning(
            request,
            _(
                "Your account is ready, but another account registered this credit "
                "code first. Staff of the market regulator will decide which company "
                "holds it; you will be told by message and e-mail. If you work for "
                "the same company, ask its account manager to invite you instead."
            ),
        )
    else:
        messages.success(request, _("Welcome! Your account is ready. Start with a project."))
    return redirect("applications:dashboard")
