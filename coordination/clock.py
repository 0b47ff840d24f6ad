"""The working-day clock every piece of the workgroups' own work runs on.

An item (a demand today; a follow-up, a referral, an action item next) is a row with a status,
the workgroup that owns it and a deadline (`ClockedItem`). Its limits are data: for each state,
how many working days it may stay there, counted from when (its submission or its entry into
the state), and what a missed deadline does: escalate (tier 1 the workgroup's lead agencies, 2
the leadership office, 3 the leading group, climbing after the tiers' configured working days,
exactly as cases do) or lapse (the system moves the item on, e.g. closes an answer nobody
rated). Deadlines come from the working-day calendar (`add_working_days`, strict: no deadline
is set in a year without calendar data).

The transition tables (coordination/workflow.py, `ClockedMachine`) stamp the deadline on every
move and close the escalations of a deadline the item left; the sweep
(coordination/services/escalations.py) opens, climbs and lapses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from workgroups.calendar import add_working_days, working_days_between
from workgroups.models import Workgroup

# Where a limit is counted from.
FROM_SUBMISSION = "submission"
FROM_STAGE = "stage"
# What a missed deadline does.
ESCALATE = "escalate"
LAPSE = "lapse"


@dataclass(frozen=True)
class Limit:
    """How long an item may stay in one state, in working days (the day it starts does not
    count), and what happens when it stays longer."""

    working_days: int
    # What the deadline is for, as staff read it ("Acknowledgement", "Answer").
    what: str | Promise
    counted_from: str = FROM_STAGE
    on_breach: str = ESCALATE

    def __post_init__(self) -> None:
        if self.working_days < 1:
            raise ValueError("a limit is at least one working day")


Limits = Mapping[str, Limit]


def escalating_states(limits: Limits) -> tuple[str, ...]:
    return tuple(state for state, limit in limits.items() if limit.on_breach == ESCALATE)


def lapsing_states(limits: Limits) -> tuple[str, ...]:
    return tuple(state for state, limit in limits.items() if limit.on_breach == LAPSE)


class ClockedItem(models.Model):
    """What every clocked item has: its owning workgroup (who tier 1 is) and its clock."""

    workgroup = models.ForeignKey(
        Workgroup,
        verbose_name=_("workgroup"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    stage_entered_at = models.DateTimeField(_("in this state since"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    # The deadline the sweep already escalated: a deadline escalates once.
    escalated_due_at = models.DateTimeField(_("escalated deadline"), null=True, blank=True)

    class Meta:
        abstract = True


def deadline(limits: Limits, item: ClockedItem, state: str) -> dt.datetime | None:
    """The deadline of `item` in `state` (None: no clock runs there). Raises CalendarMissing
    when it would fall in a year the calendar does not hold."""
    limit = limits.get(state)
    if limit is None:
        return None
    start = item.submitted_at if limit.counted_from == FROM_SUBMISSION else item.stage_entered_at
    return add_working_days(start, limit.working_days)


def enter_state(limits: Limits, item: ClockedItem, *, now: dt.datetime, state: str) -> None:
    """Stamp the state `item` has just entered: since when, and its deadline there."""
    item.stage_entered_at = now
    item.due_at = deadline(limits, item, state)


def working_days_left(due_at: dt.datetime | None, *, now: dt.datetime) -> int | None:
    """Whole working days left after today before the deadline; when it has passed, minus the
    working days since; None when no clock runs."""
    if due_at is None:
        return None
    last_moment = due_at - dt.timedelta(microseconds=1)
    if due_at > now:
        return working_days_between(now, last_moment)
    return -working_days_between(last_moment, now)
