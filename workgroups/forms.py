"""Applicant account forms: sign-up (company or person), rate-limited sign-in, invitations."""

import hashlib
import re

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.cache_guard import GuardedCache

from .models import User
from .validators import normalize_mobile, normalize_uscc, validate_mobile, validate_uscc

_MOBILE_SHAPE = re.compile(r"^1[3-9]\d{9}$")
# While Redis does not answer, each process counts failures on its own (core/cache_guard.py).
signin_cache = GuardedCache("signin", fallback="memory")


class MobileField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("validators", [validate_mobile])
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def to_python(self, value):
        return normalize_mobile(super().to_python(value))


class _PasswordsMixin(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            probe = User(
                username=data.get("mobile", ""),
                first_name=data.get("contact_name") or data.get("full_name") or "",
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class CompanySignupForm(_PasswordsMixin):
    company_name = forms.CharField(
        label=_("Company name"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    unified_social_credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=22,
        validators=[validate_uscc],
        help_text=_("18 characters, printed on the business licence."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    contact_name = forms.CharField(
        label=_("Contact person"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    mobile = MobileField(help_text=_("You sign in with this number."))
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    field_order = [
        "company_name",
        "unified_social_credit_code",
        "contact_name",
        "mobile",
        "email",
        "password1",
        "password2",
    ]

    def clean_unified_social_credit_code(self) -> str:
        return normalize_uscc(self.cleaned_data["unified_social_credit_code"])


class PersonSignupForm(_PasswordsMixin):
    full_name = forms.CharField(
        label=_("Full name"), max_length=60, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    mobile = MobileField(help_text=_("You sign in with this number."))
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    field_order = ["full_name", "mobile", "email", "password1", "password2"]


class InviteForm(forms.Form):
    full_name = forms.CharField(label=_("Colleague's name"), max_length=60)
    mobile = MobileField(help_text=_("Your colleague signs in with this number."))
    email = forms.EmailField(label=_("Email"), help_text=_("The invitation is sent here."))


class LoginThrottle:
    """Failed sign-ins counted in the cache per (login name, IP) and per IP, in a window."""

    def __init__(self, username: str, ip: str) -> None:
        name = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()[:32]
        self.keys = (f"login-fail:{name}", f"login-fail-ip:{ip}")
        self.limits = (settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_LIMIT_PER_IP)
        self.window = settings.LOGIN_FAILURE_WINDOW_SECONDS

    def locked(self) -> bool:
        counts = signin_cache.get_many(self.keys)
        return any(counts.get(k, 0) >= lim for k, lim in zip(self.keys, self.limits, strict=True))

    def fail(self) -> None:
        for key in self.keys:
            # add() starts the window; incr() keeps its expiry.
            if not signin_cache.add(key, 1, self.window):
                try:
                    signin_cache.incr(key)
                except ValueError:
                    signin_cache.set(key, 1, self.window)

    def succeed(self) -> None:
        signin_cache.delete(self.keys[0])


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing to even try a password after too many failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct username and password. Applicants sign in with their "
            "mobile number."
        ),
        "throttled": _(
            "Too many failed attempts. For your security, sign-in is paused for %(minutes)s "
            "minutes. You can reset your password meanwhile."
        ),
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Mobile number or user name")

    def clean_username(self) -> str:
        value = self.cleaned_data["username"]
        mobile = normalize_mobile(value)
        return mobile if _MOBILE_SHAPE.match(mobile) else value

    def clean(self) -> dict:
        username = self.data.get("username", "") or ""
        ip = (self.request.META.get("REMOTE_ADDR") if self.request else "") or "unknown"
        throttle = LoginThrottle(normalize_mobile(username) or username, ip)
        if throttle.locked():
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(throttle.window // 60, 1)},
            )
        try:
            data = super().clean()
        except forms.ValidationError:
            throttle.fail()
            raise
        throttle.succeed()
        return data
