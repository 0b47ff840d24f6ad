"""Joint outside-line works (联合施工): one trench, one permit set, several utilities; and the
road works the city's departments push (协同开挖)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMModelMixin, transition

from core.fsm import StateField
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from core.workflow import permitted
from workgroups.calendar import working_day_after
from workgroups.models import Organization

from ..constants import JointWorksStatus
from .requests import Project
from .service import ServiceApplication

J = JointWorksStatus


class JointWorksPlan(FSMModelMixin, models.Model):
    """One excavation shared by the outside-line works of several utilities of a project."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="joint_works_plans",
    )
    status = StateField(
        _("status"), max_length=20, choices=J.choices, default=J.PROPOSED, protected=True
    )
    lead_operator = models.ForeignKey(
        Organization,
        verbose_name=_("lead operator"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Digs, backfills and restores for everyone; by default the largest works."),
    )
    road_name = models.CharField(_("road"), max_length=100)
    road_segment = models.CharField(
        _("road segment"), max_length=100, blank=True, help_text=_("e.g. 和清路(兴港路-濠头路)")
    )
    route_description = models.TextField(_("route"))
    route = models.JSONField(
        _("route line (GeoJSON)"),
        null=True,
        blank=True,
        help_text=_("A GeoJSON LineString in WGS84 longitude/latitude."),
    )
    window_start = models.DateField(_("excavation starts"))
    window_working_days = models.PositiveSmallIntegerField(_("excavation working days"))
    window_end = models.DateField(_("excavation ends"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    excavation_started_at = models.DateTimeField(_("excavation started"), null=True, blank=True)
    backfilled_at = models.DateTimeField(_("backfilled at"), null=True, blank=True)
    restored_on = models.DateField(_("road restored on"), null=True, blank=True)
    reason = models.TextField(_("reason given"), blank=True)
    warnings = models.JSONField(
        _("warnings"),
        default=list,
        blank=True,
        help_text=_("Moratoriums on newly restored roads that this plan touches."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    # Set by the `?near=` selector on the plans it returns (not stored).
    distance_metres: float | None = None

    class Meta:
        verbose_name = _("joint works plan")
        verbose_name_plural = _("joint works plans")
        ordering = ["id"]
        permissions = [
            ("participate_jointworksplan", _("Can act as a participating operator of the plan")),
            ("manage_jointworksplan", _("Can manage the plan as a workgroup lead agency")),
        ]
        indexes = [models.Index(fields=["status", "window_start"], name="jointworks_status_window")]

    def __str__(self) -> str:
        return f"{self.project} / {self.road_name}"

    def _active(self) -> models.QuerySet:
        return self.participants.filter(active=True)

    # Transition methods change the plan in memory only; the participants' rows are written by
    # the service (under the plan's row lock) before the kernel calls these, so the targets read
    # the participants as they now stand.

    @transition(
        field=status,
        source=J.PROPOSED,
        target=RETURN_VALUE(J.PROPOSED, J.CONFIRMED),
        permission=permitted("confirm"),
    )
    def confirm(self) -> str:
        if self._active().filter(confirmed_at__isnull=True).exists():
            return J.PROPOSED
        self.locked_at = timezone.now()
        return J.CONFIRMED

    @transition(
        field=status, source=J.PROPOSED, target=J.PROPOSED, permission=permitted("propose_window")
    )
    def propose_window(self, *, window_start, window_working_days: int, reason: str = "") -> None:
        self.window_start = window_start
        self.window_working_days = window_working_days
        self.window_end = working_day_after(window_start, window_working_days - 1)

    @transition(
        field=status,
        source=J.PROPOSED,
        target=RETURN_VALUE(J.PROPOSED, J.CONFIRMED, J.CANCELLED),
        permission=permitted("leave"),
    )
    def leave(self, *, reason: str) -> str:
        return self._one_fewer(reason)

    @transition(
        field=status,
        source=J.PROPOSED,
        target=RETURN_VALUE(J.PROPOSED, J.CONFIRMED, J.CANCELLED),
        permission=permitted("participant_withdrawn"),
    )
    def participant_withdrawn(self, *, reason: str) -> str:
        """A participating application was withdrawn by its applicant before the lock."""
        return self._one_fewer(reason)

    def _one_fewer(self, reason: str) -> str:
        """The plan once a participant has gone: cancelled when one is left, locked when all
        who remain have confirmed."""
        active = list(self._active().values_list("confirmed_at", flat=True))
        if len(active) < 2:
            self.reason = reason
            return J.CANCELLED
        if all(active):
            self.locked_at = timezone.now()
            return J.CONFIRMED
        return J.PROPOSED

    @transition(
        field=status,
        source=[J.PROPOSED, J.CONFIRMED],
        target=None,
        permission=permitted("change_lead"),
    )
    def change_lead(self, *, lead_operator: Organization) -> None:
        self.lead_operator = lead_operator

    @transition(
        field=status,
        source=[J.PROPOSED, J.CONFIRMED],
        target=J.CANCELLED,
        permission=permitted("cancel"),
    )
    def cancel(self, *, reason: str) -> None:
        self.reason = reason

    @transition(
        field=status,
        source=J.CONFIRMED,
        target=J.PERMITTED,
        permission=permitted("permits_approved"),
    )
    def permits_approved(self) -> None:
        pass

    @transition(
        field=status,
        source=J.CONFIRMED,
        target=J.CANCELLED,
        permission=permitted("permit_rejected"),
    )
    def permit_rejected(self, *, reason: str) -> None:
        self.reason = reason

    @transition(
        field=status,
        source=J.PERMITTED,
        target=J.EXCAVATING,
        permission=permitted("start_excavation"),
    )
    def start_excavation(self) -> None:
        self.excavation_started_at = timezone.now()

    @transition(
        field=status,
        source=J.EXCAVATING,
        target=RETURN_VALUE(J.EXCAVATING, J.INSTALLED),
        permission=permitted("report_installed"),
    )
    def report_installed(self) -> str:
        if self._active().filter(installed_at__isnull=True).exists():
            return J.EXCAVATING
        return J.INSTALLED

    @transition(
        field=status,
        source=J.INSTALLED,
        target=J.BACKFILLED,
        # The state says every conduit is in; the rows say it again, so no path around it.
        conditions=[lambda plan: not plan._active().filter(installed_at__isnull=True).exists()],
        permission=permitted("backfill"),
    )
    def backfill(self) -> None:
        self.backfilled_at = timezone.now()

    @transition(
        field=status, source=J.BACKFILLED, target=J.RESTORED, permission=permitted("restore")
    )
    def restore(self, *, restored_on) -> None:
        self.restored_on = restored_on


class JointWorksParticipant(models.Model):
    """One utility's application taking part in a joint works plan."""

    plan = models.ForeignKey(
        JointWorksPlan,
        verbose_name=_("joint works plan"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="joint_works",
    )
    operator = models.ForeignKey(
        Organization, verbose_name=_("operator"), on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(_("taking part"), default=True)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    leave_reason = models.TextField(_("reason for leaving"), blank=True)
    installed_at = models.DateTimeField(_("conduit installed at"), null=True, blank=True)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("installation reported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("joint works participant")
        verbose_name_plural = _("joint works participants")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "service_application"], name="jointworks_participant_unique"
            ),
            # An application digs in one plan at a time.
            models.UniqueConstraint(
                fields=["service_application"],
                condition=models.Q(active=True),
                name="jointworks_one_active_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} / {self.service_application}"


class JointWorksEvent(AppendOnlyModel, models.Model):
    """Append-only history row of one move of a joint works plan."""

    plan = models.ForeignKey(
        JointWorksPlan,
        verbose_name=_("joint works plan"),
        on_delete=models.PROTECT,
        related_name="history",
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
    )
    actor_organization = models.ForeignKey(
        Organization,
        verbose_name=_("actor's organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("joint works event")
        verbose_name_plural = _("joint works events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.plan}: {self.from_state} -> {self.to_state}"


class RoadWorksPlan(models.Model):
    """A road excavation or resurfacing plan pushed by a department (城管, 交通) through the
    data API: other works there are offered to join it, and a restored road is under a
    moratorium."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    source = models.ForeignKey(
        Organization,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="road_works_plans",
    )
    external_reference = models.CharField(_("department's reference"), max_length=100)
    road_name = models.CharField(_("road"), max_length=100)
    road_segment = models.CharField(_("road segment"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    route = models.JSONField(_("route line (GeoJSON)"), null=True, blank=True)
    starts_on = models.DateField(_("works start"))
    ends_on = models.DateField(_("works end"))
    restored_on = models.DateField(_("road restored on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("road works plan")
        verbose_name_plural = _("road works plans")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_reference"], name="roadworks_reference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.road_name} {self.road_segment}".strip()
