"""Webhook endpoints: an organisation registers where its signed events go, and removes them.

The signing scheme (HMAC-SHA256 over "<timestamp>.<body>") is in notifications/signing.py and
docs/notifications.md. A removed endpoint is deactivated, not deleted: its Delivery rows point
at it and stay visible to staff.
"""

import ipaddress
import logging
import secrets
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFound, ValidationError
from core.workflow import apply_many
from workgroups.models import ApiToken, Membership, Organization, User
from workgroups.services import ensure_member

from ..constants import Channel, DeliveryStatus, WebhookAuditAction
from ..models import Delivery, WebhookEndpoint, WebhookEndpointEvent
from ..workflow import DELIVERY

logger = logging.getLogger("notifications.webhooks")

MAX_ACTIVE_ENDPOINTS = 5  # every event goes to each of them
SECRET_MIN_LENGTH = 24
SECRET_MAX_LENGTH = 128  # WebhookEndpoint.secret
URL_MAX_LENGTH = 500  # WebhookEndpoint.url
GENERATED_SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker that makes leaked secrets greppable
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def loopback_allowed() -> bool:
    """Receivers on this machine (plain http too): with DEBUG, or with the setting
    WEBHOOKS_ALLOW_LOOPBACK (env var; the test settings turn it on for the receivers the
    suite starts itself). Decides at registration and at every delivery alike."""
    return bool(settings.DEBUG or settings.WEBHOOKS_ALLOW_LOOPBACK)


# Address blocks that are not the public internet although ipaddress (3.11) calls them global:
# site-local (deprecated, still routed inside some networks), local-use NAT64 (RFC 8215: a
# network's own translator), the IPv6 documentation blocks and SRv6 segment ids.
NOT_PUBLIC_NETWORKS = tuple(
    ipaddress.ip_network(block)
    for block in ("fec0::/10", "64:ff9b:1::/48", "2001:db8::/32", "3fff::/20", "5f00::/16")
)
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: 64:ff9b::10.0.0.1
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::10.0.0.1 (:: and ::1 aside)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for (a packet to it reaches them): mapped
    ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::
    and both Teredo ends (2001:0:server:..:client). Empty for an ordinary IPv6 address."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in NAT64_WELL_KNOWN or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        return [low32]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def _own_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if ip.is_loopback:
        return "loopback"
    not_public = (
        not ip.is_global
        or ip.is_private
        or ip.is_multicast
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
        or any(ip in network for network in NOT_PUBLIC_NETWORKS)
    )
    return "private" if not_public else "public"


def address_kind(address: str) -> str:
    """Classify one IP address, whatever its spelling: loopback, private (not on the public
    internet: private, CGNAT, link-local, multicast, reserved, unspecified, documentation...)
    or public. The one classification for registration (API and staff site) and delivery.

    An IPv6 address that carries an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) is
    judged by the IPv4 it reaches: ::ffff:10.0.0.1 and 64:ff9b::10.0.0.1 are private,
    64:ff9b::8.8.8.8 (what a DNS64 resolver answers for a public host) is public. Only the
    mapped form is the same socket as its IPv4 address, so only ::ffff:127.0.0.1 is loopback;
    loopback reached through a translator or tunnel is refused as private.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv4Address) or ip.is_loopback or ip.is_unspecified:
        return _own_kind(ip)
    embedded = _embedded_ipv4(ip)
    if not embedded:
        return _own_kind(ip)
    kinds = {_own_kind(v4) for v4 in embedded}
    if ip.ipv4_mapped is not None:
        return kinds.pop()
    return "public" if kinds == {"public"} else "private"


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to now (a literal IP gives itself); OSError if none."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass  # a name
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_addresses(addresses: list[str]) -> list[str]:
    """The addresses events must not be sent to: anything not on the public internet, except
    loopback when loopback_allowed() (receivers on this machine in development and tests)."""
    allowed = {"public", "loopback"} if loopback_allowed() else {"public"}
    return [address for address in addresses if address_kind(address) not in allowed]


def _addresses_now(host: str, port: int) -> list[str]:
    """Where the host resolves now; a loopback name resolves to loopback even without DNS
    (RFC 6761), and any other name that does not resolve yet to nothing."""
    name = host.lower().rstrip(".")
    try:
        return resolve(name, port)
    except (OSError, UnicodeError):
        return ["127.0.0.1"] if name in LOOPBACK_NAMES or name.endswith(".localhost") else []


def webhook_url_errors(url: str) -> list[str]:
    """Why `url` cannot receive webhooks (empty: it can). HTTPS to a public host in production;
    also plain http to 127.0.0.1 / localhost when loopback_allowed().

    The host is judged by every address it resolves to now (SSRF guard). A name that does not
    resolve yet is accepted: nothing can be sent to it, and every delivery resolves the name
    again and refuses a non-public address then (DNS rebinding).
    """
    if len(url) > URL_MAX_LENGTH:
        return [_("At most %(max)s characters.") % {"max": URL_MAX_LENGTH}]
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port  # .port: ValueError when out of range
    except (ValidationError, ValueError):
        return [_("Enter a valid http(s) URL.")]
    if parts.username is not None or parts.password is not None:
        return [_("Do not put credentials in the URL; the signature authenticates us.")]
    if parts.fragment:
        return [_("A URL with a #fragment cannot receive requests.")]
    addresses = _addresses_now(host, port or (443 if parts.scheme == "https" else 80))
    if refused := refused_addresses(addresses):
        return [
            _(
                "The URL must point to a public host, not a loopback or private address "
                "(%(host)s is %(addresses)s)."
            )
            % {"host": host, "addresses": ", ".join(refused)}
        ]
    on_this_machine = bool(addresses) and all(address_kind(a) == "loopback" for a in addresses)
    if parts.scheme != "https" and not on_this_machine:
        return [_("Use https: events carry personal and project data.")]
    return []


def webhook_secret_errors(secret: str) -> list[str]:
    if not SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH:
        return [
            _("From %(min)s to %(max)s characters.")
            % {"min": SECRET_MIN_LENGTH, "max": SECRET_MAX_LENGTH}
        ]
    if any(not "\x21" <= ch <= "\x7e" for ch in secret):
        return [_("Visible ASCII characters only (no spaces).")]
    return []


def _audit(
    endpoint: WebhookEndpoint,
    action: str,
    *,
    actor: User,
    api_token: ApiToken | None = None,
    detail: str = "",
) -> WebhookEndpointEvent:
    return WebhookEndpointEvent.objects.create(
        endpoint=endpoint,
        organization_id=endpoint.organization_id,
        action=action,
        url=endpoint.url,
        actor=actor,
        api_token=api_token,
        detail=detail[:300],
    )


@transaction.atomic
def webhook_endpoint_staff_saved(
    *, actor: User, endpoint: WebhookEndpoint, adding: bool, was_active: bool, changed: list[str]
) -> WebhookEndpointEvent | None:
    """Audit what a platform administrator did to an endpoint in the staff site (saved by
    the admin form in the same transaction): registered, deactivated, reactivated, changed."""
    if adding:
        action = WebhookAuditAction.REGISTERED
    elif was_active != endpoint.is_active:
        active = endpoint.is_active
        action = WebhookAuditAction.REACTIVATED if active else WebhookAuditAction.DEACTIVATED
    elif changed:
        action = WebhookAuditAction.CHANGED
    else:
        return None
    # Field names only: a changed secret is noted, never its value.
    return _audit(endpoint, action, actor=actor, detail=f"staff site: {', '.join(changed)}")


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor: User,
    organization: Organization,
    url: str,
    secret: str | None = None,
    api_token: ApiToken | None = None,
) -> tuple[WebhookEndpoint, str | None]:
    """Register an endpoint for the organisation's events.

    Returns the endpoint and, when no secret was given, the strong one generated for it (the
    caller shows it once; it is never shown again). At most MAX_ACTIVE_ENDPOINTS active
    endpoints per organisation, and no URL twice. The audit trail records who registered it
    and with which API token (`api_token`, when the request came with one).
    """
    ensure_member(actor, organization)
    # One registration at a time per organisation, so the limit and the duplicate check hold.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    url = (url or "").strip()
    errors: dict[str, list[str]] = {}
    if url_errors := webhook_url_errors(url):
        errors["url"] = url_errors
    else:
        mine = WebhookEndpoint.objects.filter(organization=organization, is_active=True)
        if mine.filter(url=url).exists():
            errors["url"] = [_("This URL is registered already.")]
    if secret is not None and (secret_errors := webhook_secret_errors(secret)):
        errors["secret"] = secret_errors
    active = WebhookEndpoint.objects.filter(organization=organization, is_active=True).count()
    if active >= MAX_ACTIVE_ENDPOINTS:
        errors["__all__"] = [
            _("At most %(max)s active endpoints; remove one first.") % {"max": MAX_ACTIVE_ENDPOINTS}
        ]
    if errors:
        raise ValidationError(errors)
    generated = None
    if secret is None:
        generated = secret = GENERATED_SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(organization=organization, url=url, secret=secret)
    _audit(endpoint, WebhookAuditAction.REGISTERED, actor=actor, api_token=api_token)
    logger.info(
        "webhook endpoint %s registered for %s by %s: %s",
        endpoint.uuid,
        organization.code,
        actor.username,
        url,
    )
    return endpoint, generated


@transaction.atomic
def webhook_endpoint_deactivate(
    *, actor: User, endpoint: WebhookEndpoint, api_token: ApiToken | None = None
) -> WebhookEndpoint:
    """Stop sending to the endpoint. Its undelivered events are parked as failed at once
    (staff see them), instead of being retried for hours against a removed receiver.
    Deactivating twice changes nothing."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not Membership.objects.filter(user=actor, organization_id=endpoint.organization_id).exists():
        raise NotFound(_("No such webhook endpoint."))
    if not endpoint.is_active:
        return endpoint
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])
    pending = list(
        Delivery.objects.select_for_update().filter(
            endpoint=endpoint, channel=Channel.WEBHOOK, status=DeliveryStatus.PENDING
        )
    )
    error = f"endpoint deactivated by {actor.username} at {timezone.now().isoformat()}"
    apply_many(DELIVERY, pending, "park", actor=None, data={"error": error})
    parked = len(pending)
    _audit(
        endpoint,
        WebhookAuditAction.DEACTIVATED,
        actor=actor,
        api_token=api_token,
        detail=f"{parked} pending deliveries parked as failed",
    )
    logger.info(
        "webhook endpoint %s deactivated by %s (%s pending deliveries parked)",
        endpoint.uuid,
        actor.username,
        parked,
    )
    return endpoint
