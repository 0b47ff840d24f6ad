"""The sweep of the workgroups' own work: every clocked item's missed deadlines escalate and
climb the tiers exactly as a case's do (applications/services/escalations.py, policy 四(八));
deadlines that lapse move their item on.

Each kind of clocked item is one `ClockedKind` (its transition table names its model, its
limits and the escalation's foreign key to it): the sweep opens, climbs and lapses every kind
in one transaction. Like the case sweep it is idempotent (a deadline escalates once: marked on
the item's row, guarded by a unique constraint), takes a transaction-level advisory lock on
PostgreSQL so that two sweeps never run at once (the second skips), and climbs each tier with
one conditional UPDATE.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.workflow import apply, apply_many
from workgroups.calendar import working_day_cutoff
from workgroups.models import EscalationTier, User

from ..clock import lapsing_states
from ..constants import EscalationEventKind, EscalationOrigin, EscalationStatus, ItemKind
from ..models import ItemEscalation, ItemEscalationEvent
from ..workflow import ACTION_ITEM, DEMAND, FOLLOW_UP, ITEM_ESCALATION, ClockedMachine
from .follow_ups import follow_ups_open, rating_invitations_record

TOP_TIER = 3
LAPSE_BATCH = 1000


@dataclass(frozen=True)
class ClockedKind:
    """One kind of clocked item, as the sweep sees it."""

    kind: str
    machine: ClockedMachine
    # The system transition a lapsed deadline performs ("" when nothing lapses).
    lapse_transition: str = ""


CLOCKED_KINDS: tuple[ClockedKind, ...] = (
    ClockedKind(ItemKind.DEMAND, DEMAND, lapse_transition="close_unrated"),
    ClockedKind(ItemKind.FOLLOW_UP, FOLLOW_UP, lapse_transition="close_unrated"),
    ClockedKind(ItemKind.ACTION_ITEM, ACTION_ITEM),
)


@dataclass(frozen=True)
class SweepResult:
    opened: int
    climbed: int
    lapsed: int
    skipped: bool = False  # another sweep was running: this one changed nothing
    invited: int = 0  # rating invitations recorded
    followed_up: int = 0  # follow-ups opened for bad ratings


def _events(escalations: list[ItemEscalation], kind: str, *, at: dt.datetime) -> None:
    ItemEscalationEvent.objects.bulk_create(
        [ItemEscalationEvent(escalation=e, kind=kind, tier=e.tier, at=at) for e in escalations],
        batch_size=2000,
    )


def _insert(rows: list[ItemEscalation], *, now: dt.datetime) -> list[ItemEscalation]:
    try:
        with transaction.atomic():
            created = ItemEscalation.objects.bulk_create(rows, batch_size=2000)
    except IntegrityError:
        # Another sweep got there first for some rows: insert what is still missing one by one.
        created = []
        for row in rows:
            with transaction.atomic():
                try:
                    row.save()
                except IntegrityError:
                    continue
            created.append(row)
    _events(created, EscalationEventKind.OPENED, at=now)
    return created


def _open_for_overdue(kind: ClockedKind, now: dt.datetime) -> int:
    """One query on the partial index of open items' deadlines; a deadline already escalated
    is recognised on the item's own row."""
    machine = kind.machine
    model = machine.model
    overdue = list(
        model._default_manager.filter(status__in=machine.escalating_states(), due_at__lt=now)
        .exclude(escalated_due_at=F("due_at"))
        .values_list("pk", "status", "due_at", "workgroup_id")
    )
    if not overdue:
        return 0
    rows = [
        ItemEscalation(
            item_kind=kind.kind,
            workgroup_id=workgroup_id,
            stage=status,
            breached_due_at=cast(dt.datetime, due),  # due_at__lt=now: never None
            opened_at=now,
            tier_since=now,
            **{f"{machine.escalation_field}_id": pk},
        )
        for pk, status, due, workgroup_id in overdue
    ]
    created = _insert(rows, now=now)
    model._default_manager.filter(pk__in=[row[0] for row in overdue]).update(
        escalated_due_at=F("due_at")
    )
    return len(created)


def _lapse(kind: ClockedKind, now: dt.datetime) -> int:
    """Move on the items whose lapsing deadline passed (rows another transaction holds are
    left to the next sweep)."""
    states = lapsing_states(kind.machine.limits)
    if not kind.lapse_transition or not states:
        return 0
    items = list(
        kind.machine.model._default_manager.filter(status__in=states, due_at__lt=now)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")[:LAPSE_BATCH]
    )
    if items:
        apply_many(kind.machine, items, kind.lapse_transition, actor=None, now=now)
    return len(items)


# One statement per tier, as the case sweep: the WHERE clause is the climb's condition, so a row
# another sweep climbed meanwhile no longer matches, and RETURNING names the rows moved here.
# A referral climbs only when its holder refers it up.
_CLIMB = """
UPDATE coordination_itemescalation
SET tier = %(next)s, tier_since = %(now)s
WHERE tier = %(tier)s AND tier_since < %(cutoff)s AND status <> %(resolved)s
  AND origin = %(deadline)s
RETURNING id
"""


def _climb(now: dt.datetime) -> int:
    """Every unresolved escalation that outstayed its tier moves up one, one event per climb,
    after the same working days as a case's (EscalationTier.climb_after_working_days)."""
    cutoffs = {
        tier.level: working_day_cutoff(now, tier.climb_after_working_days)
        for tier in EscalationTier.objects.filter(level__lt=TOP_TIER).order_by("level")
    }
    climbed: list[ItemEscalation] = []
    with connection.cursor() as cursor:
        for level, cutoff in cutoffs.items():
            params: dict[str, Any] = {
                "next": level + 1,
                "now": now,
                "tier": level,
                "cutoff": cutoff,
                "resolved": EscalationStatus.RESOLVED.value,
                "deadline": EscalationOrigin.DEADLINE.value,
            }
            cursor.execute(_CLIMB, params)
            climbed += [ItemEscalation(pk=pk, tier=level + 1) for (pk,) in cursor.fetchall()]
    _events(climbed, EscalationEventKind.CLIMBED, at=now)
    return len(climbed)


def _sweep_lock_taken() -> bool:
    """Take the sweep's lock for this transaction, or say that another sweep holds it.
    Elsewhere than PostgreSQL (the embedded SQLite demo) a write transaction is exclusive."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('coordination.sla_sweep'))")
        return bool(cursor.fetchone()[0])


@transaction.atomic
def coordination_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Record due rating invitations, open follow-ups of new bad ratings, climb the
    unresolved escalations, open escalations for newly missed deadlines and move
    on the items whose deadline lapsed; skip when another sweep is running."""
    now = now or timezone.now()
    if not _sweep_lock_taken():
        return SweepResult(opened=0, climbed=0, lapsed=0, skipped=True)
    invited = rating_invitations_record(now=now)
    followed_up = follow_ups_open(now=now)
    climbed = _climb(now)
    opened = sum(_open_for_overdue(kind, now) for kind in CLOCKED_KINDS)
    lapsed = sum(_lapse(kind, now) for kind in CLOCKED_KINDS)
    return SweepResult(
        opened=opened, climbed=climbed, lapsed=lapsed, invited=invited, followed_up=followed_up
    )


def item_escalation_transition(
    *, actor: User, escalation: ItemEscalation, transition: str, data: dict | None = None
) -> ItemEscalation:
    """A tier's holder acknowledges, resolves (with a note) or refers up (with a reason)."""
    return apply(ITEM_ESCALATION, escalation, transition, actor=actor, data=data)


def item_escalation_acknowledge(*, actor: User, escalation: ItemEscalation) -> ItemEscalation:
    return item_escalation_transition(actor=actor, escalation=escalation, transition="acknowledge")


def item_escalation_resolve(
    *, actor: User, escalation: ItemEscalation, note: str
) -> ItemEscalation:
    return item_escalation_transition(
        actor=actor, escalation=escalation, transition="resolve", data={"note": note or ""}
    )
