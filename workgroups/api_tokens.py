"""API tokens per organisation: created and revoked by services, resolved on every API call.

A token is `zsp_` + 43 random URL-safe characters (256 bits). Only its SHA-256 digest is stored:
with that much entropy a fast hash is enough (nobody can guess their way to a pre-image), and
it lets a request find its token with one indexed lookup. The plaintext is returned once, by
`api_token_create` (or `api_token_rotate`, which replaces a token by a new one), and never again.
Who may: a platform administrator, or a manager of the organisation (Membership role
"manager"); every creation, rotation and revocation writes an ApiTokenEvent.

A resolved token is kept in the default cache (Redis in a deployment) under its digest for
`API_TOKEN_CACHE_SECONDS`, so a busy client costs one cache read per request, not a join of three
tables. What must not wait for that cache to expire does not: revoking writes a tombstone over
the entry; saving or deleting a token, its organisation or its service account drops the entry
(Zulip flushes its cached user rows on post_save the same way); the expiry is checked on the
cached copy. A cache miss is also when the token's last use is noted, so that happens at most
about once a minute per token. While Redis does not answer, every lookup is a miss
(core/cache_guard.py): the database alone decides, and nothing is cached.
"""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.cache_guard import GuardedCache

from .constants import ApiTokenAction, MemberRole, OrganizationKind, Role
from .models import ApiToken, ApiTokenEvent, Membership, Organization, User
from .services import membership_add, roles_for_organization

TOKEN_PREFIX = "zsp_"  # noqa: S105 - a marker that makes leaked tokens greppable
VISIBLE_PREFIX_LENGTH = 12  # "zsp_" + 8 random characters
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_REVOKED = "revoked"  # the cached value of a revoked token: refused without asking the database
token_cache = GuardedCache("tokens", fallback=None)


class ApiScope(models.TextChoices):
    """What a token may do; each is offered only to organisations whose role needs it."""

    WORK_ITEMS_READ = "work_items:read", gettext_lazy("Read the operator's work items")
    WORK_ITEMS_WRITE = "work_items:write", gettext_lazy("Move work items, lease them")
    PERMITS_READ = "permits:read", gettext_lazy("Read the agency's permit requests")
    PERMITS_WRITE = "permits:write", gettext_lazy("Decide permit requests")
    PROJECTS_READ = "projects:read", gettext_lazy("Read projects the department pushed")
    PROJECTS_WRITE = "projects:write", gettext_lazy("Push project master data")
    DEMAND_SIGNALS_READ = "demand_signals:read", gettext_lazy("Read the demand signals it pushed")
    DEMAND_SIGNALS_WRITE = "demand_signals:write", gettext_lazy("Push early demand signals")
    DEMAND_NOTICES_READ = "demand_notices:read", gettext_lazy("Read the operator's demand notices")
    DEMAND_NOTICES_WRITE = "demand_notices:write", gettext_lazy("Acknowledge demand notices")
    WEBHOOKS_WRITE = "webhooks:write", gettext_lazy("Register and remove webhook endpoints")
    COMPANIES_WRITE = (
        "companies:write",
        gettext_lazy("Push company registry data (verifies applicant companies)"),
    )


_SCOPES_BY_ROLE: dict[str, set[str]] = {
    Role.OPERATOR: {
        ApiScope.WORK_ITEMS_READ,
        ApiScope.WORK_ITEMS_WRITE,
        ApiScope.DEMAND_NOTICES_READ,
        ApiScope.DEMAND_NOTICES_WRITE,
        ApiScope.WEBHOOKS_WRITE,
    },
    Role.PERMIT_AGENCY: {ApiScope.PERMITS_READ, ApiScope.PERMITS_WRITE},
    Role.DATA_PROVIDER: {
        ApiScope.PROJECTS_READ,
        ApiScope.PROJECTS_WRITE,
        ApiScope.DEMAND_SIGNALS_READ,
        ApiScope.DEMAND_SIGNALS_WRITE,
    },
    Role.COMPANY_REGISTRY: {ApiScope.COMPANIES_WRITE},
}


def organizations_using_the_api() -> models.QuerySet[Organization]:
    """Active organisations whose roles open some scope: operators, permit agencies and
    data-providing departments (as `roles_for_organization` derives the roles)."""
    return (
        Organization.objects.filter(is_active=True)
        .filter(
            Q(kind__in=[OrganizationKind.OPERATOR, OrganizationKind.DATA_PROVIDER])
            | Q(provides_data=True)
            | Q(permit_authorities__isnull=False)
        )
        .distinct()
        .order_by("kind", "code")
    )


def scopes_allowed(organization: Organization) -> frozenset[str]:
    """Every scope the organisation's roles allow (an applicant company gets none)."""
    roles = roles_for_organization(organization)
    return frozenset(str(scope) for role in roles for scope in _SCOPES_BY_ROLE.get(role, set()))


def token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def may_manage_tokens(actor: User, organization: Organization) -> bool:
    """Platform administrators (and holders of the add-token permission), and the managers of
    the organisation: Membership role "manager", set by an administrator."""
    if actor.is_superuser or actor.has_perm("workgroups.add_apitoken"):
        return True
    return Membership.objects.filter(
        user=actor, organization=organization, role=MemberRole.MANAGER
    ).exists()


def _service_user(organization: Organization) -> User:
    """The organisation's service account: the one its tokens already use, else a new one.

    Never adopted by user name, so a person who registered a look-alike name gains nothing.
    """
    existing = ApiToken.objects.filter(organization=organization).select_related("user").first()
    if existing is not None:
        user = existing.user
    else:
        user = None
        for suffix in ("", *(f".{secrets.token_hex(3)}" for _ in range(3))):
            try:
                with transaction.atomic():
                    user = User.objects.create(
                        username=f"api@{organization.code}{suffix}",
                        first_name=organization.name_zh[:150],
                    )
                break
            except IntegrityError:
                continue
        if user is None:
            raise RuntimeError(f"could not create a service account for {organization.code}")
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership_add(user=user, organization=organization)
    return user


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    organization: Organization,
    name: str,
    scopes: list[str],
    expires_at: dt.datetime | None = None,
    via: str = "",
) -> tuple[ApiToken, str]:
    """Create a token for the organisation; return it and its plaintext (shown only now)."""
    if not may_manage_tokens(actor, organization):
        raise PermissionDenied(_("You may not manage API tokens of this organisation."))
    token, plaintext = _issue(
        actor=actor, organization=organization, name=name, scopes=scopes, expires_at=expires_at
    )
    _audit(token, ApiTokenAction.CREATED, actor=actor, via=via)
    return token, plaintext


def _issue(
    *,
    actor: User,
    organization: Organization,
    name: str,
    scopes: list[str],
    expires_at: dt.datetime | None,
) -> tuple[ApiToken, str]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = [_("Give the token a name of at most 100 characters.")]
    allowed = scopes_allowed(organization)
    wanted = sorted(set(scopes or []))
    if not wanted:
        errors["scopes"] = [_("Choose at least one scope.")]
    elif unknown := [s for s in wanted if s not in ApiScope.values]:
        errors["scopes"] = [_("Unknown scopes: %s") % ", ".join(unknown)]
    elif refused := [s for s in wanted if s not in allowed]:
        errors["scopes"] = [_("This organisation's role does not allow: %s") % ", ".join(refused)]
    if not organization.is_active:
        errors["organization"] = [_("The organisation is not active.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if errors:
        raise ValidationError(errors)

    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization,
        user=_service_user(organization),
        name=name,
        prefix=plaintext[:VISIBLE_PREFIX_LENGTH],
        digest=token_digest(plaintext),
        scopes=wanted,
        created_by=actor,
        expires_at=expires_at,
    )
    return token, plaintext


@transaction.atomic
def api_token_rotate(*, actor: User, token: ApiToken, via: str = "") -> tuple[ApiToken, str]:
    """A new secret for the same use: a new token with the old one's name, scopes and
    lifetime (counted from now), which is revoked at once. Returns the new token and its
    plaintext (shown only now). To switch over without a gap, create a second token
    instead, move the system to it, then revoke the first."""
    if not may_manage_tokens(actor, token.organization):
        raise PermissionDenied(_("You may not manage API tokens of this organisation."))
    old = ApiToken.objects.select_for_update().select_related("organization").get(pk=token.pk)
    if old.revoked_at is not None:
        raise ValidationError(_("This token is revoked already: create a new one instead."))
    lifetime = old.expires_at - old.created_at if old.expires_at is not None else None
    new, plaintext = _issue(
        actor=actor,
        organization=old.organization,
        name=old.name,
        scopes=list(old.scopes),
        expires_at=timezone.now() + lifetime if lifetime is not None else None,
    )
    _revoke(actor=actor, token=old)
    _audit(new, ApiTokenAction.ROTATED, actor=actor, via=via, replaced=old)
    return new, plaintext


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken, via: str = "") -> ApiToken:
    """Revoke the token at once; revoking twice keeps the first time."""
    if not may_manage_tokens(actor, token.organization):
        raise PermissionDenied(_("You may not manage API tokens of this organisation."))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        _revoke(actor=actor, token=token)
        _audit(token, ApiTokenAction.REVOKED, actor=actor, via=via)
    return token


def _audit(
    token: ApiToken,
    action: str,
    *,
    actor: User,
    via: str,
    replaced: ApiToken | None = None,
) -> ApiTokenEvent:
    return ApiTokenEvent.objects.create(
        token=token,
        organization_id=token.organization_id,
        action=action,
        actor=actor,
        replaced=replaced,
        via=via,
    )


def _revoke(*, actor: User, token: ApiToken) -> None:
    """Mark the (locked) token revoked, and refuse it from the next request on."""
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    # Refused from the next request on: the cached copy goes now (a rollback then only costs a
    # cache miss), and once committed a tombstone replaces whatever a request that read the row
    # before the commit may have cached meanwhile (caching is `add`: it never replaces one).
    key, seconds = _cache_key(token.digest), _cache_seconds()
    token_cache.delete(key)
    if seconds:
        transaction.on_commit(lambda: token_cache.set(key, _REVOKED, seconds))


def _cache_key(digest: str) -> str:
    return f"apitoken:{digest}"


def _cache_seconds() -> int:
    return settings.API_TOKEN_CACHE_SECONDS


def api_token_resolve(plaintext: str) -> ApiToken | None:
    """The live token for this plaintext (with its organisation and service account), or None.

    From the cache when it holds it, else from the database, which also notes the token's use
    (at most once a minute). Expiry and active flags are checked on the cached copy too.
    """
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    now = timezone.now()
    digest = token_digest(plaintext)
    seconds = _cache_seconds()
    token = token_cache.get(_cache_key(digest)) if seconds else None
    if token is None:
        token = _token_from_database(digest, now)
        if token is None:
            return None  # unknown tokens are not cached: nobody can fill the cache with them
        if seconds:
            token_cache.add(_cache_key(digest), token, seconds)
    elif not isinstance(token, ApiToken):
        return None  # revoked
    if (
        token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
        or not token.organization.is_active
        or not token.user.is_active
    ):
        return None
    return token


def _token_from_database(digest: str, now: dt.datetime) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("organization", "user")
        .filter(digest=digest, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None or not token.organization.is_active or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional, so concurrent requests in the same minute write at most once.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def forget_cached_token(sender, instance: ApiToken, **kwargs) -> None:
    """A saved or deleted token is read from the database on its next request."""
    token_cache.delete(_cache_key(instance.digest))


def forget_cached_tokens_of(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    """A deactivated organisation or service account is refused from its next request."""
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # new (no tokens yet), or a person signing in: nothing a token depends on
    owner = "organization" if sender is Organization else "user"
    digests = ApiToken.objects.filter(**{owner: instance}).values_list("digest", flat=True)
    token_cache.delete_many([_cache_key(digest) for digest in digests])
