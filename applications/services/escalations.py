"""The SLA sweep and tiered escalation (policy 四(八)).

A missed deadline opens a tier-1 escalation to the owning workgroup's lead agencies; left
unresolved it climbs to the leadership office (2) and the leading group (3) after each tier's
configured working days. Clocks paused while the applicant holds the case have no deadline and
so never escalate. The sweep is idempotent: a deadline escalates once (marked on the case row
and guarded by a unique constraint). When a case or permit moves on, the transition closes the
escalations of the deadline it left.

Sweeps at once (two beat instances, a manual run beside the scheduled one) do not repeat each
other: on PostgreSQL one holds a transaction-level advisory lock and any other skips at once
(the one running does the same work; waiting would pile sweeps up behind a slow one), and each
climb is one conditional UPDATE, so whatever runs beside it, an escalation climbs a tier once
and writes one EscalationEvent. A deadline missed between the two sweeps' moments is taken by
the next scheduled sweep.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.workflow import apply, apply_many
from workgroups.calendar import working_day_cutoff
from workgroups.models import EscalationTier, User

from ..constants import CLOCKED_STATES, EscalationEventKind, EscalationStatus, PermitStatus
from ..models import Escalation, EscalationEvent, PermitRequest, ServiceApplication
from ..workflow import ESCALATION

TOP_TIER = 3
UNRESOLVED = ~Q(status=EscalationStatus.RESOLVED)


@dataclass(frozen=True)
class SweepResult:
    opened: int
    climbed: int
    skipped: bool = False  # another sweep was running: this one changed nothing


def _events(escalations: list[Escalation], kind: str, *, at: dt.datetime, note: str = "") -> None:
    EscalationEvent.objects.bulk_create(
        [
            EscalationEvent(escalation=e, kind=kind, tier=e.tier, at=at, note=note)
            for e in escalations
        ],
        batch_size=2000,
    )


def _insert(rows: list[Escalation], *, now: dt.datetime) -> list[Escalation]:
    try:
        with transaction.atomic():
            created = Escalation.objects.bulk_create(rows, batch_size=2000)
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


def _open_for_overdue_cases(now: dt.datetime) -> list[Escalation]:
    # One query on the partial index over open, clocked states (sa_open_due); a deadline already
    # escalated is recognised on the row itself, so no join with the escalations is needed.
    overdue = list(
        ServiceApplication.objects.filter(status__in=CLOCKED_STATES, due_at__lt=now)
        .exclude(escalated_due_at=F("due_at"))
        .values_list("pk", "status", "due_at")
    )
    if not overdue:
        return []
    rows = [
        Escalation(
            service_application_id=pk,
            stage=status,
            breached_due_at=cast(dt.datetime, due),  # due_at__lt=now: never None
            opened_at=now,
            tier_since=now,
        )
        for pk, status, due in overdue
    ]
    created = _insert(rows, now=now)
    ServiceApplication.objects.filter(pk__in=[pk for pk, _, _ in overdue]).update(
        escalated_due_at=F("due_at")
    )
    return created


def _open_for_overdue_permits(now: dt.datetime) -> list[Escalation]:
    overdue = list(
        PermitRequest.objects.filter(status=PermitStatus.PENDING, due_at__lt=now)
        .exclude(escalated_due_at=F("due_at"))
        .values_list("pk", "service_application_id", "permit_type", "due_at")
    )
    if not overdue:
        return []
    rows = [
        Escalation(
            service_application_id=sa_id,
            permit_request_id=pk,
            stage=f"permit:{permit_type}",
            breached_due_at=cast(dt.datetime, due),  # due_at__lt=now: never None
            opened_at=now,
            tier_since=now,
        )
        for pk, sa_id, permit_type, due in overdue
    ]
    created = _insert(rows, now=now)
    PermitRequest.objects.filter(pk__in=[row[0] for row in overdue]).update(
        escalated_due_at=F("due_at")
    )
    return created


def escalations_close_overtaken(
    *,
    service_application: ServiceApplication,
    now: dt.datetime,
    permit: PermitRequest | None = None,
) -> int:
    """Close the open escalations of a deadline that no longer stands: the case (or permit)
    moved on. Called in the transaction of the transition or decision that moved it."""
    open_ = Escalation.objects.filter(UNRESOLVED, service_application=service_application)
    open_ = open_.filter(permit_request=permit) if permit else open_.filter(permit_request=None)
    stale = list(open_.select_for_update().select_related("service_application"))
    if stale:
        note = _("The case moved on; closed by the system.")
        apply_many(ESCALATION, stale, "close_overtaken", actor=None, now=now, data={"note": note})
    return len(stale)


# One statement per tier: the WHERE clause is the climb's condition, so a row that another sweep
# climbed meanwhile no longer matches (PostgreSQL checks it again once that sweep's row lock is
# released), and RETURNING names exactly the rows this statement moved.
_CLIMB = """
UPDATE applications_escalation
SET tier = %(next)s, tier_since = %(now)s
WHERE tier = %(tier)s AND tier_since < %(cutoff)s AND status <> %(resolved)s
RETURNING id
"""


def _climb(now: dt.datetime) -> int:
    """Move every unresolved escalation that outstayed its tier up one tier (the partial index
    on unresolved escalations' tier and time finds them), one event per climb."""
    cutoffs = {
        tier.level: working_day_cutoff(now, tier.climb_after_working_days)
        for tier in EscalationTier.objects.filter(level__lt=TOP_TIER).order_by("level")
    }
    climbed: list[Escalation] = []
    with connection.cursor() as cursor:
        for level, cutoff in cutoffs.items():
            params: dict[str, Any] = {
                "next": level + 1,
                "now": now,
                "tier": level,
                "cutoff": cutoff,
                "resolved": EscalationStatus.RESOLVED.value,
            }
            cursor.execute(_CLIMB, params)
            climbed += [Escalation(pk=pk, tier=level + 1) for (pk,) in cursor.fetchall()]
    _events(climbed, EscalationEventKind.CLIMBED, at=now)
    return len(climbed)


def _sweep_lock_taken() -> bool:
    """Take the sweep's lock for this transaction, or say that another sweep holds it.
    Elsewhere than PostgreSQL (the embedded SQLite demo) a write transaction is exclusive."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('applications.sla_sweep'))")
        return bool(cursor.fetchone()[0])


@transaction.atomic
def sla_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Open escalations for newly missed deadlines and climb the unresolved ones; skip when
    another sweep is running."""
    now = now or timezone.now()
    if not _sweep_lock_taken():
        return SweepResult(opened=0, climbed=0, skipped=True)
    climbed = _climb(now)
    opened = len(_open_for_overdue_cases(now)) + len(_open_for_overdue_permits(now))
    return SweepResult(opened=opened, climbed=climbed)


def escalation_acknowledge(*, actor: User, escalation: Escalation) -> Escalation:
    return apply(ESCALATION, escalation, "acknowledge", actor=actor)


def escalation_resolve(*, actor: User, escalation: Escalation, note: str) -> Escalation:
    return apply(ESCALATION, escalation, "resolve", actor=actor, data={"note": note or ""})
