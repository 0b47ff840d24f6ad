"""One utility's application: the state machine of DESIGN 3."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMModelMixin, transition

from core.fsm import StateField
from core.workflow import permitted
from workgroups.models import Organization, Workgroup

from ..constants import (
    CLOCKED_STATES,
    STAGE_PARTY,
    ServiceStatus,
    Utility,
)
from .requests import CombinedApplication

S = ServiceStatus

# Open states a broken commitment may pause (a connected case has nothing left to pause).
SUSPENDABLE = [
    S.SUBMITTED,
    S.RETURNED,
    S.ACCEPTED,
    S.SURVEYING,
    S.PLAN_ISSUED,
    S.PERMITTING,
    S.CONSTRUCTING,
    S.INSPECTING,
]


def commitments_kept(sa: "ServiceApplication") -> bool:
    """A case is not connected or closed while a commitment it relies on is unverified."""
    return sa.unverified_commitments == 0


WITHDRAWABLE = [
    S.DRAFT,
    S.SUBMITTED,
    S.RETURNED,
    S.ACCEPTED,
    S.SURVEYING,
    S.PLAN_ISSUED,
    S.PERMITTING,
]


class ServiceApplication(FSMModelMixin, models.Model):
    """One utility's application inside a combined request: a state machine (DESIGN 3)."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    combined = models.ForeignKey(
        CombinedApplication,
        verbose_name=_("combined application"),
        on_delete=models.PROTECT,
        related_name="services",
    )
    utility = models.CharField(_("utility"), max_length=20, choices=Utility.choices)
    workgroup = models.ForeignKey(
        Workgroup, verbose_name=_("workgroup"), on_delete=models.PROTECT, related_name="+"
    )
    operator = models.ForeignKey(
        Organization,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    status = StateField(
        _("status"), max_length=20, choices=ServiceStatus.choices, default=S.DRAFT, protected=True
    )
    details = models.JSONField(_("utility details"), default=dict)
    # Stage plan fixed at submission from the registry (a later registry change never moves
    # a case that is already running).
    fast_track = models.BooleanField(
        _("fast track"), default=False, help_text=_("No survey, plan or outside-line permits.")
    )
    needs_inspection = models.BooleanField(_("needs completion inspection"), default=True)
    sla_variant = models.CharField(_("SLA variant"), max_length=20, blank=True, default="")
    # Stage data.
    survey_result = models.TextField(_("survey result"), blank=True)
    plan = models.TextField(_("connection plan"), blank=True)
    fee_quote_cny = models.DecimalField(
        _("fee quote (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # The quote itemised (optional): [{"label": ..., "amount_cny": "12.50"}], adding up to
    # fee_quote_cny; empty for a single-sum quote.
    fee_items = models.JSONField(_("fee quote items"), default=list, blank=True)
    # The applicant's confirmation of the quote (with the plan: confirm_plan).
    fee_confirmed_at = models.DateTimeField(_("fee confirmed at"), null=True, blank=True)
    fee_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fee confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    required_permits = models.JSONField(_("required outside-line permits"), default=list)
    inspection_result = models.TextField(_("inspection result"), blank=True)
    last_reason = models.TextField(_("reason given"), blank=True)
    returned_from = models.CharField(
        _("returned from"), max_length=20, choices=ServiceStatus.choices, blank=True
    )
    suspended_from = models.CharField(
        _("paused from"), max_length=20, choices=ServiceStatus.choices, blank=True
    )
    # Commitments (承诺制) covering this application's documents not yet verified by their
    # agency: kept by the commitment services, read by the connect/close conditions without a
    # query (button lists of whole queues evaluate them).
    unverified_commitments = models.PositiveSmallIntegerField(
        _("unverified commitments"), default=0
    )
    # The working-day clock.
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("stage entered at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    paused_since = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    paused_working_days = models.PositiveIntegerField(_("working days paused"), default=0)
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    # The deadline the SLA sweep last escalated: lets the sweep find new breaches on the
    # partial due-date index alone, without joining the escalations.
    escalated_due_at = models.DateTimeField(_("escalated deadline"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    documents = models.ManyToManyField(
        "Document",
        verbose_name=_("documents"),
        through="DocumentLink",
        related_name="service_applications",
    )

    class Meta:
        verbose_name = _("service application")
        verbose_name_plural = _("service applications")
        ordering = ["id"]
        permissions = [
            ("act_as_applicant", _("Can act as the applicant of the application")),
            ("act_as_operator", _("Can act as the operator of the application")),
            ("review_as_lead", _("Can return the application as its workgroup's lead agency")),
            # A town or development zone reads the cases in its area, without their files.
            ("read_in_area", _("Can read the application as the town of its project")),
        ]
        indexes = [
            models.Index(fields=["operator", "updated_at"], name="sa_operator_updated"),
            models.Index(fields=["workgroup", "status"], name="sa_workgroup_status"),
            # The SLA sweep: open, clocked states past their due date, one indexed query.
            models.Index(
                fields=["due_at"],
                name="sa_open_due",
                condition=models.Q(status__in=sorted(CLOCKED_STATES)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.combined} / {self.get_utility_display()}"

    # Transition methods change fields in memory only; the workflow kernel checks, saves and
    # records them (who may perform each one: applications/workflow.py).

    @transition(field=status, source=S.DRAFT, target=S.SUBMITTED, permission=permitted("submit"))
    def submit(self) -> None:
        pass

    @transition(field=status, source=S.SUBMITTED, target=S.ACCEPTED, permission=permitted("accept"))
    def accept(self) -> None:
        pass

    @transition(
        field=status,
        source=S.SUBMITTED,
        target=S.RETURNED,
        permission=permitted("return_for_correction"),
    )
    def return_for_correction(self, *, reason: str) -> None:
        self.last_reason = reason
        self.returned_from = S.SUBMITTED

    @transition(
        field=status,
        source=S.RETURNED,
        target=RETURN_VALUE(S.SUBMITTED, S.PERMITTING),
        permission=permitted("resubmit"),
    )
    def resubmit(self) -> str:
        target = S.PERMITTING if self.returned_from == S.PERMITTING else S.SUBMITTED
        self.returned_from = ""
        return target

    @transition(field=status, source=S.SUBMITTED, target=S.REJECTED, permission=permitted("reject"))
    def reject(self, *, reason: str) -> None:
        self.last_reason = reason

    @transition(
        field=status,
        source=S.ACCEPTED,
        target=S.SURVEYING,
        conditions=[lambda sa: not sa.fast_track],
        permission=permitted("start_survey"),
    )
    def start_survey(self) -> None:
        pass

    @transition(
        field=status, source=S.SURVEYING, target=S.PLAN_ISSUED, permission=permitted("issue_plan")
    )
    def issue_plan(
        self,
        *,
        survey_result: str,
        plan: str,
        fee_quote_cny,
        required_permits: list[str],
        fee_items: list[dict] | None = None,
    ) -> None:
        self.survey_result = survey_result
        self.plan = plan
        self.fee_quote_cny = fee_quote_cny
        self.fee_items = list(fee_items or [])
        # A new quote waits for its own confirmation.
        self.fee_confirmed_at, self.fee_confirmed_by = None, None
        self.required_permits = list(required_permits)

    @transition(
        field=status,
        source=S.PLAN_ISSUED,
        target=RETURN_VALUE(S.PERMITTING, S.CONSTRUCTING),
        permission=permitted("confirm_plan"),
    )
    def confirm_plan(self) -> str:
        return S.PERMITTING if self.required_permits else S.CONSTRUCTING

    @transition(
        field=status,
        source=S.ACCEPTED,
        target=S.CONSTRUCTING,
        conditions=[lambda sa: sa.fast_track],
        permission=permitted("start_construction"),
    )
    def start_construction(self) -> None:
        pass

    @transition(
        field=status,
        source=S.PERMITTING,
        target=S.CONSTRUCTING,
        permission=permitted("permits_approved"),
    )
    def permits_approved(self) -> None:
        pass

    @transition(
        field=status,
        source=S.PERMITTING,
        target=S.RETURNED,
        permission=permitted("permit_returned"),
    )
    def permit_returned(self, *, reason: str) -> None:
        self.last_reason = reason
        self.returned_from = S.PERMITTING

    @transition(
        field=status,
        source=[S.PERMITTING, S.RETURNED],
        target=S.REJECTED,
        permission=permitted("permit_rejected"),
    )
    def permit_rejected(self, *, reason: str) -> None:
        self.last_reason = reason

    @transition(
        field=status,
        source=S.CONSTRUCTING,
        target=S.INSPECTING,
        conditions=[lambda sa: sa.needs_inspection],
        permission=permitted("complete_construction"),
    )
    def complete_construction(self) -> None:
        pass

    @transition(
        field=status,
        source=S.INSPECTING,
        target=S.CONSTRUCTING,
        permission=permitted("fail_inspection"),
    )
    def fail_inspection(self, *, inspection_result: str) -> None:
        self.inspection_result = inspection_result

    @transition(
        field=status,
        source=[S.CONSTRUCTING, S.INSPECTING],
        target=S.CONNECTED,
        # From construction straight to connected only when no inspection is planned.
        conditions=[
            lambda sa: sa.status == S.INSPECTING or not sa.needs_inspection,
            commitments_kept,
        ],
        permission=permitted("connect"),
    )
    def connect(self, *, inspection_result: str = "") -> None:
        if inspection_result:
            self.inspection_result = inspection_result

    @transition(
        field=status,
        source=S.CONNECTED,
        target=S.CLOSED,
        conditions=[commitments_kept],
        permission=permitted("close"),
    )
    def close(self) -> None:
        pass

    # A broken commitment (承诺制) moves the case by its rule (applications/registry.py
    # COMMITMENT_RULES); no person performs these.

    @transition(
        field=status,
        source=SUSPENDABLE,
        target=S.SUSPENDED,
        permission=permitted("suspend_for_commitment"),
    )
    def suspend_for_commitment(self, *, reason: str) -> None:
        self.last_reason = reason
        self.suspended_from = self.status

    @transition(
        field=status,
        source=S.SUSPENDED,
        target=RETURN_VALUE(*SUSPENDABLE),
        permission=permitted("resume_after_commitment"),
    )
    def resume_after_commitment(self) -> str:
        target = self.suspended_from or S.SUBMITTED
        self.suspended_from = ""
        return target

    @transition(
        field=status,
        source=[*SUSPENDABLE, S.SUSPENDED],
        target=S.REJECTED,
        permission=permitted("stop_for_commitment"),
    )
    def stop_for_commitment(self, *, reason: str) -> None:
        self.last_reason = reason

    @transition(
        field=status, source=WITHDRAWABLE, target=S.WITHDRAWN, permission=permitted("withdraw")
    )
    def withdraw(self, *, reason: str = "") -> None:
        self.last_reason = reason

    @transition(
        field=status,
        source=sorted(STAGE_PARTY),
        target=None,
        permission=permitted("record_visit"),
    )
    def record_visit(self, *, reason: str) -> None:
        """The applicant had to come to a counter: staff record it, the state stays, and the
        visit counts as one of the applicant's procedures."""
