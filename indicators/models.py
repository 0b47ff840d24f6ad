"""The indicators rollup: per month, utility, workgroup and operator, rebuilt in SQL by a
periodic task so the dashboard reads a few thousand rows instead of every case.

The tables keep the names `applications_kpirollup` and `applications_kpirefresh` (db_table),
so existing rows stay in place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KpiRollup(models.Model):
    """One cell of the indicators: a count (`value` empty) or one bar of a distribution
    (`n` cases took `value` working days, `on_time` of them left their stage in time).

    Distributions keep exact integer values, so medians and 90th percentiles of any scope
    (a workgroup, an operator, the city) are computed from these rows without the cases."""

    month = models.DateField(_("month"))
    utility = models.CharField(_("utility"), max_length=20, blank=True)
    workgroup_id = models.IntegerField(_("workgroup"), null=True)
    operator_id = models.IntegerField(_("operator"), null=True)
    measure = models.CharField(_("measure"), max_length=40)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True)
    n = models.IntegerField(_("count"))
    on_time = models.IntegerField(_("left in time"), default=0)

    class Meta:
        db_table = "applications_kpirollup"
        verbose_name = _("indicator rollup cell")
        verbose_name_plural = _("indicator rollup cells")
        indexes = [models.Index(fields=["measure", "month"], name="kpirollup_measure_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.utility} {self.measure}"


class KpiRefresh(models.Model):
    """When the rollup was last rebuilt, and how long it took (the page says "as of")."""

    refreshed_at = models.DateTimeField(_("refreshed at"))
    seconds = models.FloatField(_("seconds taken"))

    class Meta:
        db_table = "applications_kpirefresh"
        verbose_name = _("indicator refresh")
        verbose_name_plural = _("indicator refreshes")

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M}"
