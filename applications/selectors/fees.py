"""Where each utility's connection fee stands: quoted, confirmed, paid and outstanding, the
sums computed in SQL (one subquery per list, never a query per case)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models.functions import Coalesce

from core.workflow import PermissionSource

from ..constants import FeeStatus, ServiceStatus
from ..models import FeePayment, ServiceApplication
from ..workflow import OPERATOR

ZERO = Decimal("0.00")


def _payments(field: str, aggregate: type[models.Aggregate], output) -> models.Subquery:
    return models.Subquery(
        FeePayment.objects.filter(service_application=models.OuterRef("pk"))
        .order_by()
        .values("service_application")
        .annotate(total=aggregate(field))
        .values("total"),
        output_field=output,
    )


def with_fees(queryset: models.QuerySet) -> models.QuerySet:
    """Service applications with `fee_paid_cny` (sum of payments) and `fee_payment_count`."""
    money = models.DecimalField(max_digits=14, decimal_places=2)
    return queryset.annotate(
        fee_paid_cny=Coalesce(_payments("amount_cny", models.Sum, money), ZERO, output_field=money),
        fee_payment_count=Coalesce(_payments("pk", models.Count, models.IntegerField()), 0),
    )


@dataclass(frozen=True)
class FeeStanding:
    """One utility's fee as the pages and the API show it."""

    status: str
    quoted_cny: Decimal | None
    items: list
    confirmed_at: dt.datetime | None
    paid_cny: Decimal
    payments: int
    outstanding_cny: Decimal | None

    @property
    def status_label(self) -> str:
        return str(FeeStatus(self.status).label)


def fee_standing(sa: ServiceApplication) -> FeeStanding:
    """From a case read through `with_fees` (a single case without it costs one query)."""
    if hasattr(sa, "fee_paid_cny"):
        paid, count = Decimal(sa.fee_paid_cny), int(sa.fee_payment_count)  # type: ignore[attr-defined]
    else:
        figures = sa.fee_payments.aggregate(
            paid=Coalesce(models.Sum("amount_cny"), ZERO), n=models.Count("pk")
        )
        paid, count = figures["paid"], figures["n"]
    quoted = sa.fee_quote_cny
    outstanding = None if quoted is None else max(quoted - paid, ZERO)
    if quoted is None:
        status = FeeStatus.PAID if count else FeeStatus.NONE
    elif count and paid >= quoted:
        status = FeeStatus.PAID
    elif count:
        status = FeeStatus.PART_PAID
    elif sa.fee_confirmed_at is not None:
        status = FeeStatus.CONFIRMED
    else:
        status = FeeStatus.QUOTED
    return FeeStanding(
        status=status,
        quoted_cny=quoted,
        items=list(sa.fee_items or []),
        confirmed_at=sa.fee_confirmed_at,
        paid_cny=paid,
        payments=count,
        outstanding_cny=outstanding,
    )


def payment_allowed(sa: ServiceApplication, perms: PermissionSource) -> bool:
    """Whether to offer marking the fee paid: the operator's people, once the applicant
    confirmed the quote, while the case is not rejected or withdrawn (the service decides)."""
    return (
        sa.fee_confirmed_at is not None
        and sa.status not in (ServiceStatus.REJECTED, ServiceStatus.WITHDRAWN)
        and perms.has(OPERATOR, sa)
    )
