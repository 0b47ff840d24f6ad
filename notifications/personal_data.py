"""What the portal holds about an applicant company's messages (PIPL art. 45 export,
portal/personal_data.py): every message to the company or one of its people, on every channel,
with the e-mail address or mobile number it went to. One query."""

from django.db.models import Q

from core.records import DataSection, record
from workgroups.models import Membership, Organization

from .constants import Channel
from .models import Delivery


def _address(delivery: Delivery) -> str:
    """The address the message went to, by the rule delivery uses (services/delivery.py)."""
    user = delivery.recipient_user
    if delivery.channel == Channel.EMAIL:
        return delivery.recipient_address or (user.email if user is not None else "")
    if delivery.channel == Channel.SMS:
        return str(delivery.payload.get("to") or (user.mobile if user is not None else ""))
    if delivery.channel == Channel.WEBHOOK:
        return delivery.endpoint.url if delivery.endpoint is not None else ""
    return ""


def messages_personal_data(*, organization: Organization) -> DataSection:
    """Messages to the company, and those to its people about their own accounts."""
    members = Membership.objects.filter(organization=organization).values("user_id")
    deliveries = (
        Delivery.objects.filter(
            Q(recipient_organization=organization)
            | Q(recipient_organization__isnull=True, recipient_user__in=members)
        )
        .select_related("recipient_user", "endpoint")
        .order_by("created_at", "pk")
    )
    rows = [
        {
            **record(
                delivery,
                [
                    "uuid",
                    "event_type",
                    "channel",
                    ("recipient_user", "recipient_user.username"),
                ],
            ),
            "address": _address(delivery),
            **record(
                delivery,
                ["subject", "body", "status", "created_at", "sent_at", "read_at"],
            ),
        }
        for delivery in deliveries
    ]
    return DataSection(tables={"messages": rows})
