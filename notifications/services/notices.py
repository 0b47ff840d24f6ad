"""Telling the applicant companies of a published policy notice (NoticeRecipient facts): each
company once, in its inbox, by e-mail to its members and by SMS to their confirmed mobiles. The
idempotency keys come from the notice and the company, so reading a fact again (or a second
publication run) writes nothing new."""

from __future__ import annotations

import uuid

from coordination.models import NoticeRecipient

from ..constants import EventType
from ..models import Delivery
from ..texts import compose, names
from .recipients import Audience, save_deliveries


def handle_notice_recipients(facts: list[NoticeRecipient]) -> int:
    facts = list(
        NoticeRecipient.objects.filter(pk__in=[f.pk for f in facts])
        .select_related("notice__workgroup")
        .order_by("pk")
    )
    audience = Audience({f.organization_id for f in facts})
    rows: list[Delivery] = []
    for fact in facts:
        notice = fact.notice
        params = {
            "notice": str(notice.uuid),
            "title": notice.title,
            "workgroup": names(notice.workgroup),
        }
        rows += audience.to_organization(
            fact.organization_id,
            event_id=uuid.uuid5(notice.uuid, f"company-{fact.organization_id}"),
            event_type=EventType.POLICY_NOTICE,
            payload={"notice": str(notice.uuid), "title": notice.title},
            webhook=False,
            sms=True,
            **compose("policy_notice.published", params),
        )
    return save_deliveries(rows)
