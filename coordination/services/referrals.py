"""Referral up of a case (提级协调, policy 四(八)): a workgroup's lead agency hands a case it
cannot solve to the leadership office with a reason. The case's own state and clock stay (its
operator still owes the work, its deadlines still escalate in applications); the referral is an
`ItemEscalation` of kind "case" at tier 2 that the office resolves or refers on to the leading
group (ITEM_ESCALATION), like a demand's.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.constants import ServiceStatus
from applications.models import ServiceApplication
from applications.selectors.staff import staff_scope, visible_service_applications
from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from core.workflow import Step
from workgroups.models import User

from ..constants import EscalationOrigin, EscalationStatus, ItemKind
from ..models import ItemEscalation
from ..workflow import ReferInput, lead_of, person, referrals_open


def case_may_refer(*, user: User, service_application: ServiceApplication) -> bool:
    """Whether `user` may refer this case up: a member of one of its workgroup's lead
    agencies (or a platform administrator), while the case is submitted and not yet
    referred (the caller checks the open referral)."""
    account = person(user)
    if account is None or not account.is_active:
        return False
    if service_application.status == ServiceStatus.DRAFT:
        return False
    return account.is_superuser or lead_of(account, service_application.workgroup_id)


@transaction.atomic
def case_refer_up(
    *,
    actor: User,
    service_application: ServiceApplication,
    reason: str,
    now: dt.datetime | None = None,
) -> ItemEscalation:
    """Refer the case to the leadership office with `reason`; one open referral per case."""
    sa = (
        ServiceApplication.objects.select_for_update(of=("self",))
        .filter(pk=service_application.pk)
        .first()
    )
    readable = visible_service_applications(user=actor, scope=staff_scope(user=actor))
    if sa is None or not readable.filter(pk=sa.pk).exists():
        raise NotFound(_("No such application."))
    if not case_may_refer(user=actor, service_application=sa):
        raise PermissionDenied(_("Only the workgroup's lead agency may refer a case up."))
    form = ReferInput(data={"reason": reason})
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    open_referral = ItemEscalation.objects.filter(
        service_application=sa, origin=EscalationOrigin.REFERRAL
    ).exclude(status=EscalationStatus.RESOLVED)
    if open_referral.exists():
        raise IllegalTransition(_("This case is already referred up; wait for its resolution."))
    step = Step(
        from_state=str(sa.status),
        actor=actor,
        data={"reason": form.cleaned_data["reason"]},
        comment="",
        now=now or timezone.now(),
    )
    try:
        with transaction.atomic():
            (referral,) = referrals_open(
                kind=ItemKind.CASE, field="service_application", referred=[(sa, step)]
            )
    except IntegrityError:  # a concurrent referral of the same case won (the unique constraint)
        raise IllegalTransition(
            _("This case is already referred up; wait for its resolution.")
        ) from None
    return referral
