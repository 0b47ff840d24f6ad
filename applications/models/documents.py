"""Documents stored once, their use by applications, and commitments instead of them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition

from core.fsm import StateField
from core.workflow import permitted
from workgroups.models import Organization

from ..constants import (
    BreachAction,
    CommitmentStatus,
    DocumentSource,
    DocumentType,
    ServiceStatus,
)
from .requests import CombinedApplication
from .service import ServiceApplication


def document_upload_to(instance: "Document", filename: str) -> str:
    # Never the applicant's file name on disk: content address under the owner's folder.
    return f"documents/{instance.owner.uuid}/{instance.sha256}{instance.extension}"


class Document(models.Model):
    """A document stored once (by SHA-256) and linked to every application that needs it."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        Organization, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="documents"
    )
    doc_type = models.CharField(_("document type"), max_length=30, choices=DocumentType.choices)
    file = models.FileField(_("file"), upload_to=document_upload_to, blank=True, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=50, blank=True)
    extension = models.CharField(_("extension"), max_length=8, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    source = models.CharField(
        _("source"), max_length=20, choices=DocumentSource.choices, default=DocumentSource.UPLOAD
    )
    source_organization = models.ForeignKey(
        Organization,
        verbose_name=_("shared by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shared_documents",
    )
    project = models.ForeignKey(
        "Project",
        verbose_name=_("shared with project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shared_documents",
        help_text=_("Set when a department pushed this document with the project's data."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at"]
        constraints = [
            # An owner stores a file once; a department may share one file with several projects.
            models.UniqueConstraint(
                fields=["owner", "doc_type", "sha256"],
                condition=models.Q(project__isnull=True),
                name="document_owner_type_sha_unique",
            ),
            models.UniqueConstraint(
                fields=["owner", "doc_type", "sha256", "project"],
                condition=models.Q(project__isnull=False),
                name="document_project_type_sha_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()}: {self.original_name or self.sha256[:12]}"


class DocumentLink(models.Model):
    """A document used by one service application (the same document serves several)."""

    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.CASCADE,
        related_name="document_links",
    )
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="links"
    )
    doc_type = models.CharField(_("document type"), max_length=30, choices=DocumentType.choices)

    class Meta:
        verbose_name = _("document link")
        verbose_name_plural = _("document links")
        constraints = [
            models.UniqueConstraint(
                fields=["service_application", "doc_type"], name="document_link_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_application} <- {self.document}"


class CommitmentText(models.Model):
    """One version of the wording an applicant signs under 承诺制 instead of a document: the
    promise, when it falls due and what follows if it is not kept. A new wording is a new
    version; a signed commitment keeps the version it was signed under."""

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    # `{document}` stands for the document the commitment replaces.
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"))
    due_point_zh = models.CharField(_("due point (Chinese)"), max_length=200)
    due_point_en = models.CharField(_("due point (English)"), max_length=200)
    consequences_zh = models.TextField(_("consequences (Chinese)"))
    consequences_en = models.TextField(_("consequences (English)"))
    effective_from = models.DateTimeField(_("effective from"))

    class Meta:
        verbose_name = _("commitment wording")
        verbose_name_plural = _("commitment wordings")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="commitment_text_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def _local(self, name: str) -> str:
        english = (get_language() or "").startswith("en")
        return getattr(self, f"{name}_en" if english else f"{name}_zh")

    def statement(self, document: object) -> str:
        """The promise for one document (its label), in the page's language."""
        return self._local("text").replace("{document}", str(document))

    @property
    def due_point(self) -> str:
        return self._local("due_point")

    @property
    def consequences(self) -> str:
        return self._local("consequences")


C = CommitmentStatus


class Commitment(FSMModelMixin, models.Model):
    """A signed commitment (承诺制) given instead of one document type for a combined request:
    the document falls due at a stage of the case or on a working day, whichever comes first,
    and the agency that issues it verifies it or records the promise broken."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    combined = models.ForeignKey(
        CombinedApplication,
        verbose_name=_("combined application"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    doc_type = models.CharField(_("document type"), max_length=30, choices=DocumentType.choices)
    statement = models.TextField(_("statement"))
    wording = models.ForeignKey(
        CommitmentText,
        verbose_name=_("wording signed"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed by"), on_delete=models.PROTECT
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    status = StateField(
        _("status"),
        max_length=20,
        choices=CommitmentStatus.choices,
        default=C.PENDING,
        protected=True,
    )
    # The due point and the rule, fixed at signing from the registry (COMMITMENT_RULES).
    due_stage = models.CharField(
        _("due before stage"), max_length=20, choices=ServiceStatus.choices, blank=True
    )
    due_on = models.DateField(_("due by (working day)"), null=True, blank=True)
    verifier = models.ForeignKey(
        Organization,
        verbose_name=_("verifying agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments_to_verify",
    )
    on_breach = models.CharField(
        _("if broken"), max_length=10, choices=BreachAction.choices, default=BreachAction.PAUSE
    )
    fell_due_at = models.DateTimeField(_("fell due at"), null=True, blank=True)
    document = models.ForeignKey(
        Document,
        verbose_name=_("document supplied"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("document supplied at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    breach_reason = models.TextField(_("why it was found broken"), blank=True)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.UniqueConstraint(fields=["combined", "doc_type"], name="commitment_unique")
        ]
        indexes = [
            models.Index(fields=["verifier", "status"], name="commitment_verifier_status"),
            # The due sweep: pending commitments not yet marked due.
            models.Index(
                fields=["due_on"],
                name="commitment_pending_due",
                condition=models.Q(status="pending", fell_due_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.combined}: {self.get_doc_type_display()}"

    @property
    def is_due(self) -> bool:
        return self.fell_due_at is not None

    # Transition methods change fields in memory only (applications/workflow.py COMMITMENT).

    @transition(
        field=status,
        source=[C.PENDING, C.BREACHED],
        target=C.SUBMITTED,
        # After a breach only a paused case can still be saved by the document.
        conditions=[lambda c: c.status == C.PENDING or c.on_breach == BreachAction.PAUSE],
        permission=permitted("supply"),
    )
    def supply(self, *, document: Document) -> None:
        self.document = document
        self.submitted_at = timezone.now()

    @transition(field=status, source=C.SUBMITTED, target=C.VERIFIED, permission=permitted("verify"))
    def verify(self, *, reason: str = "") -> None:
        pass

    @transition(
        field=status,
        source=[C.PENDING, C.SUBMITTED],
        target=C.BREACHED,
        # Pending: only once it fell due; a supplied document may be found not to be it.
        conditions=[lambda c: c.status == C.SUBMITTED or c.fell_due_at is not None],
        permission=permitted("breach"),
    )
    def breach(self, *, reason: str) -> None:
        self.breach_reason = reason


class CommitmentEvent(models.Model):
    """One fact of a commitment's life (fell due, supplied, verified, broken): its audit trail
    and the outbox the notifications layer reads."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="events"
    )
    transition = models.CharField(_("transition"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20)
    to_state = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("commitment event")
        verbose_name_plural = _("commitment events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.commitment}: {self.transition}"


class LicenceReview(models.Model):
    """A company's business licence (a document of its library) sent to staff to verify that
    it holds its credit code (workgroups/identity.py); the latest one is reviewed."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="licence_reviews",
    )
    document = models.ForeignKey(
        Document, verbose_name=_("business licence"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        verbose_name = _("business licence review")
        verbose_name_plural = _("business licence reviews")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "requested_at"], name="licence_review_org_at")
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.requested_at:%Y-%m-%d}"
