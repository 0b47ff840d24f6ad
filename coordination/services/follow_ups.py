"""Follow-up of bad ratings (回访): the rating invitation three working days after connection,
a follow-up opened for every "dissatisfied" or worse rating, and the moves staff and the
applicant make on it. The sweep (services/escalations.py) calls the first two, so both are
idempotent: the invitation and the follow-up are unique per application and per rating.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from applications.constants import ServiceStatus
from applications.models import BAD_RATINGS, Rating, ServiceApplication
from core.workflow import apply
from workgroups.calendar import CalendarMissing, add_working_days, working_day_cutoff
from workgroups.models import User

from ..constants import FollowUpStatus
from ..models import FollowUp, FollowUpHistory, RatingInvitation
from ..registry import FOLLOW_UP_LIMITS, RATING_INVITATION_WORKING_DAYS
from ..workflow import FOLLOW_UP

# Connections older than this are not invited any more (a portal switched on late does not
# invite every applicant of past years at once).
INVITATION_WINDOW = dt.timedelta(days=60)
RATED = frozenset({ServiceStatus.CONNECTED, ServiceStatus.CLOSED})


def rating_invitations_record(*, now: dt.datetime) -> int:
    """Invite the applicant of every utility connected at least three working days ago that
    has neither an invitation nor a rating yet; the notifications engine delivers it."""
    cutoff = working_day_cutoff(now, RATING_INVITATION_WORKING_DAYS)
    invited = RatingInvitation.objects.filter(service_application=OuterRef("pk"))
    rated = Rating.objects.filter(service_application=OuterRef("pk"))
    due = ServiceApplication.objects.filter(
        status__in=RATED,
        connected_at__lt=cutoff,
        connected_at__gte=now - INVITATION_WINDOW,
    ).filter(~Exists(invited), ~Exists(rated))
    rows = [
        RatingInvitation(service_application_id=pk, organization_id=org_id, at=now)
        for pk, org_id in due.values_list("pk", "combined__applicant_id").order_by("pk")
    ]
    created = RatingInvitation.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def _due(rating: Rating) -> dt.datetime | None:
    limit = FOLLOW_UP_LIMITS[FollowUpStatus.OPEN]
    try:
        return add_working_days(rating.created_at, limit.working_days)
    except CalendarMissing:
        return None  # no deadline in a year the calendar does not hold (as for demands)


def follow_ups_open(*, now: dt.datetime) -> int:
    """Open one follow-up for every bad rating that has none, owned by the workgroup of the
    rated utility; its clock runs from the rating."""
    pending = (
        Rating.objects.filter(level__in=BAD_RATINGS)
        .filter(~Exists(FollowUp.objects.filter(rating=OuterRef("pk"))))
        .select_related("service_application")
        .order_by("pk")
    )
    opened = 0
    for rating in pending:
        sa = rating.service_application
        follow_up = FollowUp(
            rating=rating,
            service_application=sa,
            organization_id=rating.organization_id,
            workgroup_id=sa.workgroup_id,
            submitted_at=rating.created_at,
            stage_entered_at=rating.created_at,
            due_at=_due(rating),
        )
        try:
            with transaction.atomic():
                follow_up.save()
        except IntegrityError:
            continue  # opened meanwhile by another reader
        FollowUpHistory.objects.create(
            follow_up=follow_up,
            transition="open",
            from_state="",
            to_state=follow_up.status,
            at=now,
            comment=rating.comment[:2000],
            due_at=follow_up.due_at,
        )
        opened += 1
    return opened


def follow_up_transition(
    *, actor: User, follow_up: FollowUp, transition: str, data: dict | None = None
) -> FollowUp:
    """Staff record the call or the cause and fix; the applicant rates again."""
    return apply(FOLLOW_UP, follow_up, transition, actor=actor, data=data)
