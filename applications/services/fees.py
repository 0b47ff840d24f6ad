"""Connection fees settled (缴费): payments recorded against the operator's quote."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationError
from workgroups.models import User

from ..audit import acting_organization, state_change
from ..constants import FINAL_STATES, PaymentSource, ServiceStatus
from ..models import FeePayment, ServiceApplication
from ..workflow import FEE_PAYMENT, OPERATOR, SERVICE, permissions_of


@dataclass(frozen=True)
class PaymentResult:
    """The payment under the receipt, and whether this call recorded it (False: a replay)."""

    payment: FeePayment
    created: bool


def _same(payment: FeePayment, sa: ServiceApplication, amount: Decimal, paid_on: dt.date) -> bool:
    return (
        payment.service_application_id == sa.pk
        and payment.amount_cny == amount
        and payment.paid_on == paid_on
    )


@transaction.atomic
def fee_payment_record(
    *,
    actor: User,
    service_application: ServiceApplication,
    data: dict,
    source: str = PaymentSource.API,
    now: dt.datetime | None = None,
) -> PaymentResult:
    """Record a payment of the case's confirmed fee quote under the operator's receipt number,
    as a member of the operator (its billing system's token, or staff from the receipt).

    Idempotent by receipt: the same receipt with the same amount and day answers the payment
    already recorded and records nothing again; the same receipt with other figures is a
    Conflict (409). Unseen case 404, not the operator 403, no confirmed quote 409, bad input
    field errors."""
    now = now or timezone.now()
    sa = SERVICE.lock(service_application)
    perms = permissions_of(actor, [sa])
    if not SERVICE.visible(actor, sa, perms):
        raise SERVICE.missing()
    if not perms.has(OPERATOR, sa):
        raise PermissionDenied(str(SERVICE.forbidden))
    form = SERVICE.events[FEE_PAYMENT].input_form(data=data)  # type: ignore[misc]
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    amount, paid_on = form.cleaned_data["amount_cny"], form.cleaned_data["paid_on"]
    receipt = form.cleaned_data["receipt_number"]
    existing = FeePayment.objects.filter(operator_id=sa.operator_id, receipt_number=receipt).first()
    if existing is not None:
        if _same(existing, sa, amount, paid_on):
            return PaymentResult(existing, created=False)
        raise Conflict(
            _("Receipt %(receipt)s is already recorded with other figures (¥%(amount)s, %(day)s).")
            % {"receipt": receipt, "amount": existing.amount_cny, "day": existing.paid_on}
        )
    if sa.status in FINAL_STATES - {ServiceStatus.CLOSED}:
        raise IllegalTransition(_("This application is %s.") % sa.get_status_display())
    if sa.fee_confirmed_at is None:
        raise IllegalTransition(_("The applicant has not confirmed a fee quote for this case."))
    organization = acting_organization(actor, sa.operator)
    try:
        with transaction.atomic():
            payment = FeePayment.objects.create(
                service_application=sa,
                operator_id=sa.operator_id,
                receipt_number=receipt,
                amount_cny=amount,
                paid_on=paid_on,
                source=source,
                recorded_by=actor,
                recorded_by_organization=organization,
                recorded_at=now,
            )
    except IntegrityError:
        # A concurrent report of the same receipt committed first: answer as its replay.
        existing = FeePayment.objects.get(operator_id=sa.operator_id, receipt_number=receipt)
        if _same(existing, sa, amount, paid_on):
            return PaymentResult(existing, created=False)
        raise Conflict(_("Receipt %s is already recorded with other figures.") % receipt) from None
    state_change(
        sa=sa,
        transition=FEE_PAYMENT,
        from_state=sa.status,
        actor=actor,
        organization=organization,
        at=now,
        data={"amount_cny": amount, "paid_on": paid_on, "receipt_number": receipt},
    ).save()
    sa.save(update_fields=["updated_at"])  # the operator's sync sees the case changed
    return PaymentResult(payment, created=True)
