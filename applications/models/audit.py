"""The append-only audit trail of every transition."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from workgroups.models import Organization

from ..constants import (
    ClockEvent,
)
from .permits import PermitRequest
from .service import ServiceApplication


class StateChange(AppendOnlyModel, models.Model):
    """Append-only audit row of one transition: who, for which organisation, from, to, when."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="history",
    )
    permit_request = models.ForeignKey(
        PermitRequest,
        verbose_name=_("permit request"),
        on_delete=models.PROTECT,
        related_name="history",
        null=True,
        blank=True,
    )
    transition = models.CharField(_("transition"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20)
    to_state = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system acted."),
    )
    actor_organization = models.ForeignKey(
        Organization,
        verbose_name=_("actor's organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("stage data"), default=dict, blank=True)
    clock_event = models.CharField(
        _("clock"), max_length=10, choices=ClockEvent.choices, blank=True, default=""
    )
    paused_working_days = models.PositiveIntegerField(
        _("working days paused"), null=True, blank=True
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["service_application", "at"], name="statechange_sa_at")]

    def __str__(self) -> str:
        return f"{self.service_application}: {self.from_state} -> {self.to_state}"


# Direct foreign-key object permissions (guardian): fast joins for the hot models.
