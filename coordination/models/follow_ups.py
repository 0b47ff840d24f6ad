"""Follow-up of bad ratings (回访): the rating invitation after connection, and the workgroup's
follow-up of a "dissatisfied" or worse rating on a 15-working-day clock (docs/coordination.md).

The ratings themselves are the applications layer's (applications.models.Rating): this layer
reads them and never asks that layer to know it exists.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition

from applications.models import Rating, RatingLevel, ServiceApplication
from core.fsm import StateField
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from core.workflow import permitted
from workgroups.models import Organization

from ..clock import ClockedItem
from ..constants import FollowUpStatus

CAUSE_MAX_LENGTH = 2000
REACHED_MAX_LENGTH = 200


class RatingInvitation(AppendOnlyModel, models.Model):
    """Append-only fact: the applicant was invited to rate one utility's connection, three
    working days after it (once per application: the unique key). The notifications engine
    reads these rows (inbox, e-mail, SMS to a confirmed number)."""

    service_application = models.OneToOneField(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("invited at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating invitation")
        verbose_name_plural = _("rating invitations")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.service_application}: {self.at:%Y-%m-%d}"


class FollowUp(FSMModelMixin, ClockedItem):
    """The workgroup's follow-up of one bad rating: the call (when, who was reached), the cause
    and the fix, then the applicant's second rating. One per rating (the unique key), so
    reading the ratings again opens nothing twice."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    rating = models.OneToOneField(
        Rating, verbose_name=_("rating"), on_delete=models.PROTECT, related_name="+"
    )
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+"
    )
    status = StateField(
        _("status"),
        max_length=20,
        choices=FollowUpStatus.choices,
        default=FollowUpStatus.OPEN,
        protected=True,
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    reached = models.CharField(_("who was reached"), max_length=REACHED_MAX_LENGTH, blank=True)
    cause = models.TextField(_("cause"), blank=True)
    fix = models.TextField(_("fix"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The applicant's second rating, after reading the answer (empty: none given).
    final_level = models.CharField(
        _("second rating"), max_length=20, choices=RatingLevel.choices, blank=True
    )
    final_comment = models.TextField(_("comment on the second rating"), blank=True)
    re_rated_at = models.DateTimeField(_("rated again at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="follow_up_open_due",
                condition=~models.Q(status="closed"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_application}: {self.get_status_display()}"

    # Who may move it and what each move records: coordination/workflow.py (FOLLOW_UP).

    @transition(
        field=status,
        source=[FollowUpStatus.OPEN, FollowUpStatus.CALLED],
        target=FollowUpStatus.CALLED,
        permission=permitted("record_call"),
    )
    def record_call(self, *, called_at, reached: str) -> None:
        self.called_at, self.reached = called_at, reached

    @transition(
        field=status,
        source=FollowUpStatus.CALLED,
        target=FollowUpStatus.ANSWERED,
        permission=permitted("answer"),
    )
    def answer(self, *, cause: str, fix: str) -> None:
        self.cause, self.fix = cause, fix

    @transition(
        field=status,
        source=FollowUpStatus.ANSWERED,
        target=FollowUpStatus.CLOSED,
        permission=permitted("re_rate"),
    )
    def re_rate(self, *, level: str, comment: str = "") -> None:
        self.final_level, self.final_comment = level, comment

    @transition(
        field=status,
        source=FollowUpStatus.ANSWERED,
        target=FollowUpStatus.CLOSED,
        permission=permitted("close_unrated"),
    )
    def close_unrated(self) -> None:
        pass


class FollowUpHistory(AppendOnlyModel, models.Model):
    """Append-only fact: one move of a follow-up (opened, called, answered, rated again,
    closed). The notifications engine reads these rows."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    follow_up = models.ForeignKey(
        FollowUp, verbose_name=_("follow-up"), on_delete=models.PROTECT, related_name="history"
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
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up history entry")
        verbose_name_plural = _("follow-up history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.follow_up}: {self.transition}"
