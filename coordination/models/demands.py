"""Demands and suggestions (诉求与建议): what enterprises and residents ask of the workgroups."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMModelMixin, transition

from applications.models import ServiceApplication
from core.fsm import StateField
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from core.workflow import permitted
from workgroups.models import Organization, Town

from ..clock import ClockedItem
from ..constants import DemandKind, DemandStatus, DemandTheme, Utility, Verdict
from ..registry import MAX_REOPENINGS

D = DemandStatus


def _nonce() -> str:
    return secrets.token_hex(16)


class Demand(FSMModelMixin, ClockedItem):
    """A need, complaint or suggestion from an enterprise or resident, routed to the workgroup
    of its utility and the town it concerns, and answered within working-day limits."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(  # noqa: DJ001 (set right after the insert: unique once set)
        _("reference number"), max_length=30, unique=True, null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DemandKind.choices)
    theme = models.CharField(_("theme"), max_length=30, choices=DemandTheme.choices)
    utility = models.CharField(_("utility"), max_length=20, choices=Utility.choices)
    town = models.ForeignKey(
        Town, verbose_name=_("town"), on_delete=models.PROTECT, related_name="demands"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"))
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("about the case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="demands",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("submitting organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="demands_submitted",
        help_text=_("Empty when submitted without signing in."),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    contact_name = models.CharField(_("contact name"), max_length=60)
    contact_mobile = models.CharField(_("contact mobile"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # With the secret key, makes the submitter's private link (coordination/access.py); the
    # link itself is stored nowhere.
    access_nonce = models.CharField(
        _("private link nonce"), max_length=32, default=_nonce, editable=False
    )
    status = StateField(
        _("status"),
        max_length=20,
        choices=DemandStatus.choices,
        default=D.SUBMITTED,
        protected=True,
    )
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"))
    answer_due_at = models.DateTimeField(_("answer by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    first_answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    answer_working_days = models.PositiveSmallIntegerField(
        _("working days to the first answer"), null=True, blank=True
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answer_text = models.TextField(_("answer"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # Set while a referral of the demand is open with a higher tier (coordination/workflow.py
    # keeps it; the escalations' unique constraint backs it).
    referral_open = models.BooleanField(_("referred up"), default=False)
    verdict = models.CharField(
        _("verdict"), max_length=10, choices=Verdict.choices, default=Verdict.NONE, blank=True
    )
    verdict_comment = models.TextField(_("verdict comment"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("demand or suggestion")
        verbose_name_plural = _("demands and suggestions")
        ordering = ["-submitted_at"]
        permissions = [
            ("act_as_submitter", _("Can act as the submitter of the demand")),
            ("handle_demand", _("Can acknowledge, answer and close the demand")),
            ("answer_demand", _("Can answer the demand for its town")),
        ]
        indexes = [
            # The sweep: open demands past their deadline.
            models.Index(
                fields=["due_at"],
                name="demand_open_due",
                condition=~models.Q(status="closed"),
            ),
            models.Index(fields=["workgroup", "submitted_at"], name="demand_workgroup_month"),
            models.Index(fields=["organization", "submitted_at"], name="demand_submitter"),
        ]

    def __str__(self) -> str:
        return self.reference or str(self.uuid)

    # Who may perform each move and what it records: coordination/workflow.py (DEMAND).

    @transition(
        field=status, source=D.SUBMITTED, target=D.ACKNOWLEDGED, permission=permitted("acknowledge")
    )
    def acknowledge(self) -> None:
        pass

    @transition(
        field=status,
        source=[D.SUBMITTED, D.ACKNOWLEDGED, D.REOPENED],
        target=D.ANSWERED,
        permission=permitted("answer"),
    )
    def answer(self, *, answer: str) -> None:
        self.answer_text = answer

    @transition(field=status, source=D.ANSWERED, target=D.CLOSED, permission=permitted("close"))
    def close(self) -> None:
        pass

    @transition(
        field=status, source=D.ANSWERED, target=D.CLOSED, permission=permitted("confirm_solved")
    )
    def confirm_solved(self) -> None:
        self.verdict = Verdict.SOLVED

    @transition(
        field=status,
        source=D.ANSWERED,
        target=RETURN_VALUE(D.REOPENED, D.CLOSED),
        permission=permitted("report_unsolved"),
    )
    def report_unsolved(self, *, reason: str) -> str:
        """Back to the workgroup, once; after that the "not solved" verdict closes it."""
        self.verdict, self.verdict_comment = Verdict.UNSOLVED, reason
        if self.reopen_count < MAX_REOPENINGS:
            self.reopen_count += 1
            return D.REOPENED
        return D.CLOSED

    @transition(
        field=status,
        source="*",
        target=None,
        permission=permitted("refer_up"),
        conditions=[lambda demand: not demand.referral_open],
    )
    def refer_up(self, *, reason: str) -> None:
        """The workgroup cannot solve it alone: the leadership office takes it up (提级协调).
        The demand's own state and clock stay as they are."""
        self.referral_open = True

    @transition(
        field=status, source=D.ANSWERED, target=D.CLOSED, permission=permitted("close_unrated")
    )
    def close_unrated(self) -> None:
        """Nobody said whether the answer solved it within the limit: closed by the system."""


def attachment_upload_to(instance: "DemandAttachment", filename: str) -> str:
    # Never the submitter's file name on disk.
    return f"demands/{instance.demand.uuid}/{instance.sha256}{instance.extension}"


class DemandAttachment(models.Model):
    """A file that came with a demand (checked by content and size like every upload)."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    demand = models.ForeignKey(
        Demand, verbose_name=_("demand"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=50)
    extension = models.CharField(_("extension"), max_length=8)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("demand attachment")
        verbose_name_plural = _("demand attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]


class DemandHistory(AppendOnlyModel, models.Model):
    """Append-only fact: one transition of a demand (who, for which organisation, from, to,
    when, comment). The notifications engine reads these rows to tell people."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    demand = models.ForeignKey(
        Demand, verbose_name=_("demand"), on_delete=models.PROTECT, related_name="history"
    )
    transition = models.CharField(_("transition"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system or a private-link holder acted."),
    )
    actor_organization = models.ForeignKey(
        Organization,
        verbose_name=_("actor's organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(
        _("acted as"),
        max_length=80,
        blank=True,
        help_text=_("Who acted without an account (the submitter, through the private link)."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("input"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("demand history entry")
        verbose_name_plural = _("demand history")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["demand", "at"], name="demand_history_at")]

    def __str__(self) -> str:
        return f"{self.demand}: {self.from_state} -> {self.to_state}"
