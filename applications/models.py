"""The cases: projects, combined requests, one application per utility, permits, documents."""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from workgroups.models import Organization, Town, Workgroup

from .constants import (
    CLOCKED_STATES,
    BusinessType,
    ClockEvent,
    DocumentSource,
    DocumentType,
    EscalationEventKind,
    EscalationStatus,
    PermitStatus,
    PermitType,
    ProjectKind,
    ProjectSource,
    ServiceStatus,
    Utility,
    WorksType,
)

S = ServiceStatus

# Which object permission each user-facing transition needs (one source of truth for the FSM
# `permission=` and for the service's 403 check).
APPLICANT_PERM = "applications.act_as_applicant"
OPERATOR_PERM = "applications.act_as_operator"
TRANSITION_PERMISSIONS: dict[str, str] = {
    "submit": APPLICANT_PERM,
    "resubmit": APPLICANT_PERM,
    "confirm_plan": APPLICANT_PERM,
    "withdraw": APPLICANT_PERM,
    "accept": OPERATOR_PERM,
    "return_for_correction": OPERATOR_PERM,
    "reject": OPERATOR_PERM,
    "start_survey": OPERATOR_PERM,
    "issue_plan": OPERATOR_PERM,
    "start_construction": OPERATOR_PERM,
    "complete_construction": OPERATOR_PERM,
    "fail_inspection": OPERATOR_PERM,
    "connect": OPERATOR_PERM,
    "close": OPERATOR_PERM,
}
# Transitions only the system performs (permit outcomes); no user may call them.
SYSTEM_TRANSITIONS = frozenset({"permits_approved", "permit_returned", "permit_rejected"})
WITHDRAWABLE = [
    S.DRAFT,
    S.SUBMITTED,
    S.RETURNED,
    S.ACCEPTED,
    S.SURVEYING,
    S.PLAN_ISSUED,
    S.PERMITTING,
]


def _may(transition_name: str):
    perm = TRANSITION_PERMISSIONS[transition_name]

    def check(instance: models.Model, user) -> bool:
        return user.has_perm(perm, instance)

    return check


def _nobody(instance: models.Model, user) -> bool:
    return False


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
    status = FSMField(
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
    required_permits = models.JSONField(_("required outside-line permits"), default=list)
    inspection_result = models.TextField(_("inspection result"), blank=True)
    last_reason = models.TextField(_("reason given"), blank=True)
    returned_from = models.CharField(
        _("returned from"), max_length=20, choices=ServiceStatus.choices, blank=True
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

    # Transition methods change fields in memory only; services save and audit them.

    @transition(field=status, source=S.DRAFT, target=S.SUBMITTED, permission=_may("submit"))
    def submit(self) -> None:
        pass

    @transition(field=status, source=S.SUBMITTED, target=S.ACCEPTED, permission=_may("accept"))
    def accept(self) -> None:
        pass

    @transition(
        field=status,
        source=S.SUBMITTED,
        target=S.RETURNED,
        permission=_may("return_for_correction"),
    )
    def return_for_correction(self, *, reason: str) -> None:
        self.last_reason = reason
        self.returned_from = S.SUBMITTED

    @transition(
        field=status,
        source=S.RETURNED,
        target=RETURN_VALUE(S.SUBMITTED, S.PERMITTING),
        permission=_may("resubmit"),
    )
    def resubmit(self) -> str:
        target = S.PERMITTING if self.returned_from == S.PERMITTING else S.SUBMITTED
        self.returned_from = ""
        return target

    @transition(field=status, source=S.SUBMITTED, target=S.REJECTED, permission=_may("reject"))
    def reject(self, *, reason: str) -> None:
        self.last_reason = reason

    @transition(
        field=status,
        source=S.ACCEPTED,
        target=S.SURVEYING,
        conditions=[lambda sa: not sa.fast_track],
        permission=_may("start_survey"),
    )
    def start_survey(self) -> None:
        pass

    @transition(
        field=status, source=S.SURVEYING, target=S.PLAN_ISSUED, permission=_may("issue_plan")
    )
    def issue_plan(
        self, *, survey_result: str, plan: str, fee_quote_cny, required_permits: list[str]
    ) -> None:
        self.survey_result = survey_result
        self.plan = plan
        self.fee_quote_cny = fee_quote_cny
        self.required_permits = list(required_permits)

    @transition(
        field=status,
        source=S.PLAN_ISSUED,
        target=RETURN_VALUE(S.PERMITTING, S.CONSTRUCTING),
        permission=_may("confirm_plan"),
    )
    def confirm_plan(self) -> str:
        return S.PERMITTING if self.required_permits else S.CONSTRUCTING

    @transition(
        field=status,
        source=S.ACCEPTED,
        target=S.CONSTRUCTING,
        conditions=[lambda sa: sa.fast_track],
        permission=_may("start_construction"),
    )
    def start_construction(self) -> None:
        pass

    @transition(field=status, source=S.PERMITTING, target=S.CONSTRUCTING, permission=_nobody)
    def permits_approved(self) -> None:
        pass

    @transition(field=status, source=S.PERMITTING, target=S.RETURNED, permission=_nobody)
    def permit_returned(self, *, reason: str) -> None:
        self.last_reason = reason
        self.returned_from = S.PERMITTING

    @transition(
        field=status, source=[S.PERMITTING, S.RETURNED], target=S.REJECTED, permission=_nobody
    )
    def permit_rejected(self, *, reason: str) -> None:
        self.last_reason = reason

    @transition(
        field=status,
        source=S.CONSTRUCTING,
        target=S.INSPECTING,
        conditions=[lambda sa: sa.needs_inspection],
        permission=_may("complete_construction"),
    )
    def complete_construction(self) -> None:
        pass

    @transition(
        field=status,
        source=S.INSPECTING,
        target=S.CONSTRUCTING,
        permission=_may("fail_inspection"),
    )
    def fail_inspection(self, *, inspection_result: str) -> None:
        self.inspection_result = inspection_result

    @transition(
        field=status,
        source=[S.CONSTRUCTING, S.INSPECTING],
        target=S.CONNECTED,
        # From construction straight to connected only when no inspection is planned.
        conditions=[lambda sa: sa.status == S.INSPECTING or not sa.needs_inspection],
        permission=_may("connect"),
    )
    def connect(self, *, inspection_result: str = "") -> None:
        if inspection_result:
            self.inspection_result = inspection_result
        self.connected_at = timezone.now()

    @transition(field=status, source=S.CONNECTED, target=S.CLOSED, permission=_may("close"))
    def close(self) -> None:
        pass

    @transition(field=status, source=WITHDRAWABLE, target=S.WITHDRAWN, permission=_may("withdraw"))
    def withdraw(self, *, reason: str = "") -> None:
        self.last_reason = reason


class PermitRequest(FSMModelMixin, models.Model):
    """One outside-line permit for an application, decided by its agency in parallel."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="permits",
    )
    permit_type = models.CharField(_("permit type"), max_length=30, choices=PermitType.choices)
    agency = models.ForeignKey(
        Organization, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="permits"
    )
    round = models.PositiveSmallIntegerField(
        _("round"), default=1, help_text=_("Raised each time a returned permit is filed again.")
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=PermitStatus.choices,
        default=PermitStatus.PENDING,
        protected=True,
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    escalated_due_at = models.DateTimeField(_("escalated deadline"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("permit request")
        verbose_name_plural = _("permit requests")
        ordering = ["id"]
        permissions = [("decide_permitrequest", _("Can decide the permit request"))]
        constraints = [
            models.UniqueConstraint(
                fields=["service_application", "permit_type", "round"],
                name="permit_request_round_unique",
            )
        ]
        indexes = [
            models.Index(fields=["agency", "status"], name="permit_agency_status"),
            models.Index(
                fields=["due_at"],
                name="permit_open_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_application} / {self.get_permit_type_display()}"

    def _decide(self, reason: str) -> None:
        self.reason = reason
        self.decided_at = timezone.now()

    _DECIDE = "applications.decide_permitrequest"

    @transition(
        field=status,
        source=PermitStatus.PENDING,
        target=PermitStatus.APPROVED,
        permission=lambda permit, user: user.has_perm(PermitRequest._DECIDE, permit),
    )
    def approve(self, *, reason: str = "") -> None:
        self._decide(reason)

    @transition(
        field=status,
        source=PermitStatus.PENDING,
        target=PermitStatus.RETURNED,
        permission=lambda permit, user: user.has_perm(PermitRequest._DECIDE, permit),
    )
    def return_to_applicant(self, *, reason: str) -> None:
        self._decide(reason)

    @transition(
        field=status,
        source=PermitStatus.PENDING,
        target=PermitStatus.REJECTED,
        permission=lambda permit, user: user.has_perm(PermitRequest._DECIDE, permit),
    )
    def reject(self, *, reason: str) -> None:
        self._decide(reason)

    @transition(
        field=status, source=PermitStatus.PENDING, target=PermitStatus.CANCELLED, permission=_nobody
    )
    def cancel(self, *, reason: str) -> None:
        """The application no longer needs this permit (rejected or withdrawn)."""
        self._decide(reason)


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
            models.UniqueConstraint(
                fields=["owner", "doc_type", "sha256"], name="document_owner_type_sha_unique"
            )
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


class Commitment(models.Model):
    """A signed commitment (承诺制) given instead of one document type for a combined request."""

    combined = models.ForeignKey(
        CombinedApplication,
        verbose_name=_("combined application"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    doc_type = models.CharField(_("document type"), max_length=30, choices=DocumentType.choices)
    statement = models.TextField(_("statement"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed by"), on_delete=models.PROTECT
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.UniqueConstraint(fields=["combined", "doc_type"], name="commitment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.combined}: {self.get_doc_type_display()}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("state changes are append-only")

    def delete(self):
        raise TypeError("state changes are append-only")


class StateChange(models.Model):
    """Append-only audit row of one transition: who, for which organisation, from, to, when."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="history",
    )
    permit_request = models.ForeignKey(
        PermitRequest,
        verbose_name=_("permit request"),
        on_delete=models.PROTECT,
        related_name="history",
        null=True,
        blank=True,
    )
    transition = models.CharField(_("transition"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20)
    to_state = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system acted."),
    )
    actor_organization = models.ForeignKey(
        Organization,
        verbose_name=_("actor's organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("stage data"), default=dict, blank=True)
    clock_event = models.CharField(
        _("clock"), max_length=10, choices=ClockEvent.choices, blank=True, default=""
    )
    paused_working_days = models.PositiveIntegerField(
        _("working days paused"), null=True, blank=True
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["service_application", "at"], name="statechange_sa_at")]

    def __str__(self) -> str:
        return f"{self.service_application}: {self.from_state} -> {self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("state changes are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("state changes are append-only")


# Direct foreign-key object permissions (guardian): fast joins for the hot models.


class ProjectUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class ProjectGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class CombinedApplicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CombinedApplication, on_delete=models.CASCADE)


class CombinedApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(CombinedApplication, on_delete=models.CASCADE)


class ServiceApplicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ServiceApplication, on_delete=models.CASCADE)


class ServiceApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ServiceApplication, on_delete=models.CASCADE)


class PermitRequestUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(PermitRequest, on_delete=models.CASCADE)


class PermitRequestGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(PermitRequest, on_delete=models.CASCADE)


class DocumentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)


class DocumentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)


class Escalation(models.Model):
    """A missed working-day deadline, climbing from the workgroup lead agency (tier 1) to the
    leadership office (2) and the leading group (3) until someone resolves it (policy 四(八))."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        related_name="escalations",
    )
    permit_request = models.ForeignKey(
        PermitRequest,
        verbose_name=_("permit request"),
        on_delete=models.PROTECT,
        related_name="escalations",
        null=True,
        blank=True,
        help_text=_("Set when a permit agency missed its deadline."),
    )
    stage = models.CharField(_("stage"), max_length=20)
    breached_due_at = models.DateTimeField(_("missed deadline"))
    tier = models.PositiveSmallIntegerField(_("tier"), default=1)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=EscalationStatus.choices,
        default=EscalationStatus.OPEN,
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    tier_since = models.DateTimeField(_("at this tier since"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-opened_at"]
        constraints = [
            # Re-running the sweep can never open a second escalation for the same deadline.
            models.UniqueConstraint(
                fields=["service_application", "breached_due_at"],
                condition=models.Q(permit_request__isnull=True),
                name="escalation_case_deadline_unique",
            ),
            models.UniqueConstraint(
                fields=["permit_request", "breached_due_at"],
                condition=models.Q(permit_request__isnull=False),
                name="escalation_permit_deadline_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tier", "tier_since"],
                name="escalation_unresolved_tier",
                condition=~models.Q(status="resolved"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_application} / {self.stage} / tier {self.tier}"


class EscalationEvent(models.Model):
    """Append-only fact: an escalation opened, climbed, was acknowledged or resolved.
    The notifications engine reads these rows to tell each tier."""

    escalation = models.ForeignKey(
        Escalation, verbose_name=_("escalation"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EscalationEventKind.choices)
    tier = models.PositiveSmallIntegerField(_("tier"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation event")
        verbose_name_plural = _("escalation events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.escalation}: {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("escalation events are append-only")
        super().save(*args, **kwargs)


# The applicant portal: drafts of combined requests and satisfaction ratings.


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


class WorkItemLease(models.Model):
    """A dispatch worker's claim on a work item until it expires, so no two workers share one."""

    service_application = models.OneToOneField(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.CASCADE,
        related_name="lease",
    )
    holder = models.CharField(
        _("held by"), max_length=100, blank=True, help_text=_("The worker's own name for itself.")
    )
    token = models.ForeignKey(
        "workgroups.ApiToken",
        verbose_name=_("API token"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    leased_at = models.DateTimeField(_("leased at"), default=timezone.now)
    leased_until = models.DateTimeField(_("leased until"), db_index=True)

    class Meta:
        verbose_name = _("work item lease")
        verbose_name_plural = _("work item leases")

    def __str__(self) -> str:
        return f"{self.service_application} -> {self.holder} until {self.leased_until:%H:%M:%S}"


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an Idempotency-Key, replayed to its retries."""

    # "org:<uuid>" for a token (every token of the organisation shares its keys), or
    # "user:<uuid>" for a browser session.
    scope = models.CharField(_("scope"), max_length=60)
    key = models.CharField(_("idempotency key"), max_length=255)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request SHA-256"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("response status"), default=0)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.status_code}"
