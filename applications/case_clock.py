"""The clock of one case: days, procedures and cost, split by the party holding the case.

The days of a stage are the days that begin while the case is in it: a day counts for the
party that held the case when it began, in `working_days_between`'s sense (the day a stage is
entered does not count, the day it is left does). Stages are consecutive, so the parts add up
to the whole exactly, and outside-line permits decided in parallel are one stage, counted once.
The indicators rollup computes the same split in SQL from the same table (STAGE_PARTY).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from workgroups.calendar import (
    CalendarMissing,
    add_working_days,
    last_day_of,
    local_date,
    working_days_between,
)
from workgroups.selectors import SlaTable, sla_working_days

from .constants import CLOCKED_STATES, FINAL_STATES, STAGE_PARTY, Party, ServiceStatus
from .registry import planned_stages
from .workflow import APPLICANT_STEPS

# Where the clock stops: connection, or the case ending without it.
_CLOCK_ENDS = FINAL_STATES | {ServiceStatus.CONNECTED}
PARTIES = tuple(Party)


class Change(Protocol):
    """What the clock reads of a StateChange row of the application itself."""

    transition: str
    from_state: str
    to_state: str
    at: dt.datetime
    due_at: dt.datetime | None


@dataclass(frozen=True)
class StageSpan:
    """One stay in one stage."""

    stage: str
    party: str
    entered_at: dt.datetime
    left_at: dt.datetime | None  # None: the case is in it now
    until: dt.datetime  # when it was left, or now
    working_days: int
    calendar_days: int
    due_at: dt.datetime | None

    @property
    def late(self) -> bool:
        """Left after its deadline, or still in it with the deadline gone."""
        return self.due_at is not None and self.until > self.due_at

    @property
    def stage_label(self) -> str:
        return str(ServiceStatus(self.stage).label)


@dataclass(frozen=True)
class CaseClock:
    """Elapsed days from submission to connection (or now), by party, with procedures and cost."""

    working_days: int
    calendar_days: int
    working_by_party: dict[str, int]
    calendar_by_party: dict[str, int]
    procedures: int
    fee_cny: Decimal | None
    running: bool
    spans: tuple[StageSpan, ...] = field(default=())

    @property
    def parts(self) -> list[tuple[str, str, int, int]]:
        """(party, label, working days, percent of the whole) in a fixed order, for bars."""
        whole = self.working_days
        return [
            (
                party.value,
                str(party.label),
                self.working_by_party[party],
                round(100 * self.working_by_party[party] / whole) if whole else 0,
            )
            for party in PARTIES
        ]

    @property
    def late_spans(self) -> list[StageSpan]:
        return [s for s in self.spans if s.late]


def empty_clock() -> CaseClock:
    """A case not yet submitted: no time has run."""
    zero = dict.fromkeys(PARTIES, 0)
    return CaseClock(0, 0, zero, dict(zero), 0, None, running=False)


def case_clock(
    changes: Sequence[Change], *, fee_cny: Decimal | None, now: dt.datetime
) -> CaseClock:
    """The clock of one service application from its own history rows (oldest first; rows of
    its permits excluded), live up to `now` while it runs."""
    if not changes or changes[0].to_state != ServiceStatus.SUBMITTED:
        return empty_clock()
    procedures = 0
    running = True
    moves: list[Change] = []
    for change in changes:
        if change.transition in APPLICANT_STEPS:
            procedures += 1
        if change.from_state == change.to_state:
            continue  # a fact recorded within a stage (a counter visit): no new stage
        moves.append(change)
        if change.to_state in _CLOCK_ENDS:
            running = False
            break
    spans: list[StageSpan] = []
    for i, change in enumerate(moves):
        if change.to_state in _CLOCK_ENDS:
            break
        left = moves[i + 1].at if i + 1 < len(moves) else None
        end = left or now
        spans.append(
            StageSpan(
                stage=change.to_state,
                party=STAGE_PARTY.get(ServiceStatus(change.to_state), Party.OPERATOR),
                entered_at=change.at,
                left_at=left,
                until=end,
                working_days=working_days_between(change.at, end),
                calendar_days=(local_date(end) - local_date(change.at)).days,
                due_at=change.due_at,
            )
        )
    working = dict.fromkeys(PARTIES, 0)
    calendar = dict.fromkeys(PARTIES, 0)
    for span in spans:
        working[Party(span.party)] += span.working_days
        calendar[Party(span.party)] += span.calendar_days
    return CaseClock(
        working_days=sum(working.values()),
        calendar_days=sum(calendar.values()),
        working_by_party=working,
        calendar_by_party=calendar,
        procedures=procedures,
        fee_cny=fee_cny,
        running=running,
        spans=tuple(spans),
    )


def combined_clock(clocks: Iterable[CaseClock]) -> CaseClock:
    """The combined request's clock: everything is connected when its slowest utility is, so
    its days and their split are that utility's. Procedures add up over the utilities, but the
    one combined submission counts once; fees add up."""
    clocks = list(clocks)
    if not clocks:
        return empty_clock()
    slowest = max(clocks, key=lambda c: (c.working_days, c.calendar_days))
    fees = [c.fee_cny for c in clocks if c.fee_cny is not None]
    submitted = sum(1 for c in clocks if c.procedures)
    return CaseClock(
        working_days=slowest.working_days,
        calendar_days=slowest.calendar_days,
        working_by_party=slowest.working_by_party,
        calendar_by_party=slowest.calendar_by_party,
        procedures=sum(c.procedures for c in clocks) - (submitted - 1 if submitted else 0),
        fee_cny=sum(fees, Decimal(0)) if fees else None,
        running=any(c.running for c in clocks),
        spans=slowest.spans,
    )


def service_clock(sa, history: Iterable, *, now: dt.datetime) -> CaseClock:
    """The clock of `sa` from its history rows as loaded for its page (permit rows included:
    they are left out here), without another query."""
    own = [c for c in history if c.permit_request_id is None]
    return case_clock(own, fee_cny=sa.fee_quote_cny, now=now)


def permit_working_days(permit, *, now: dt.datetime) -> int:
    """Working days one permit agency has held its permit: from the request to its decision
    (or now). Agencies decide in parallel, so these overlap and are not added up."""
    return working_days_between(permit.issued_at, permit.decided_at or now)


def expected_completion(sa, *, slas: SlaTable, now: dt.datetime) -> dt.date | None:
    """The working day a utility is expected to be connected: the running stage ends on its
    deadline's last working day (or today, when the applicant holds the case or it is late),
    and each stage still ahead in its plan takes the workgroup's SLA for it, counted on the
    working-day calendar. The day it was connected once it is; None when it will not be
    (draft, rejected, withdrawn) or the calendar does not reach that far yet."""
    status = sa.status
    if status in (ServiceStatus.CONNECTED, ServiceStatus.CLOSED):
        return local_date(sa.connected_at) if sa.connected_at else None
    if status == ServiceStatus.DRAFT or status in FINAL_STATES:
        return None
    stages = planned_stages(sa)
    if status in stages:
        ahead = stages[stages.index(status) + 1 :]
        running = status in CLOCKED_STATES and sa.due_at is not None
        # The stage is done by its last working day; a late one is done today at the earliest.
        start = max(sa.due_at - dt.timedelta(microseconds=1), now) if running else now
    else:
        # Returned for correction: the stage it came back from starts again once answered.
        back = sa.returned_from if sa.returned_from in stages else ServiceStatus.SUBMITTED
        ahead = stages[stages.index(back) :]
        start = now
    try:
        for stage in ahead:
            if stage == ServiceStatus.CONNECTED:
                break
            if stage in CLOCKED_STATES:
                days = sla_working_days(
                    slas, workgroup_id=sa.workgroup_id, stage=stage, variant=sa.sla_variant
                )
                start = add_working_days(start, days) - dt.timedelta(microseconds=1)
    except CalendarMissing:
        return None
    return max(last_day_of(start + dt.timedelta(microseconds=1)), local_date(now))


def request_expected_completion(days: Iterable[dt.date | None]) -> dt.date | None:
    """A combined request is complete when its last utility is connected: the latest of its
    utilities' expected days (utilities that will not be connected do not count)."""
    known = [d for d in days if d is not None]
    return max(known) if known else None
