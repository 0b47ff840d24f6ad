"""Applicant account forms: sign-up (company or person), sign-in, invitations."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .constants import AccessDoor, AccessKind
from .models import User
from .validators import (
    normalize_login_name,
    normalize_mobile,
    normalize_uscc,
    validate_mobile,
    validate_uscc,
)


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


class SignInForm(AuthenticationForm):
    """Django's sign-in form taking a mobile number in any spelling. How often one may try is
    the limiter's business (workgroups/signin.py), for this form and the admin's alike."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct username and password. Applicants sign in with their "
            "mobile number."
        ),
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Mobile number or user name")

    def clean_username(self) -> str:
        return normalize_login_name(self.cleaned_data["username"])


class AccessLogFilterForm(forms.Form):
    """The access log's search (staff site): every field optional, all combined with AND."""

    person = forms.CharField(label=_("Person (account name)"), max_length=150, required=False)
    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None, required=False, empty_label=_("Any")
    )
    subject = forms.CharField(
        label=_("Case reference or public id"),
        max_length=64,
        required=False,
        help_text=_("A case's reference number, or the public id of a case or document."),
    )
    kind = forms.ChoiceField(label=_("What was read"), required=False)
    door = forms.ChoiceField(label=_("Door"), required=False)
    since = forms.DateField(
        label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ip_address = forms.GenericIPAddressField(label=_("IP address"), required=False)

    def __init__(self, *args, organizations=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any")), *AccessKind.choices]
        self.fields["door"].choices = [("", _("Any")), *AccessDoor.choices]
        if organizations is None:
            # Managers see their own organisation's people only: nothing to choose.
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the range is before its start."))
        return data
