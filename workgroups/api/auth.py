"""Who is calling the API, for which organisation, and with which scopes.

An API token acts as its organisation's service account (a member, so guardian object
permissions granted to the organisation's group apply unchanged). A browser session acts for
the user's one organisation with every scope that organisation's role allows.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission

from ..api_tokens import api_token_resolve, scopes_allowed
from ..models import ApiToken, Membership, Organization


@dataclass(frozen=True)
class Principal:
    """The organisation a request acts for and what it may do there."""

    organization: Organization | None
    scopes: frozenset[str]
    token: ApiToken | None = None

    @property
    def idempotency_scope(self) -> str | None:
        return f"org:{self.organization.uuid}" if self.organization is not None else None


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer zsp_...`: the organisation's token (see docs/api.md)."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the header as 'Authorization: Bearer <token>'."))
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed(_("Invalid token.")) from exc
        token = api_token_resolve(plaintext)
        if token is None:
            raise AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _("An organisation's API token (`zsp_...`); see docs/api.md."),
        }


def principal_of(request) -> Principal:
    """Resolved once per request and cached on it."""
    cached = getattr(request, "_api_principal", None)
    if cached is not None:
        return cached
    if isinstance(request.auth, ApiToken):
        token = request.auth
        principal = Principal(token.organization, frozenset(token.scopes), token)
    elif request.user is not None and request.user.is_authenticated:
        memberships = list(
            Membership.objects.filter(user=request.user).select_related("organization")[:2]
        )
        # A person acting for several organisations has no implicit one: use a token.
        if len(memberships) == 1 and memberships[0].organization.is_active:
            org = memberships[0].organization
            principal = Principal(org, scopes_allowed(org))
        else:
            principal = Principal(None, frozenset())
    else:
        principal = Principal(None, frozenset())
    request._api_principal = principal
    return principal


class HasScope(BasePermission):
    """The view names the scope each action needs (`required_scopes`); unnamed = denied."""

    def has_permission(self, request, view) -> bool:
        if request.method == "OPTIONS" or not hasattr(view, request.method.lower()):
            return True  # no handler for the method: the view answers 405
        required = getattr(view, "required_scopes", {})
        action = getattr(view, "action", None) or request.method.lower()
        if action not in required:
            raise PermissionDenied(_("This endpoint is not available to you."))
        needed = required[action]
        if needed is None:
            return True
        principal = principal_of(request)
        options = (needed,) if isinstance(needed, str) else tuple(needed)
        if principal.organization is None or not set(options) & principal.scopes:
            raise PermissionDenied(
                _("This needs the scope %(scope)s for your organisation.")
                % {"scope": " or ".join(options)}
            )
        return True
