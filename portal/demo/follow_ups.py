"""The demo's follow-up of a bad rating (回访): the applicant rates the water connection of the
East District talent apartments "dissatisfied", and the sweep opens the follow-up the water
workgroup's lead agency then sees in its queue (/staff/follow-ups/)."""

from django.db import transaction
from django.utils import timezone

from applications.models import Rating, RatingLevel, ServiceApplication
from applications.services import service_application_rate
from coordination.models import FollowUp
from coordination.services import follow_ups_open
from workgroups.models import User

# The demo case whose water connection the applicant rates badly (portal/demo/cases.py).
RATED_CASE = "2026-442000-47-01-900007"
RATED_UTILITY = "water"
COMMENT = "通水比约定晚了一周，施工后路面未及时恢复。"


@transaction.atomic
def build_follow_up(users: dict[str, User]) -> FollowUp | None:
    """Rate the case once (skipped when it is rated already) and open its follow-up."""
    sa = (
        ServiceApplication.objects.filter(combined__project__code=RATED_CASE, utility=RATED_UTILITY)
        .order_by("pk")
        .first()
    )
    if sa is None:
        return None
    if not Rating.objects.filter(service_application=sa).exists():
        service_application_rate(
            actor=users["applicant"],
            service_application=sa,
            level=RatingLevel.DISSATISFIED,
            comment=COMMENT,
        )
    follow_ups_open(now=timezone.now())
    return FollowUp.objects.filter(service_application=sa).first()
