"""Fetch-and-lock for an operator's dispatch workers: each open item goes to one worker at a
time, until its lease expires.

Candidates are locked with SELECT ... FOR UPDATE SKIP LOCKED, so concurrent workers pass each
other's rows by instead of waiting. The "not leased" test of that query runs on the snapshot
taken when it started; a lease committed just after is invisible to it, so once the rows are
locked the leases are read again (a new statement sees every commit). A row can only be leased
by whoever holds its lock, so that second read is final.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationError
from workgroups.models import ApiToken, Organization

from ..constants import ServiceStatus as S
from ..models import ServiceApplication, WorkItemLease

# States in which the operator holds the case (the applicant's and the agencies' are left out).
LEASABLE_STATES = (S.SUBMITTED, S.ACCEPTED, S.SURVEYING, S.CONSTRUCTING, S.INSPECTING, S.CONNECTED)
MAX_ITEMS = 100
MIN_SECONDS, MAX_SECONDS = 10, 3600
_ROUNDS = 3  # re-fill a batch thinned by leases that committed under our feet


def _validate(limit: int, seconds: int, holder: str) -> None:
    errors = {}
    if not 1 <= limit <= MAX_ITEMS:
        errors["limit"] = [_("Between 1 and %s.") % MAX_ITEMS]
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        errors["lease_seconds"] = [
            _("Between %(min)s and %(max)s.") % {"min": MIN_SECONDS, "max": MAX_SECONDS}
        ]
    if len(holder) > 100:
        errors["holder"] = [_("At most 100 characters.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def work_items_lease(
    *,
    organization: Organization,
    limit: int,
    seconds: int,
    holder: str = "",
    token: ApiToken | None = None,
) -> tuple[list[int], dt.datetime]:
    """Lease up to `limit` unleased open items of the operator, most urgent first.

    Returns the leased items' ids (most urgent first) and when the leases expire.
    """
    _validate(limit, seconds, holder)
    now = timezone.now()
    until = now + dt.timedelta(seconds=seconds)
    active = WorkItemLease.objects.filter(service_application=OuterRef("pk"), leased_until__gt=now)
    chosen: list[int] = []
    tried: set[int] = set()
    for _round in range(_ROUNDS):
        wanted = limit - len(chosen)
        locked = list(
            ServiceApplication.objects.filter(operator=organization, status__in=LEASABLE_STATES)
            .exclude(pk__in=tried)
            .exclude(Exists(active))
            .order_by("due_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:wanted]
        )
        if not locked:
            break
        tried.update(locked)
        taken = set(
            WorkItemLease.objects.filter(
                service_application_id__in=locked, leased_until__gt=now
            ).values_list("service_application_id", flat=True)
        )
        chosen += [pk for pk in locked if pk not in taken]
        if len(chosen) >= limit or len(locked) < wanted:
            break

    WorkItemLease.objects.bulk_create(
        [
            WorkItemLease(
                service_application_id=pk,
                holder=holder,
                token=token,
                leased_at=now,
                leased_until=until,
            )
            for pk in chosen
        ],
        update_conflicts=True,
        unique_fields=["service_application"],
        update_fields=["holder", "token", "leased_at", "leased_until"],
    )
    return chosen, until
