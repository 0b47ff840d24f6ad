"""Webhook endpoints: an organisation registers where its signed events go, and removes them.

The signing scheme (HMAC-SHA256 over "<timestamp>.<body>") is in notifications/signing.py and
docs/notifications.md. A removed endpoint is deactivated, not deleted: its Delivery rows point
at it and stay visible to staff.
"""

import ipaddress
import logging
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.errors import NotFound, PermissionDenied, ValidationError
from workgroups.models import Membership, Organization, User

from ..constants import Channel, DeliveryStatus
from ..models import Delivery, WebhookEndpoint

logger = logging.getLogger("notifications.webhooks")

MAX_ACTIVE_ENDPOINTS = 5  # every event goes to each of them
SECRET_MIN_LENGTH = 24
SECRET_MAX_LENGTH = 128  # WebhookEndpoint.secret
URL_MAX_LENGTH = 500  # WebhookEndpoint.url
GENERATED_SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker that makes leaked secrets greppable
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def loopback_allowed() -> bool:
    """Receivers on this machine (plain http too): with DEBUG, or when the test suite sets
    WEBHOOKS_ALLOW_LOOPBACK = True for the receivers it starts itself."""
    return bool(settings.DEBUG or getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK", False))


def _host_kind(host: str) -> str:
    """Classify the host: loopback, private (not on the internet) or public."""
    host = host.lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "public"  # a name; where it resolves is the network's business
    if address.is_loopback:
        return "loopback"
    return "public" if address.is_global and not address.is_multicast else "private"


def webhook_url_errors(url: str) -> list[str]:
    """Why `url` cannot receive webhooks (empty: it can). HTTPS to a public host in production;
    also plain http to 127.0.0.1 / localhost when loopback_allowed()."""
    if len(url) > URL_MAX_LENGTH:
        return [_("At most %(max)s characters.") % {"max": URL_MAX_LENGTH}]
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        host, _port = parts.hostname or "", parts.port  # .port: ValueError when out of range
    except (ValidationError, ValueError):
        return [_("Enter a valid http(s) URL.")]
    if parts.username is not None or parts.password is not None:
        return [_("Do not put credentials in the URL; the signature authenticates us.")]
    if parts.fragment:
        return [_("A URL with a #fragment cannot receive requests.")]
    kind = _host_kind(host)
    if kind == "loopback" and loopback_allowed():
        return []
    if kind != "public":
        return [_("The URL must point to a public host, not a loopback or private address.")]
    if parts.scheme != "https":
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


def _ensure_member(actor: User, organization: Organization) -> None:
    if not Membership.objects.filter(user=actor, organization=organization).exists():
        raise PermissionDenied(_("You do not act for this organisation."))


@transaction.atomic
def webhook_endpoint_create(
    *, actor: User, organization: Organization, url: str, secret: str | None = None
) -> tuple[WebhookEndpoint, str | None]:
    """Register an endpoint for the organisation's events.

    Returns the endpoint and, when no secret was given, the strong one generated for it (the
    caller shows it once; it is never shown again). At most MAX_ACTIVE_ENDPOINTS active
    endpoints per organisation, and no URL twice.
    """
    _ensure_member(actor, organization)
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
    logger.info(
        "webhook endpoint %s registered for %s by %s: %s",
        endpoint.uuid,
        organization.code,
        actor.username,
        url,
    )
    return endpoint, generated


@transaction.atomic
def webhook_endpoint_deactivate(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
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
    parked = Delivery.objects.filter(
        endpoint=endpoint, channel=Channel.WEBHOOK, status=DeliveryStatus.PENDING
    ).update(
        status=DeliveryStatus.FAILED,
        last_error=f"endpoint deactivated by {actor.username} at {timezone.now().isoformat()}",
    )
    logger.info(
        "webhook endpoint %s deactivated by %s (%s pending deliveries parked)",
        endpoint.uuid,
        actor.username,
        parked,
    )
    return endpoint
