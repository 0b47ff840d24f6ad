"""Satisfaction ratings (好差评): one per utility's application, after it is connected."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from workgroups.calendar import add_working_days
from workgroups.models import User

from ..constants import ServiceStatus
from ..models import BAD_RATINGS, Rating, RatingLevel, ServiceApplication
from ..workflow import APPLICANT

RATEABLE = frozenset({ServiceStatus.CONNECTED, ServiceStatus.CLOSED})
FOLLOW_UP_WORKING_DAYS = 15


@transaction.atomic
def service_application_rate(
    *, actor: User, service_application: ServiceApplication, level: str, comment: str = ""
) -> Rating:
    """Record the applicant's rating; a bad one gets a follow-up due date (回访, 15 WD)."""
    sa = (
        ServiceApplication.objects.select_for_update(of=("self",))
        .select_related("combined__applicant")
        .get(pk=service_application.pk)
    )
    if not actor.has_perm("applications.view_serviceapplication", sa):
        raise NotFound(_("No such application."))
    if not actor.has_perm(APPLICANT, sa):
        raise PermissionDenied(_("Only the applicant rates the service."))
    if sa.status not in RATEABLE:
        raise IllegalTransition(_("A utility can be rated once it is connected."))
    if Rating.objects.filter(service_application=sa).exists():
        raise IllegalTransition(_("This utility has already been rated."))
    errors = {}
    if level not in RatingLevel.values:
        errors["level"] = [_("Choose one of the five levels.")]
    if len(comment) > 2000:
        errors["comment"] = [_("Keep the comment under 2000 characters.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    return Rating.objects.create(
        service_application=sa,
        level=level,
        comment=comment.strip(),
        rated_by=actor,
        organization=sa.combined.applicant,
        created_at=now,
        follow_up_due_at=(
            add_working_days(now, FOLLOW_UP_WORKING_DAYS) if level in BAD_RATINGS else None
        ),
    )
