"""Bookkeeping of the REST API: work-item leases and idempotent replays."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workgroups.models import Organization

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


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an Idempotency-Key, replayed to its retries."""

    # "org:<uuid>" for a token (every token of the organisation shares its keys), or
    # "user:<uuid>" for a browser session.
    scope = models.CharField(_("scope"), max_length=60)
    key = models.CharField(_("idempotency key"), max_length=255)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request SHA-256"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("response status"), default=0)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.status_code}"
