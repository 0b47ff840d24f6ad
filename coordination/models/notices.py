"""Policy notices (政策推送): what a workgroup's lead agency tells the applicant companies, with
an infographic (一图读懂), perhaps a video, aimed at the companies whose cases fit its filters."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition

from core.fsm import StateField
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from core.workflow import permitted
from workgroups.models import Organization, Workgroup

from ..constants import NoticeEventKind, NoticeStatus

N = NoticeStatus


def notice_file_upload_to(instance: models.Model, filename: str) -> str:
    # `filename` is a random name the service chose, never the uploader's.
    notice = instance if isinstance(instance, PolicyNotice) else instance.notice  # type: ignore[attr-defined]
    return f"notices/{notice.uuid}/{filename}"


class PolicyNotice(FSMModelMixin, models.Model):
    """A policy notice of a workgroup: published at once or at a set time, to every applicant
    company or to those its filters pick; edits after publication are kept as revisions."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    workgroup = models.ForeignKey(
        Workgroup, verbose_name=_("workgroup"), on_delete=models.PROTECT, related_name="notices"
    )
    title = models.CharField(_("title"), max_length=120)
    body_html = models.TextField(_("text (sanitised HTML)"))
    infographic = models.FileField(
        _("infographic"), upload_to=notice_file_upload_to, max_length=200, blank=True
    )
    infographic_type = models.CharField(_("infographic content type"), max_length=50, blank=True)
    video = models.FileField(
        _("video"), upload_to=notice_file_upload_to, max_length=200, blank=True
    )
    video_type = models.CharField(_("video content type"), max_length=50, blank=True)
    video_url = models.URLField(_("video link"), max_length=300, blank=True)
    # Targeting: each filter picks any of its values; filters combine with AND; none = everyone.
    utilities = models.JSONField(_("utilities"), default=list, blank=True)
    business_types = models.JSONField(_("business types"), default=list, blank=True)
    project_kinds = models.JSONField(_("project kinds"), default=list, blank=True)
    towns = models.JSONField(_("towns (codes)"), default=list, blank=True)
    company_types = models.JSONField(_("company types"), default=list, blank=True)
    case_states = models.JSONField(_("stages of the companies' cases"), default=list, blank=True)
    status = StateField(
        _("status"), max_length=20, choices=NoticeStatus.choices, default=N.DRAFT, protected=True
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    revision = models.PositiveSmallIntegerField(_("revision"), default=0)
    revised_at = models.DateTimeField(_("revised at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("policy notice")
        verbose_name_plural = _("policy notices")
        ordering = ["-published_at", "-created_at"]
        indexes = [
            models.Index(
                fields=["publish_at"],
                name="notice_scheduled_due",
                condition=models.Q(status="scheduled"),
            ),
            models.Index(fields=["status", "published_at"], name="notice_public_list"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def targeted(self) -> bool:
        return any(
            (
                self.utilities,
                self.business_types,
                self.project_kinds,
                self.towns,
                self.company_types,
                self.case_states,
            )
        )

    # Who may perform each move and what it records: coordination/workflow.py (NOTICE).

    @transition(
        field=status,
        source=[N.DRAFT, N.SCHEDULED],
        target=N.SCHEDULED,
        permission=permitted("schedule"),
    )
    def schedule(self, *, publish_at) -> None:
        self.publish_at = publish_at

    @transition(
        field=status, source=N.SCHEDULED, target=N.DRAFT, permission=permitted("unschedule")
    )
    def unschedule(self) -> None:
        self.publish_at = None

    @transition(
        field=status,
        source=[N.DRAFT, N.SCHEDULED],
        target=N.PUBLISHED,
        permission=permitted("publish"),
    )
    def publish(self) -> None:
        pass

    @transition(field=status, source=N.SCHEDULED, target=N.PUBLISHED)
    def publish_due(self) -> None:
        """The scheduled time has come (the beat task)."""

    @transition(
        field=status, source=N.PUBLISHED, target=N.WITHDRAWN, permission=permitted("withdraw")
    )
    def withdraw(self) -> None:
        pass


class PolicyNoticeAttachment(models.Model):
    """A file that comes with a notice (checked by content and size like every upload)."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    notice = models.ForeignKey(
        PolicyNotice,
        verbose_name=_("policy notice"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=notice_file_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=50)
    extension = models.CharField(_("extension"), max_length=8)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("policy notice attachment")
        verbose_name_plural = _("policy notice attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]


class PolicyNoticeRevision(AppendOnlyModel, models.Model):
    """Append-only: the text of a notice as published (number 0) and after each later edit."""

    notice = models.ForeignKey(
        PolicyNotice,
        verbose_name=_("policy notice"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    number = models.PositiveSmallIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=120)
    body_html = models.TextField(_("text (sanitised HTML)"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy notice revision")
        verbose_name_plural = _("policy notice revisions")
        ordering = ["notice", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "number"], name="notice_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.notice} #{self.number}"


class PolicyNoticeEvent(AppendOnlyModel, models.Model):
    """Append-only audit row: who created, edited, scheduled, published or withdrew a notice."""

    notice = models.ForeignKey(
        PolicyNotice,
        verbose_name=_("policy notice"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("action"), max_length=20, choices=NoticeEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system published a scheduled notice."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy notice event")
        verbose_name_plural = _("policy notice events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.notice}: {self.kind}"


class NoticeRecipient(AppendOnlyModel, models.Model):
    """Append-only fact: a company a published notice is for, fixed at publication in the same
    transaction. The notifications engine reads these rows to tell its members, once."""

    notice = models.ForeignKey(
        PolicyNotice,
        verbose_name=_("policy notice"),
        on_delete=models.PROTECT,
        related_name="recipients",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy notice recipient")
        verbose_name_plural = _("policy notice recipients")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "organization"], name="notice_recipient_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notice} -> {self.organization}"


class NoticeReadReceipt(models.Model):
    """A company has read a notice: the first of its members who opened it, and when."""

    notice = models.ForeignKey(
        PolicyNotice,
        verbose_name=_("policy notice"),
        on_delete=models.CASCADE,
        related_name="receipts",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first reader"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("policy notice read receipt")
        verbose_name_plural = _("policy notice read receipts")
        constraints = [
            models.UniqueConstraint(fields=["notice", "organization"], name="notice_receipt_unique")
        ]

    def __str__(self) -> str:
        return f"{self.notice} read by {self.organization}"


__all__ = [
    "NoticeReadReceipt",
    "NoticeRecipient",
    "PolicyNotice",
    "PolicyNoticeAttachment",
    "PolicyNoticeEvent",
    "PolicyNoticeRevision",
]
