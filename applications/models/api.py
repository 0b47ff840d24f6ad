"""Bookkeeping of the REST API: work-item leases."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .service import ServiceApplication


class WorkItemLease(models.Model):
    """A dispatch worker's claim on a work item until it expires, so no two workers share one."""

    service_application = models.OneToOneField(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.CASCADE,
        related_name="lease",
    )
    holder = models.CharField(
        _("held by"), max_length=100, blank=True, help_text=_("The worker's own name for itself.")
    )
    token = models.ForeignKey(
        "workgroups.ApiToken",
        verbose_name=_("API token"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    leased_at = models.DateTimeField(_("leased at"), default=timezone.now)
    leased_until = models.DateTimeField(_("leased until"), db_index=True)

    class Meta:
        verbose_name = _("work item lease")
        verbose_name_plural = _("work item leases")

    def __str__(self) -> str:
        return f"{self.service_application} -> {self.holder} until {self.leased_until:%H:%M:%S}"
