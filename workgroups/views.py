"""Account pages: sign-in, password reset, colleagues and invitations. The public sign-up
pages send SMS codes, so they live in notifications/signup.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from core.client_address import client_address
from core.web import errors_to_form

from .constants import MemberRole, OrganizationKind
from .forms import InviteForm, SignInForm
from .models import Membership, User
from .registration import colleague_invite
from .selectors import is_staff_member
from .signin import account_mail_allowed

# An account's owner hears of a sign-up attempt with their number at most this often an hour.
SIGNUP_NOTICES_PER_HOUR = 1


class LoginView(auth_views.LoginView):
    """How often one may try is django-axes' business (workgroups/signin.py)."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        # Without a safe `next` (Django's get_redirect_url answers that first): applicants land
        # on their requests, staff on their work queue.
        user = self.request.user
        if _applicant_membership(user) is not None:
            return reverse("applications:dashboard")
        if is_staff_member(user):
            return reverse("staff:queue")
        return super().get_default_redirect_url()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, sending nothing once the client address or the e-mail address has had its
    hourly share; the answer is the same either way ("if an account uses that address...")."""

    def form_valid(self, form):
        if not account_mail_allowed(
            kind="password-reset",
            address=client_address(self.request),
            recipient=form.cleaned_data["email"],
            per_address=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
            per_recipient=settings.PASSWORD_RESET_LIMIT_PER_EMAIL,
        ):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


def _applicant_membership(user: User) -> Membership | None:
    return (
        Membership.objects.filter(user=user, organization__kind=OrganizationKind.APPLICANT_COMPANY)
        .select_related("organization")
        .first()
    )


def signup_attempt_mail(request: HttpRequest, owner: User) -> None:
    """Tell the owner of a number that someone tried to sign up with it (by e-mail, at most
    SIGNUP_NOTICES_PER_HOUR; the SMS to a confirmed number: notifications/signup.py)."""
    if not owner.email or not account_mail_allowed(
        kind="signup-notice",
        address=client_address(request),
        recipient=owner.email,
        per_address=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
        per_recipient=SIGNUP_NOTICES_PER_HOUR,
    ):
        return
    mobile = owner.mobile or owner.get_username()
    context = {
        "user": owner,
        "masked_mobile": f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 11 else mobile,
        "reset_link": request.build_absolute_uri(reverse("password_reset")),
        "login_link": request.build_absolute_uri(reverse("login")),
    }
    send_mail(
        subject=render_to_string("accounts/signup_attempt_subject.txt", context).strip(),
        message=render_to_string("accounts/signup_attempt_email.txt", context),
        from_email=None,
        recipient_list=[owner.email],
    )


def _send_invitation(request: HttpRequest, inviter: User):
    def send(user: User) -> None:
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context = {
            "user": user,
            "inviter": inviter,
            "link": request.build_absolute_uri(path),
            "organization": user.memberships.select_related("organization").first().organization,
        }
        send_mail(
            subject=render_to_string("accounts/invitation_subject.txt", context).strip(),
            message=render_to_string("accounts/invitation_email.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )

    return send


@login_required
def colleagues(request: HttpRequest) -> HttpResponse:
    membership = _applicant_membership(request.user)
    if membership is None:
        raise PermissionDenied
    organization = membership.organization
    is_manager = membership.role == MemberRole.MANAGER
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not is_manager:
            raise PermissionDenied
        if form.is_valid():
            try:
                colleague_invite(
                    actor=request.user,
                    organization=organization,
                    notify=_send_invitation(request, request.user),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("Invitation sent."))
                return redirect("colleagues")
    members = organization.memberships.select_related("user").order_by("created_at")
    return render(
        request,
        "accounts/colleagues.html",
        {"organization": organization, "members": members, "form": form, "is_manager": is_manager},
    )
