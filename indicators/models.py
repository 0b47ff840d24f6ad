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


class CaseClockRow(models.Model):
    """The clock of one submitted service application as of the last refresh: working and
    calendar days from submission to connection (or to the refresh while it runs), split by
    the party holding the case (applications.case_clock, computed here in SQL).

    Rebuilt with the rollup: the indicators read medians by party from the rollup, and the
    cases whose time went mostly to one party from here."""

    service_application_id = models.IntegerField(_("service application"), unique=True)
    utility = models.CharField(_("utility"), max_length=20)
    workgroup_id = models.IntegerField(_("workgroup"))
    operator_id = models.IntegerField(_("operator"))
    submitted_at = models.DateTimeField(_("submitted at"))
    ended_at = models.DateTimeField(_("clock stopped at"), null=True)
    connected_month = models.DateField(_("month connected"), null=True)
    running = models.BooleanField(_("running"))
    working_days = models.IntegerField(_("working days"))
    calendar_days = models.IntegerField(_("calendar days"))
    government_days = models.IntegerField(_("government's working days"))
    operator_days = models.IntegerField(_("operator's working days"))
    applicant_days = models.IntegerField(_("applicant's working days"))
    procedures = models.IntegerField(_("procedures"))
    fee_cny = models.DecimalField(_("fee (CNY)"), max_digits=12, decimal_places=2, null=True)

    class Meta:
        db_table = "indicators_caseclock"
        verbose_name = _("case clock")
        verbose_name_plural = _("case clocks")
        indexes = [models.Index(fields=["workgroup_id", "ended_at"], name="caseclock_wg_ended")]

    def __str__(self) -> str:
        return f"{self.service_application_id}: {self.working_days}"
