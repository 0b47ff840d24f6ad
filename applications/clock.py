"""The working-day clock of a service application.

Entering a clocked stage stamps `due_at` from the workgroup's SLA; entering a stage where the
applicant holds the case (correction, plan confirmation) pauses the clock, and leaving it
resumes the clock and adds the paused working days, which the history row shows.
"""

import datetime as dt
from dataclasses import dataclass

from workgroups.calendar import add_working_days, working_days_between
from workgroups.selectors import SlaTable, sla_working_days

from .constants import APPLICANT_HOLDS, CLOCKED_STATES, ClockEvent, ServiceStatus
from .models import ServiceApplication


@dataclass(frozen=True)
class ClockChange:
    event: str = ClockEvent.NONE
    paused_working_days: int | None = None


def enter_stage(
    sa: ServiceApplication, *, from_state: str, now: dt.datetime, slas: SlaTable
) -> ClockChange:
    """Stamp the stage `sa` has just entered; return what happened to the clock."""
    to_state = sa.status
    if from_state == ServiceStatus.DRAFT:
        sa.submitted_at = now  # the clock starts on submission
    if to_state == ServiceStatus.CONNECTED:
        sa.connected_at = now  # and stops on connection
    sa.stage_entered_at = now
    if to_state in CLOCKED_STATES:
        days = sla_working_days(
            slas, workgroup_id=sa.workgroup_id, stage=to_state, variant=sa.sla_variant
        )
        sa.due_at = add_working_days(now, days)
    else:
        sa.due_at = None

    held_before, held_now = from_state in APPLICANT_HOLDS, to_state in APPLICANT_HOLDS
    if held_now and not held_before:
        sa.paused_since = now
        return ClockChange(ClockEvent.PAUSED)
    if held_before and not held_now and sa.paused_since is not None:
        paused = working_days_between(sa.paused_since, now)
        sa.paused_working_days += paused
        sa.paused_since = None
        return ClockChange(ClockEvent.RESUMED, paused)
    return ClockChange()


def working_days_used(sa: ServiceApplication, *, now: dt.datetime) -> int:
    """Working days the case has run from submission, not counting the applicant's time."""
    if sa.submitted_at is None:
        return 0
    end = sa.connected_at or now
    paused = sa.paused_working_days
    if sa.paused_since is not None:
        paused += working_days_between(sa.paused_since, end)
    return max(working_days_between(sa.submitted_at, end) - paused, 0)


def working_days_left(sa: ServiceApplication, *, now: dt.datetime) -> int | None:
    """Whole working days left after today before the running stage's deadline; when it has
    passed, minus the working days since; None when no clock runs (paused, finished, none)."""
    if sa.due_at is None or sa.paused_since is not None:
        return None
    # A deadline is the midnight that ends its last working day: that day is the last one.
    last_moment = sa.due_at - dt.timedelta(microseconds=1)
    if sa.due_at > now:
        return working_days_between(now, last_moment)
    return -working_days_between(last_moment, now)
