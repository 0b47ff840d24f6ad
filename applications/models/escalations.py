"""Missed deadlines and their climb through the tiers."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition

from core.fsm import StateField
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from core.workflow import permitted

from ..constants import (
    EscalationEventKind,
    EscalationStatus,
)
from .permits import PermitRequest
from .service import ServiceApplication


class Escalation(FSMModelMixin, models.Model):
    """A missed working-day deadline, climbing from the workgroup lead agency (tier 1) to the
    leadership office (2) and the leading group (3) until someone resolves it (policy 四(八))."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="escalations",
    )
    permit_request = models.ForeignKey(
        PermitRequest,
        verbose_name=_("permit request"),
        on_delete=models.PROTECT,
        related_name="escalations",
        null=True,
        blank=True,
        help_text=_("Set when a permit agency missed its deadline."),
    )
    # A case's status, or "permit:<permit type>" for a late permit agency (up to 25 characters).
    stage = models.CharField(_("stage"), max_length=40)
    breached_due_at = models.DateTimeField(_("missed deadline"))
    tier = models.PositiveSmallIntegerField(_("tier"), default=1)
    status = StateField(
        _("status"),
        max_length=20,
        choices=EscalationStatus.choices,
        default=EscalationStatus.OPEN,
        protected=True,
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    tier_since = models.DateTimeField(_("at this tier since"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-opened_at"]
        constraints = [
            # Re-running the sweep can never open a second escalation for the same deadline.
            models.UniqueConstraint(
                fields=["service_application", "breached_due_at"],
                condition=models.Q(permit_request__isnull=True),
                name="escalation_case_deadline_unique",
            ),
            models.UniqueConstraint(
                fields=["permit_request", "breached_due_at"],
                condition=models.Q(permit_request__isnull=False),
                name="escalation_permit_deadline_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tier", "tier_since"],
                name="escalation_unresolved_tier",
                condition=~models.Q(status="resolved"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_application} / {self.stage} / tier {self.tier}"

    # Who may handle an escalation, and what each move records: applications/workflow.py.

    @transition(
        field=status,
        source=EscalationStatus.OPEN,
        target=EscalationStatus.ACKNOWLEDGED,
        permission=permitted("acknowledge"),
    )
    def acknowledge(self) -> None:
        pass

    @transition(
        field=status,
        source=[EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED],
        target=EscalationStatus.RESOLVED,
        permission=permitted("resolve"),
    )
    def resolve(self, *, note: str) -> None:
        self.resolution_note = note

    @transition(
        field=status,
        source=[EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED],
        target=EscalationStatus.RESOLVED,
        permission=permitted("close_overtaken"),
    )
    def close_overtaken(self, *, note: str) -> None:
        """The case moved on: the deadline this escalation is about no longer stands."""
        self.resolution_note = note


class EscalationEvent(AppendOnlyModel, models.Model):
    """Append-only fact: an escalation opened, climbed, was acknowledged or resolved.
    The notifications engine reads these rows to tell each tier."""

    escalation = models.ForeignKey(
        Escalation, verbose_name=_("escalation"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EscalationEventKind.choices)
    tier = models.PositiveSmallIntegerField(_("tier"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation event")
        verbose_name_plural = _("escalation events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.escalation}: {self.kind}"


# The applicant portal: drafts of combined requests and satisfaction ratings.
