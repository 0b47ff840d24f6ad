"""The one decision package (统一出件) of a combined request: every utility's plan, fee and
permits in one PDF signed by the platform, with a short code to verify it publicly."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .requests import CombinedApplication


def package_upload_to(instance: "DecisionPackage", filename: str) -> str:
    return f"packages/{instance.combined.uuid}/{instance.number}-{instance.pdf_sha256}.pdf"


class DecisionPackage(models.Model):
    """One issue of a request's decision package. A new one is issued when anything in it
    changes; the older ones stay (and stay verifiable) marked as superseded."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    combined = models.ForeignKey(
        CombinedApplication,
        verbose_name=_("combined application"),
        on_delete=models.PROTECT,
        related_name="decision_packages",
    )
    number = models.PositiveSmallIntegerField(_("issue number"))
    short_code = models.CharField(_("verification code"), max_length=16, unique=True)
    content = models.JSONField(_("content"))
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64)
    pdf = models.FileField(_("signed PDF"), upload_to=package_upload_to, max_length=200)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64)
    issued_at = models.DateTimeField(_("issued at"))
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("decision package")
        verbose_name_plural = _("decision packages")
        ordering = ["combined", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["combined", "number"], name="package_number_unique"),
            models.UniqueConstraint(
                fields=["combined", "content_sha256"], name="package_content_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.combined} #{self.number} ({self.short_code})"
