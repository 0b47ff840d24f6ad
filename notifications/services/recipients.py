"""Who hears of something, and over which channels: one Delivery row per channel."""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable

from workgroups.models import Membership, Organization, User

from ..constants import Channel
from ..models import Delivery, WebhookEndpoint


class Audience:
    """Looks up, once per batch, the people and webhook endpoints of many organisations."""

    def __init__(self, organizations: Iterable[int]) -> None:
        ids = set(organizations)
        self.endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in WebhookEndpoint.objects.filter(organization_id__in=ids, is_active=True):
            self.endpoints[endpoint.organization_id].append(endpoint)
        self.people: dict[int, list[User]] = defaultdict(list)
        self.phones: dict[int, list[User]] = defaultdict(list)
        memberships = Membership.objects.filter(
            organization_id__in=ids, user__is_active=True
        ).select_related("user")
        for membership in memberships:
            if membership.user.email:
                self.people[membership.organization_id].append(membership.user)
            if has_confirmed_mobile(membership.user):
                self.phones[membership.organization_id].append(membership.user)

    def to_organization(
        self,
        organization: Organization | int,
        *,
        event_id: uuid.UUID,
        event_type: str,
        subject: str,
        body: str,
        payload: dict,
        code: str = "",
        params: dict | None = None,
        email: bool = True,
        webhook: bool = True,
        sms: bool = False,
    ) -> list[Delivery]:
        org_id = organization if isinstance(organization, int) else organization.pk
        common = {
            "event_id": event_id,
            "event_type": event_type,
            "subject": subject[:200],
            "body": body,
            "payload": payload,
            "code": code,
            "params": params or {},
        }
        rows = [
            Delivery(
                channel=Channel.IN_APP,
                recipient_organization_id=org_id,
                idempotency_key=f"{event_id}:in_app:org{org_id}",
                **common,
            )
        ]
        if email:
            rows += [
                Delivery(
                    channel=Channel.EMAIL,
                    recipient_organization_id=org_id,
                    recipient_user=user,
                    idempotency_key=f"{event_id}:email:user{user.pk}",
                    **common,
                )
                for user in self.people[org_id]
            ]
        if sms:
            rows += [
                Delivery(
                    channel=Channel.SMS,
                    recipient_organization_id=org_id,
                    recipient_user=user,
                    idempotency_key=f"{event_id}:sms:user{user.pk}",
                    **common,
                )
                for user in self.phones[org_id]
            ]
        if webhook:
            rows += [
                Delivery(
                    channel=Channel.WEBHOOK,
                    recipient_organization_id=org_id,
                    endpoint=endpoint,
                    idempotency_key=f"{event_id}:webhook:{endpoint.pk}",
                    **common,
                )
                for endpoint in self.endpoints[org_id]
            ]
        return rows


def to_person(
    user: User,
    *,
    organization_id: int,
    event_id: uuid.UUID,
    event_type: str,
    subject: str,
    body: str,
    payload: dict,
    code: str = "",
    params: dict | None = None,
    sms: bool = False,
) -> list[Delivery]:
    """Email to the one person who filed something (the applicant's submitter), and an SMS to
    their confirmed mobile number when `sms` (the applicant has to act)."""
    if not user.is_active:
        return []
    common = {
        "recipient_organization_id": organization_id,
        "recipient_user": user,
        "event_id": event_id,
        "event_type": event_type,
        "subject": subject[:200],
        "body": body,
        "payload": payload,
        "code": code,
        "params": params or {},
    }
    rows = []
    if user.email:
        rows.append(
            Delivery(
                channel=Channel.EMAIL, idempotency_key=f"{event_id}:email:user{user.pk}", **common
            )
        )
    if sms and has_confirmed_mobile(user):
        rows.append(
            Delivery(channel=Channel.SMS, idempotency_key=f"{event_id}:sms:user{user.pk}", **common)
        )
    return rows


def has_confirmed_mobile(user: User) -> bool:
    """SMS goes only to a number its owner confirmed with a code (workgroups/mobile.py)."""
    return bool(user.mobile and user.mobile_confirmed_at)


def to_address(
    address: str,
    *,
    event_id: uuid.UUID,
    event_type: str,
    subject: str,
    body: str,
    payload: dict,
    code: str = "",
    params: dict | None = None,
) -> list[Delivery]:
    """Email to someone without an account, at the address they gave (a demand's submitter)."""
    if not address:
        return []
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:24]
    return [
        Delivery(
            channel=Channel.EMAIL,
            recipient_address=address,
            idempotency_key=f"{event_id}:email:addr{digest}",
            event_id=event_id,
            event_type=event_type,
            subject=subject[:200],
            body=body,
            payload=payload,
            code=code,
            params=params or {},
        )
    ]


def save_deliveries(rows: list[Delivery]) -> int:
    """Insert; a message already written (same idempotency key) is not written again."""
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)
