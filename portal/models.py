"""What the project itself records about its running processes (no business data)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicTaskRun(models.Model):
    """When beat last sent a periodic task and a worker last finished it: readiness and metrics
    compare these with the task's schedule."""

    task = models.CharField(_("task"), max_length=200, unique=True)
    first_seen_at = models.DateTimeField(
        _("first seen at"), help_text=_("When beat first scheduled this task.")
    )
    last_sent_at = models.DateTimeField(_("last sent by beat at"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished at"), null=True, blank=True)
    last_state = models.CharField(_("last outcome"), max_length=20, blank=True)
    last_duration = models.FloatField(_("last duration (seconds)"), null=True, blank=True)
    last_result = models.JSONField(_("last result"), default=dict, blank=True)
    runs = models.PositiveBigIntegerField(_("runs"), default=0)
    failures = models.PositiveBigIntegerField(_("failed runs"), default=0)
    duration_total = models.FloatField(_("total duration (seconds)"), default=0.0)
    result_totals = models.JSONField(
        _("result totals"),
        default=dict,
        blank=True,
        help_text=_("Sums of the counts the task returned, by name (e.g. escalations opened)."),
    )

    class Meta:
        verbose_name = _("periodic task run")
        verbose_name_plural = _("periodic task runs")
        ordering = ["task"]

    def __str__(self) -> str:
        return self.task
