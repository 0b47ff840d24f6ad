"""The aggregate reads behind readiness and the metrics: a fixed handful of queries, each served
by an index (the outbox's pending index, the unsent-deliveries index of portal's migration 0002,
the open-escalation and overdue-case partial indexes), whatever the size of the tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q

from applications.constants import CLOCKED_STATES, EscalationStatus
from applications.models import (
    CommitmentEvent,
    Escalation,
    EscalationEvent,
    JointWorksEvent,
    Project,
    ProjectClaimEvent,
    ServiceApplication,
    StateChange,
)
from coordination.models import (
    ActionItemHistory,
    DemandHistory,
    FollowUpHistory,
    ItemEscalationEvent,
    NoticeRecipient,
    RatingInvitation,
)
from notifications.constants import DeliveryStatus, NoticeStatus
from notifications.models import Delivery, DemandNotice, FactCursor, FactSeen
from workgroups.calendar import holiday_data_covers
from workgroups.models import CompanyIdentityEvent

# The fact tables notifications reads, by the name of its durable cursor
# (notifications.services.facts_process); tests/portal check the two lists agree.
FACT_SOURCES: tuple[tuple[str, type[models.Model], str], ...] = (
    ("state_changes", StateChange, "at"),
    ("escalation_events", EscalationEvent, "at"),
    ("projects", Project, "created_at"),
    ("project_claims", ProjectClaimEvent, "at"),
    ("company_identity_events", CompanyIdentityEvent, "at"),
    ("demand_history", DemandHistory, "at"),
    ("item_escalation_events", ItemEscalationEvent, "at"),
    ("rating_invitations", RatingInvitation, "at"),
    ("follow_up_history", FollowUpHistory, "at"),
    ("action_item_history", ActionItemHistory, "at"),
    ("notice_recipients", NoticeRecipient, "at"),
    ("joint_works_events", JointWorksEvent, "at"),
    ("commitment_events", CommitmentEvent, "at"),
)
# Counting unread facts stops here: past it the reader is simply far behind.
FACT_COUNT_LIMIT = 100_000


@contextmanager
def time_limited(seconds: float) -> Iterator[None]:
    """One transaction whose statements PostgreSQL cancels after `seconds`."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [max(1, int(seconds * 1000))])
        yield


def oldest_due_delivery(*, now: dt.datetime) -> dt.datetime | None:
    """The due moment of the longest-waiting pending delivery that is due now."""
    return Delivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).aggregate(oldest=Min("next_attempt_at"))["oldest"]


@dataclass(frozen=True)
class DeliveryGroup:
    state: str
    channel: str
    endpoint: str
    organization: str
    count: int
    retrying: int
    next_due: dt.datetime | None
    oldest_created: dt.datetime | None


def unsent_deliveries() -> list[DeliveryGroup]:
    """Every delivery not (yet) delivered, by state, channel and webhook endpoint."""
    pending = Q(status=DeliveryStatus.PENDING)
    rows = (
        Delivery.objects.exclude(status=DeliveryStatus.SENT)
        .order_by()
        .values("status", "channel", "endpoint__uuid", "endpoint__organization__code")
        .annotate(
            count=Count("id"),
            retrying=Count("id", filter=pending & Q(attempts__gt=0)),
            next_due=Min("next_attempt_at", filter=pending),
            oldest_created=Min("created_at", filter=pending),
        )
    )
    return [
        DeliveryGroup(
            state=row["status"],
            channel=row["channel"],
            endpoint=str(row["endpoint__uuid"] or ""),
            organization=row["endpoint__organization__code"] or "",
            count=row["count"],
            retrying=row["retrying"],
            next_due=row["next_due"],
            oldest_created=row["oldest_created"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class FactLag:
    cursor: str
    unread: int
    oldest_unread_at: dt.datetime | None


def fact_reader_lag() -> list[FactLag]:
    """For each fact table: how many facts the reader has not turned into messages yet, and
    when the oldest of them happened."""
    positions = dict(FactCursor.objects.values_list("name", "position"))
    lags = []
    for name, model, time_field in FACT_SOURCES:
        seen = FactSeen.objects.filter(cursor=name, fact_id=OuterRef("pk"))
        unread = (
            model._default_manager.filter(pk__gt=positions.get(name, 0))
            .filter(~Exists(seen))
            .order_by("pk")
        )
        oldest = unread.values_list(time_field, flat=True).first()
        count = unread.values("pk")[:FACT_COUNT_LIMIT].count() if oldest is not None else 0
        lags.append(FactLag(cursor=name, unread=count, oldest_unread_at=oldest))
    return lags


def open_escalations() -> list[dict]:
    """Unresolved escalations by tier and status: [{"tier", "status", "count"}]."""
    rows = (
        Escalation.objects.exclude(status=EscalationStatus.RESOLVED)
        .order_by()
        .values("tier", "status")
        .annotate(count=Count("id"))
    )
    return [dict(row) for row in rows]


def overdue_cases(*, now: dt.datetime) -> dict[str, int]:
    """Cases past their working-day deadline in a running (clocked) stage, by workgroup code."""
    rows = (
        ServiceApplication.objects.filter(status__in=sorted(CLOCKED_STATES), due_at__lt=now)
        .order_by()
        .values("workgroup__code")
        .annotate(count=Count("id"))
    )
    return {row["workgroup__code"]: row["count"] for row in rows}


def unacknowledged_notices() -> list[dict]:
    """Demand notices no one at the operator has acknowledged: [{"operator", "count",
    "oldest"}]."""
    rows = (
        DemandNotice.objects.filter(status=NoticeStatus.NEW)
        .order_by()
        .values("operator__code")
        .annotate(count=Count("id"), oldest=Min("created_at"))
    )
    return [
        {"operator": row["operator__code"], "count": row["count"], "oldest": row["oldest"]}
        for row in rows
    ]


def calendar_covered_until(year: int) -> int:
    """The last year, from `year` on, up to which the holiday data has no gap (year - 1 when
    even `year` is missing)."""
    last = year - 1
    while holiday_data_covers(last + 1) and last < year + 5:
        last += 1
    return last
