"""Connection fees settled (缴费): what the applicant paid against an operator's quote."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from workgroups.models import Organization

from ..constants import PaymentSource
from .service import ServiceApplication

# The largest amount the fee fields hold (max_digits=12, decimal_places=2).
MAX_FEE_CNY = "9999999999.99"


class FeePayment(AppendOnlyModel, models.Model):
    """One payment of a connection fee, under the operator's receipt number: reported by the
    operator's billing system through the API, or recorded by staff from the receipt."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="fee_payments",
    )
    # The receipt's issuer: a receipt number is unique within its operator's billing system.
    operator = models.ForeignKey(
        Organization, verbose_name=_("operator"), on_delete=models.PROTECT, related_name="+"
    )
    receipt_number = models.CharField(_("receipt number"), max_length=60)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    source = models.CharField(_("recorded through"), max_length=10, choices=PaymentSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by_organization = models.ForeignKey(
        Organization,
        verbose_name=_("recorded for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("fee payment")
        verbose_name_plural = _("fee payments")
        ordering = ["paid_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "receipt_number"], name="feepayment_receipt_once"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cny__gte=0), name="feepayment_amount_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["service_application", "paid_on"], name="feepayment_sa_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number}: ¥{self.amount_cny}"
