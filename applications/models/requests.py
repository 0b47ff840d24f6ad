"""Projects and the combined requests filed for them."""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from workgroups.models import Organization, Town

from ..constants import (
    BusinessType,
    ClaimAction,
    ProjectKind,
    ProjectSource,
    WorksType,
)


class Project(models.Model):
    """A construction project (new, renovated or expanded building or municipal works)."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        _("project code"),
        max_length=40,
        unique=True,
        help_text=_("Code from the construction project approval system."),
    )
    name = models.CharField(_("project name"), max_length=200)
    kind = models.CharField(_("project kind"), max_length=20, choices=ProjectKind.choices)
    works_type = models.CharField(_("works type"), max_length=20, choices=WorksType.choices)
    address = models.CharField(_("address"), max_length=300)
    town = models.ForeignKey(Town, verbose_name=_("town"), on_delete=models.PROTECT)
    floor_area_m2 = models.DecimalField(
        _("floor area (m²)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
        help_text=_("The applicant company; empty while only a department has pushed it."),
    )
    source = models.CharField(
        _("source"), max_length=20, choices=ProjectSource.choices, default=ProjectSource.APPLICANT
    )
    source_organization = models.ForeignKey(
        Organization,
        verbose_name=_("pushed by"),
        on_delete=models.PROTECT,
        related_name="pushed_projects",
        null=True,
        blank=True,
    )
    # Who may claim a pushed project (免证办): the verified company holding this credit code,
    # or whoever presents the claim code the department handed to the owner (stored hashed).
    owner_credit_code = models.CharField(
        _("owner's credit code"),
        max_length=18,
        blank=True,
        help_text=_(
            "Named by the department that pushed the project: only the verified "
            "company holding this code may claim it."
        ),
    )
    claim_code_digest = models.CharField(
        _("claim code HMAC-SHA256"), max_length=64, blank=True, editable=False
    )
    claim_code_expires_at = models.DateTimeField(_("claim code expires at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim_code_digest"],
                condition=~models.Q(claim_code_digest=""),
                name="project_claim_code_unique",
            )
        ]

    # The plaintext of a claim code just issued, on the instance `project_push` returns only
    # (shown once in the push answer; never stored).
    issued_claim_code: str | None = None

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectClaimEvent(AppendOnlyModel, models.Model):
    """Append-only audit row of who holds a pushed project: claimed by a company, reassigned
    by its department (with the reason), a claim code issued. Also the fact the notifications
    engine tells the department and the companies about."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="claim_events"
    )
    action = models.CharField(_("action"), max_length=20, choices=ClaimAction.choices)
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("owner after"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    previous_owner = models.ForeignKey(
        Organization,
        verbose_name=_("owner before"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    owner_credit_code = models.CharField(_("owner's credit code"), max_length=18, blank=True)
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
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("project claim event")
        verbose_name_plural = _("project claim events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.project}: {self.get_action_display()}"


class CombinedApplication(models.Model):
    """One combined request (一次办) for any of the five utilities of a project.

    Its status is derived from its service applications and never stored twice.
    """

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    # NULL only inside the submitting transaction, until the row's id gives the number.
    reference = models.CharField(  # noqa: DJ001
        _("reference number"), max_length=30, unique=True, null=True
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="combined_applications",
    )
    applicant = models.ForeignKey(
        Organization,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="combined_applications",
    )
    business_type = models.CharField(
        _("business type"), max_length=20, choices=BusinessType.choices
    )
    joint_outside_works = models.BooleanField(
        _("joint outside-line works"),
        default=False,
        help_text=_("Excavate, install and backfill all utilities' outside lines together."),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    client_token = models.UUIDField(
        _("submission token"),
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Sent with the form so a repeated submission creates nothing twice."),
    )
    # 免证办: the company registry's data that stood for the business licence, as it was when
    # the request was filed (applications/sharing.py); empty when a licence was uploaded.
    registry_licence = models.JSONField(
        _("business licence from the company registry"), default=dict, blank=True
    )

    class Meta:
        verbose_name = _("combined application")
        verbose_name_plural = _("combined applications")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return self.reference or str(self.uuid)
