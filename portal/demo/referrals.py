"""The demo's referral up of a case (提级协调): the electricity workgroup's lead agency refers the
Shiqi head office's connection, whose outside-line works are held up at a road the district
is rebuilding, to the leadership office, which finds it on /staff/referrals/ (user
`leadership`); the operator (`op-power`) reads it on the case and in the API."""

from django.db import transaction

from applications.models import ServiceApplication
from coordination.constants import EscalationOrigin
from coordination.models import ItemEscalation
from coordination.services import case_refer_up
from workgroups.models import User

REFERRED_CASE = "2026-442000-47-01-900005"
REFERRED_UTILITY = "electricity"
REASON = "外线施工须穿越正在改造的孙文中路，区、市两级施工计划冲突，需市级统筹协调。"


@transaction.atomic
def build_referral(users: dict[str, User]) -> ItemEscalation | None:
    """Refer the case once (a re-run finds the referral and changes nothing)."""
    sa = (
        ServiceApplication.objects.filter(
            combined__project__code=REFERRED_CASE, utility=REFERRED_UTILITY
        )
        .order_by("pk")
        .first()
    )
    if sa is None:
        return None
    existing = ItemEscalation.objects.filter(
        service_application=sa, origin=EscalationOrigin.REFERRAL
    ).first()
    if existing is not None:
        return existing
    return case_refer_up(actor=users["lead-ndrc"], service_application=sa, reason=REASON)
