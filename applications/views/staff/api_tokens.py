"""API tokens on the staff site: an organisation's managers create, rotate and revoke its
tokens (docs/api.md, section 1). A token's secret is shown once, on the page that answers its
creation or rotation, and never again; the services write the audit rows.

Who may: the organisation's managers (Membership role "manager", given by a platform
administrator in the admin) and platform administrators. Anyone else gets 403; another
organisation's token answers 404, as a token that does not exist.
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import error_summary
from core.web import errors_to_form
from workgroups.api_tokens import (
    ApiScope,
    api_token_create,
    api_token_revoke,
    api_token_rotate,
    scopes_allowed,
)
from workgroups.constants import ApiTokenChannel
from workgroups.models import ApiToken, Organization
from workgroups.selectors import (
    api_token_events_of,
    api_token_for_manager,
    api_tokens_of,
    token_organizations_for,
)

from .common import staff_errors

MAX_EXPIRY_DAYS = 3650


class TokenForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("api token", "Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. 'dispatch system'."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Give each system only what it needs."),
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text=gettext_lazy("Empty: it does not expire. Any token can be revoked at once."),
    )

    def __init__(self, *args, allowed: frozenset[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (scope.value, f"{scope.value} · {scope.label}")
            for scope in ApiScope
            if scope.value in allowed
        ]


def _organization(request: HttpRequest, organizations: list[Organization]) -> Organization:
    code = request.POST.get("org") or request.GET.get("org")
    for organization in organizations:
        if organization.code == code:
            return organization
    return organizations[0]


def _list_url(token: ApiToken) -> str:
    return reverse("staff:api_tokens") + f"?org={token.organization.code}"


def _back(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("staff:api_tokens")


def _secret_page(
    request: HttpRequest, token: ApiToken, plaintext: str, *, replaced: ApiToken | None = None
) -> HttpResponse:
    """The only time the secret is shown: the answer to the POST, never stored, never cached."""
    response = render(
        request,
        "staff/api_token_secret.html",
        {
            "token": token,
            "plaintext": plaintext,
            "replaced": replaced,
            "back": _list_url(token),
            "staff_section": "api_tokens",
        },
    )
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    organizations = token_organizations_for(user=request.user)
    if not organizations:
        return render(request, "staff/api_tokens_refused.html", status=403)
    organization = _organization(request, organizations)
    allowed = scopes_allowed(organization)
    form = TokenForm(allowed=allowed)
    if request.method == "POST":
        form = TokenForm(request.POST, allowed=allowed)
        if form.is_valid():
            days = form.cleaned_data["expires_in_days"]
            try:
                token, plaintext = api_token_create(
                    actor=request.user,
                    organization=organization,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
                    via=ApiTokenChannel.STAFF_SITE,
                )
            except ValidationError as exc:
                for messages_ in errors_to_form(form, exc).values():
                    form.add_error(None, messages_)
            else:
                return _secret_page(request, token, plaintext)
    return render(
        request,
        "staff/api_tokens.html",
        {
            "organizations": organizations,
            "organization": organization,
            "tokens": api_tokens_of(organization=organization),
            "events": api_token_events_of(organization=organization),
            "form": form,
            "now": timezone.now(),
            "staff_section": "api_tokens",
            "error_links": error_summary(form),
        },
    )


def _token(request: HttpRequest, uuid) -> ApiToken:
    token = api_token_for_manager(user=request.user, uuid=uuid)
    if token is None:
        raise Http404
    return token


@require_POST
@login_required
@staff_errors(back=_back)
def api_token_rotate_view(request: HttpRequest, uuid) -> HttpResponse:
    old = _token(request, uuid)
    token, plaintext = api_token_rotate(
        actor=request.user, token=old, via=ApiTokenChannel.STAFF_SITE
    )
    return _secret_page(request, token, plaintext, replaced=old)


@require_POST
@login_required
@staff_errors(back=_back)
def api_token_revoke_view(request: HttpRequest, uuid) -> HttpResponse:
    token = _token(request, uuid)
    api_token_revoke(actor=request.user, token=token, via=ApiTokenChannel.STAFF_SITE)
    messages.success(
        request,
        _("Token %(prefix)s revoked: it is refused from now on.") % {"prefix": token.prefix},
    )
    return redirect(_list_url(token))
