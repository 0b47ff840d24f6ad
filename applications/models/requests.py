"""Projects and the combined requests filed for them."""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workgroups.models import Organization, Town

from ..constants import (
    BusinessType,
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

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


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

    class Meta:
        verbose_name = _("combined application")
        verbose_name_plural = _("combined applications")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return self.reference or str(self.uuid)
