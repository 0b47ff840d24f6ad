"""The applicant's drafts and satisfaction ratings (好差评)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workgroups.models import Organization

from .requests import CombinedApplication, Project
from .service import ServiceApplication


def _new_token() -> uuid.UUID:
    return uuid.uuid4()


class Draft(models.Model):
    """A combined request being prepared by an applicant: saved, resumed, submitted once."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        Organization, verbose_name=_("applicant"), on_delete=models.CASCADE, related_name="drafts"
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="drafts"
    )
    # The form as typed (it may still be incomplete): business type, utilities, their raw
    # details, commitments, joint works.
    data = models.JSONField(_("form data"), default=dict, blank=True)
    # Document type -> public id of a Document the applicant already uploaded.
    documents = models.JSONField(_("chosen documents"), default=dict, blank=True)
    # Fixed when the draft is created: submitting twice (double click, back button) sends
    # the same token, and the submission service creates the request only once.
    client_token = models.UUIDField(
        _("submission token"), default=_new_token, unique=True, editable=False
    )
    combined = models.OneToOneField(
        CombinedApplication,
        verbose_name=_("submitted as"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="draft",
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
        verbose_name = _("draft request")
        verbose_name_plural = _("draft requests")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.project} ({self.updated_at:%Y-%m-%d})"


class RatingLevel(models.TextChoices):
    """The five levels of 好差评."""

    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    VERY_DISSATISFIED = "very_dissatisfied", _("Very dissatisfied")


BAD_RATINGS = frozenset({RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED})


class Rating(models.Model):
    """The applicant's satisfaction rating (好差评) of one utility's service after connection."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    service_application = models.OneToOneField(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="rating",
    )
    level = models.CharField(_("rating"), max_length=20, choices=RatingLevel.choices)
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("rated at"), default=timezone.now)
    # A bad rating is followed up (回访) and rectified within 15 working days (DOMAIN).
    follow_up_due_at = models.DateTimeField(_("follow-up due"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["level", "created_at"], name="rating_level_created")]

    def __str__(self) -> str:
        return f"{self.service_application}: {self.get_level_display()}"


# The operator API: dispatch leases and idempotent POSTs.
