"""The workgroups' knowledge base and training (业务培训).

Articles are written by a workgroup's staff: procedures, answers to frequent questions, and
decisions taken at coordination meetings (an article may name its meeting). The body is rich
text sanitised when it is saved (coordination/knowledge.py). For the full-text search the
title and the body's text are segmented into words on the Python side (jieba: PostgreSQL has
no Chinese parser) and stored space-separated; PostgreSQL turns them into the stored tsvector
with the 'simple' configuration, and a query is segmented the same way.

Training sessions (title, date, workgroup, trainer, material) record who attended, per person
and organisation; the operator scorecards count the attendance per organisation.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.constants import ServiceStatus
from workgroups.models import Organization, Workgroup

from ..constants import ArticleKind
from .meetings import Meeting

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 50000


class Article(models.Model):
    """One piece of a workgroup's know-how: a procedure, an FAQ or a meeting's decision."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    workgroup = models.ForeignKey(
        Workgroup, verbose_name=_("workgroup"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ArticleKind.choices)
    # The case stage it helps with (blank: any stage); the case page shows it there.
    stage = models.CharField(
        _("case stage"), max_length=20, choices=ServiceStatus.choices, blank=True
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("text"), max_length=BODY_MAX_LENGTH)
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("coordination meeting"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Words of the title and of the body's text, segmented and space-separated (see above).
    search_title = models.TextField(_("title words"), blank=True, editable=False)
    search_body = models.TextField(_("text words"), blank=True, editable=False)
    search_vector = SearchVectorField(_("search vector"), null=True, editable=False)

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["workgroup", "stage"], name="article_wg_stage")]

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    """A training session (业务培训) of a workgroup: what, when, who trained, the material."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    workgroup = models.ForeignKey(
        Workgroup, verbose_name=_("workgroup"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    held_on = models.DateField(_("date"))
    trainer = models.CharField(_("trainer"), max_length=100)
    material = models.TextField(_("material"), max_length=BODY_MAX_LENGTH, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.title


class TrainingAttendance(models.Model):
    """One person of one organisation attended a training session."""

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("training session"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.CharField(_("person"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendance")
        ordering = ["organization_id", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "organization", "person"], name="training_attendance_once"
            )
        ]

    def __str__(self) -> str:
        return self.person
