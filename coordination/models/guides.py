"""The editable prose of the service guides (办事指南): per utility and business type, the
workgroup's lead agency writes the introduction, the notes and the contacts' wording, in
Chinese and English. Every save is a new version (who, when); the public guide shows the
newest with its number and date, staff may read the earlier ones. Everything else in a guide
is generated from the registry and the reference data (coordination/guides.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.constants import Utility
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet

PROSE_MAX_LENGTH = 4000


class GuideText(AppendOnlyModel, models.Model):
    """One version of a service guide's prose for a utility and business type."""

    utility = models.CharField(_("utility"), max_length=20, choices=Utility.choices)
    # Any business type the request form offers (applications.constants.BusinessType).
    business_type = models.CharField(_("business type"), max_length=30)
    version = models.PositiveIntegerField(_("version"))
    intro_zh = models.TextField(_("introduction (Chinese)"), max_length=PROSE_MAX_LENGTH)
    intro_en = models.TextField(
        _("introduction (English)"), max_length=PROSE_MAX_LENGTH, blank=True
    )
    notes_zh = models.TextField(_("notes (Chinese)"), max_length=PROSE_MAX_LENGTH, blank=True)
    notes_en = models.TextField(_("notes (English)"), max_length=PROSE_MAX_LENGTH, blank=True)
    contacts_zh = models.TextField(_("contacts (Chinese)"), max_length=PROSE_MAX_LENGTH, blank=True)
    contacts_en = models.TextField(_("contacts (English)"), max_length=PROSE_MAX_LENGTH, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("service guide text")
        verbose_name_plural = _("service guide texts")
        ordering = ["utility", "business_type", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["utility", "business_type", "version"], name="guide_text_one_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.utility}/{self.business_type} v{self.version}"

    def localised(self, zh: bool) -> dict[str, str]:
        """The prose in the page's language; English falls back to Chinese where not written."""
        pick = {}
        for name in ("intro", "notes", "contacts"):
            chinese = getattr(self, f"{name}_zh")
            pick[name] = chinese if zh else (getattr(self, f"{name}_en") or chinese)
        return pick
