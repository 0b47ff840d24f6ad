"""Outside-line permits, decided by their agencies in parallel."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition

from core.fsm import StateField
from core.workflow import permitted
from workgroups.models import Organization

from ..constants import (
    PermitStatus,
    PermitType,
)
from .service import ServiceApplication


class PermitRequest(FSMModelMixin, models.Model):
    """One outside-line permit for an application, decided by its agency in parallel."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="permits",
    )
    # Set on the one permit set of a joint works plan: `service_application` is then only the
    # participant it is filed under (its history); the plan's participants share it.
    joint_works_plan = models.ForeignKey(
        "JointWorksPlan",
        verbose_name=_("joint works plan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="permits",
    )
    permit_type = models.CharField(_("permit type"), max_length=30, choices=PermitType.choices)
    agency = models.ForeignKey(
        Organization, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="permits"
    )
    round = models.PositiveSmallIntegerField(
        _("round"), default=1, help_text=_("Raised each time a returned permit is filed again.")
    )
    status = StateField(
        _("status"),
        max_length=20,
        choices=PermitStatus.choices,
        default=PermitStatus.PENDING,
        protected=True,
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    escalated_due_at = models.DateTimeField(_("escalated deadline"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("permit request")
        verbose_name_plural = _("permit requests")
        ordering = ["id"]
        permissions = [("decide_permitrequest", _("Can decide the permit request"))]
        constraints = [
            models.UniqueConstraint(
                fields=["service_application", "permit_type", "round"],
                name="permit_request_round_unique",
            )
        ]
        indexes = [
            models.Index(fields=["agency", "status"], name="permit_agency_status"),
            models.Index(
                fields=["due_at"],
                name="permit_open_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_application} / {self.get_permit_type_display()}"

    def _decide(self, reason: str) -> None:
        self.reason = reason
        self.decided_at = timezone.now()

    @transition(
        field=status,
        source=PermitStatus.PENDING,
        target=PermitStatus.APPROVED,
        permission=permitted("approve"),
    )
    def approve(self, *, reason: str = "") -> None:
        self._decide(reason)

    @transition(
        field=status,
        source=PermitStatus.PENDING,
        target=PermitStatus.RETURNED,
        permission=permitted("return_to_applicant"),
    )
    def return_to_applicant(self, *, reason: str) -> None:
        self._decide(reason)

    @transition(
        field=status,
        source=PermitStatus.PENDING,
        target=PermitStatus.REJECTED,
        permission=permitted("reject"),
    )
    def reject(self, *, reason: str) -> None:
        self._decide(reason)

    @transition(
        field=status,
        source=PermitStatus.PENDING,
        target=PermitStatus.CANCELLED,
        permission=permitted("cancel"),
    )
    def cancel(self, *, reason: str) -> None:
        """The application no longer needs this permit (rejected or withdrawn)."""
        self._decide(reason)
