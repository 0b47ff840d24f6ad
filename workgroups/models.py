"""Who is who: organisations, the five workgroups, people and their roles, SLAs, tiers."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition

from core.crypto import EncryptedTextField
from core.fsm import StateField
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from core.workflow import permitted

from .constants import (
    AccessDoor,
    AccessKind,
    ApiTokenAction,
    ApiTokenChannel,
    DisputeSide,
    DisputeStatus,
    MemberRole,
    NetworkCarrier,
    OrganizationKind,
    PermitType,
    SlaVariant,
    Stage,
    Utility,
    VerificationStatus,
    VerifiedVia,
    WorkgroupRole,
)
from .validators import mask_resident_id


class User(AbstractUser):
    """A person who signs in: applicant, agency or operator staff, or administrator."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    mobile = models.CharField(_("mobile number"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    mobile_confirmed_at = models.DateTimeField(
        _("mobile number confirmed at"),
        null=True,
        blank=True,
        help_text=_("Set when the person typed the code sent by SMS to this number."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._loaded_mobile = user.__dict__.get("mobile")
        return user

    def save(self, *args, **kwargs) -> None:
        # A new number is not confirmed by the old one's code: SMS waits for a new code.
        loaded = getattr(self, "_loaded_mobile", None)
        if loaded is not None and self.mobile != loaded and self.mobile_confirmed_at is not None:
            self.mobile_confirmed_at = None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "mobile_confirmed_at"}
        super().save(*args, **kwargs)
        self._loaded_mobile = self.mobile


class Town(models.Model):
    """A town, sub-district or development area of Zhongshan (镇街), where projects are located."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    governing_organization = models.ForeignKey(
        "Organization",
        verbose_name=_("governing organisation"),
        on_delete=models.PROTECT,
        related_name="governed_towns",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("town or sub-district")
        verbose_name_plural = _("towns and sub-districts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh


class Organization(models.Model):
    """An agency, operator, town, leadership body, data provider or applicant company."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=OrganizationKind.choices)
    unified_social_credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True
    )
    # Every organisation acts through its own auth group: object permissions are granted to it.
    group = models.OneToOneField(
        Group,
        verbose_name=_("permission group"),
        on_delete=models.PROTECT,
        related_name="organization",
        editable=False,
    )
    provides_data = models.BooleanField(
        _("provides shared data"),
        default=False,
        help_text=_("Pushes early demand signals and project data (关口前移, 免证办)."),
    )
    keeps_company_registry = models.BooleanField(
        _("keeps the company registry"),
        default=False,
        help_text=_(
            "The market regulator (市场监督管理局): its registry data verifies applicant "
            "companies, and its staff review business licences and credit-code disputes."
        ),
    )
    carrier = models.CharField(
        _("network carrier"),
        max_length=20,
        choices=NetworkCarrier.choices,
        blank=True,
        help_text=_(
            "Network operators only: a network request goes to the carriers the applicant "
            "chose, and to China Tower when a tower or indoor coverage is needed."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["unified_social_credit_code"],
                condition=~models.Q(unified_social_credit_code=""),
                name="organization_uscc_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name_zh


class Membership(models.Model):
    """A person's membership of an organisation, with their role inside it."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(
        _("role"), max_length=20, choices=MemberRole.choices, default=MemberRole.STAFF
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_user_org_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"


class Workgroup(models.Model):
    """One of the five linkage workgroups (专项联动协调工作小组), owner of one utility."""

    code = models.CharField(_("utility"), max_length=20, choices=Utility.choices, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=120)
    organizations = models.ManyToManyField(
        Organization,
        verbose_name=_("organisations"),
        through="WorkgroupMembership",
        related_name="workgroups",
    )

    class Meta:
        verbose_name = _("workgroup")
        verbose_name_plural = _("workgroups")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name_zh


class WorkgroupMembership(models.Model):
    """An organisation's part in a workgroup: lead agency (牵头), member or operator."""

    workgroup = models.ForeignKey(
        Workgroup, verbose_name=_("workgroup"), on_delete=models.CASCADE, related_name="members"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="workgroup_memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=WorkgroupRole.choices)

    class Meta:
        verbose_name = _("workgroup membership")
        verbose_name_plural = _("workgroup memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["workgroup", "organization"], name="workgroup_membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workgroup}: {self.organization} ({self.get_role_display()})"


class OperatorCoverage(models.Model):
    """Which operator serves a utility where: city-wide (no town) or a franchise town (gas)."""

    operator = models.ForeignKey(
        Organization,
        verbose_name=_("operator"),
        on_delete=models.CASCADE,
        related_name="coverage",
        limit_choices_to={"kind": OrganizationKind.OPERATOR},
    )
    utility = models.CharField(_("utility"), max_length=20, choices=Utility.choices)
    town = models.ForeignKey(
        Town,
        verbose_name=_("town"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty means the whole city."),
    )

    class Meta:
        verbose_name = _("operator coverage")
        verbose_name_plural = _("operator coverage")
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "utility", "town"], name="operator_coverage_unique"
            ),
            models.UniqueConstraint(
                fields=["operator", "utility"],
                condition=models.Q(town__isnull=True),
                name="operator_coverage_citywide_unique",
            ),
        ]

    def __str__(self) -> str:
        where = self.town or _("city-wide")
        return f"{self.operator} / {self.get_utility_display()} / {where}"


class SlaPolicy(models.Model):
    """Working days a workgroup allows for one stage (staff may change the defaults)."""

    workgroup = models.ForeignKey(
        Workgroup, verbose_name=_("workgroup"), on_delete=models.CASCADE, related_name="slas"
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    variant = models.CharField(
        _("variant"), max_length=20, choices=SlaVariant.choices, default="", blank=True
    )
    working_days = models.PositiveSmallIntegerField(
        _("working days"), validators=[MinValueValidator(1), MaxValueValidator(120)]
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["workgroup", "stage", "variant"]
        constraints = [
            models.UniqueConstraint(
                fields=["workgroup", "stage", "variant"], name="sla_policy_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workgroup} / {self.get_stage_display()}: {self.working_days}"


class EscalationTier(models.Model):
    """A rung of the escalation ladder (policy 四(八)); tier 1 is the case's own lead agency."""

    level = models.PositiveSmallIntegerField(
        _("level"), unique=True, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=120)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty for tier 1: the lead agencies of the case's workgroup."),
    )
    climb_after_working_days = models.PositiveSmallIntegerField(
        _("climb after working days"),
        default=2,
        help_text=_("An escalation unresolved this long moves to the next tier."),
    )

    class Meta:
        verbose_name = _("escalation tier")
        verbose_name_plural = _("escalation tiers")
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.level}: {self.name_zh}"


class PermitAuthority(models.Model):
    """The agency that decides one kind of outside-line permit, and its time limit."""

    permit_type = models.CharField(
        _("permit type"), max_length=30, choices=PermitType.choices, unique=True
    )
    agency = models.ForeignKey(
        Organization,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="permit_authorities",
    )
    working_days = models.PositiveSmallIntegerField(
        _("working days"), default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )

    class Meta:
        verbose_name = _("permit authority")
        verbose_name_plural = _("permit authorities")
        ordering = ["permit_type"]

    def __str__(self) -> str:
        return f"{self.get_permit_type_display()}: {self.agency}"


class ApiToken(models.Model):
    """A secret an organisation's system presents to the REST API (shown once, stored hashed)."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    # Requests act as this service account, a member of the organisation, so the object
    # permissions granted to the organisation's group apply to API calls unchanged.
    user = models.ForeignKey(
        User,
        verbose_name=_("service account"),
        on_delete=models.PROTECT,
        related_name="api_tokens",
        editable=False,
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. 'dispatch system'.")
    )
    prefix = models.CharField(
        _("prefix"),
        max_length=16,
        editable=False,
        help_text=_("The token's first characters, to recognise it; the rest is never stored."),
    )
    digest = models.CharField(_("SHA-256 digest"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["organization", "-created_at"]

    def __str__(self) -> str:
        return f"{self.organization}: {self.name} ({self.prefix}…)"


class ApiTokenEvent(AppendOnlyModel, models.Model):
    """Append-only audit row: who created, rotated or revoked an API token, and when."""

    token = models.ForeignKey(
        ApiToken, verbose_name=_("API token"), on_delete=models.PROTECT, related_name="events"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The token's organisation (whose managers may read this)."),
    )
    action = models.CharField(_("action"), max_length=20, choices=ApiTokenAction.choices)
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replaced = models.ForeignKey(
        ApiToken,
        verbose_name=_("replaced token"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For a rotation: the token this one replaced (revoked at the same time)."),
    )
    via = models.CharField(_("through"), max_length=20, choices=ApiTokenChannel.choices, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token audit event")
        verbose_name_plural = _("API token audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organization", "at"], name="api_token_event_org_at")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.token.prefix}"


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
        # The table's established name: a new one would only mean copying production rows.
        db_table = "applications_idempotencyrecord"
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.status_code}"


class CalendarSource(models.TextChoices):
    PACKAGE = "package", _("chinese-calendar package")
    OFFICIAL_NOTICE = "official_notice", _("State Council holiday notice, entered by staff")
    PROVISIONAL = "provisional", _("Provisional (weekdays only), to be replaced")


class CalendarDay(models.Model):
    """One day of the working-day calendar: every deadline and every count of working days,
    in Python and in SQL, reads this table (workgroups.calendar)."""

    day = models.DateField(_("day"), primary_key=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(
        _("name"), max_length=60, blank=True, help_text=_("The holiday or make-up day's name.")
    )
    source = models.CharField(_("source"), max_length=20, choices=CalendarSource.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {'working' if self.is_working_day else 'rest'}"


# Company identity: who holds a 统一社会信用代码 (workgroups/identity.py, workgroups/workflow.py).


class CompanyRegistryRecord(models.Model):
    """What the company registry (市场监督管理局) says about one credit code: its name and legal
    representative, as last pushed."""

    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("registered name"), max_length=200)
    legal_representative = models.CharField(_("legal representative"), max_length=100)
    pushed_at = models.DateTimeField(_("pushed at"), default=timezone.now)
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pushed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pushed_by_organization = models.ForeignKey(
        Organization,
        verbose_name=_("pushed by organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("company registry record")
        verbose_name_plural = _("company registry records")
        ordering = ["credit_code"]

    def __str__(self) -> str:
        return f"{self.credit_code} {self.name}"


class CompanyIdentity(FSMModelMixin, models.Model):
    """An applicant company's claim to its credit code and how far it is proven: unverified,
    awaiting review of its business licence, verified, or disputed by another registration."""

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="identity",
    )
    credit_code = models.CharField(
        _("claimed credit code"),
        max_length=18,
        blank=True,
        help_text=_(
            "The code the company registered with. Empty once staff decided a dispute against it."
        ),
    )
    status = StateField(
        _("verification"),
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
        protected=True,
    )
    verified_via = models.CharField(
        _("verified through"), max_length=20, choices=VerifiedVia.choices, blank=True
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    registry_record = models.ForeignKey(
        CompanyRegistryRecord,
        verbose_name=_("registry data"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="identities",
    )
    review_requested_at = models.DateTimeField(_("review requested at"), null=True, blank=True)
    last_reason = models.TextField(
        _("reason"), blank=True, help_text=_("Why staff refused the licence or decided a dispute.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company identity")
        verbose_name_plural = _("company identities")
        indexes = [models.Index(fields=["status"], name="company_identity_status")]

    def __str__(self) -> str:
        return f"{self.organization}: {self.get_status_display()}"

    @property
    def is_verified(self) -> bool:
        return self.status == VerificationStatus.VERIFIED

    # Who may perform each move and what it records: workgroups/workflow.py (COMPANY).

    @transition(
        field=status,
        source=VerificationStatus.UNVERIFIED,
        target=VerificationStatus.AWAITING_REVIEW,
        permission=permitted("request_review"),
    )
    def request_review(self) -> None:
        pass

    @transition(
        field=status,
        source=[VerificationStatus.UNVERIFIED, VerificationStatus.AWAITING_REVIEW],
        target=VerificationStatus.VERIFIED,
        permission=permitted("verify_by_registry"),
    )
    def verify_by_registry(self, *, record: int) -> None:
        self.registry_record_id = record
        self.verified_via = VerifiedVia.REGISTRY

    @transition(
        field=status,
        source=[VerificationStatus.UNVERIFIED, VerificationStatus.AWAITING_REVIEW],
        target=VerificationStatus.VERIFIED,
        permission=permitted("match_registry"),
    )
    def match_registry(self, *, record: int) -> None:
        self.registry_record_id = record
        self.verified_via = VerifiedVia.REGISTRY

    @transition(
        field=status,
        source=VerificationStatus.AWAITING_REVIEW,
        target=VerificationStatus.VERIFIED,
        permission=permitted("accept_review"),
    )
    def accept_review(self) -> None:
        self.verified_via = VerifiedVia.REVIEW

    @transition(
        field=status,
        source=VerificationStatus.AWAITING_REVIEW,
        target=VerificationStatus.UNVERIFIED,
        permission=permitted("refuse_review"),
    )
    def refuse_review(self, *, reason: str) -> None:
        self.last_reason = reason

    @transition(
        field=status,
        source=[VerificationStatus.UNVERIFIED, VerificationStatus.AWAITING_REVIEW],
        target=VerificationStatus.DISPUTED,
        permission=permitted("open_dispute"),
    )
    def open_dispute(self) -> None:
        pass

    @transition(
        field=status,
        source=VerificationStatus.DISPUTED,
        target=VerificationStatus.VERIFIED,
        permission=permitted("settle"),
    )
    def settle(self, *, reason: str) -> None:
        self.verified_via = VerifiedVia.DISPUTE
        self.last_reason = reason

    @transition(
        field=status,
        source=[
            VerificationStatus.UNVERIFIED,
            VerificationStatus.AWAITING_REVIEW,
            VerificationStatus.VERIFIED,
            VerificationStatus.DISPUTED,
        ],
        target=VerificationStatus.UNVERIFIED,
        permission=permitted("detach"),
    )
    def detach(self, *, reason: str) -> None:
        self.credit_code = ""
        self.verified_via = ""
        self.registry_record_id = None
        self.last_reason = reason


class CompanyDispute(FSMModelMixin, models.Model):
    """Two registrations of one credit code: staff decide which company holds it."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    holder = models.ForeignKey(
        Organization,
        verbose_name=_("company holding the code"),
        on_delete=models.CASCADE,
        related_name="disputes_held",
    )
    claimant = models.ForeignKey(
        Organization,
        verbose_name=_("company claiming the code"),
        on_delete=models.CASCADE,
        related_name="disputes_claimed",
    )
    claimant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = StateField(
        _("status"),
        max_length=20,
        choices=DisputeStatus.choices,
        default=DisputeStatus.OPEN,
        protected=True,
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    decided_for = models.CharField(
        _("decided for"), max_length=20, choices=DisputeSide.choices, blank=True
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit-code dispute")
        verbose_name_plural = _("credit-code disputes")
        ordering = ["opened_at", "pk"]
        indexes = [models.Index(fields=["status", "opened_at"], name="company_dispute_status")]

    def __str__(self) -> str:
        return f"{self.credit_code}: {self.holder} / {self.claimant}"

    @transition(
        field=status,
        source=DisputeStatus.OPEN,
        target=DisputeStatus.DECIDED,
        permission=permitted("decide_for_holder"),
    )
    def decide_for_holder(self, *, reason: str) -> None:
        self.decided_for = DisputeSide.HOLDER
        self.reason = reason

    @transition(
        field=status,
        source=DisputeStatus.OPEN,
        target=DisputeStatus.DECIDED,
        permission=permitted("decide_for_claimant"),
    )
    def decide_for_claimant(self, *, reason: str) -> None:
        self.decided_for = DisputeSide.CLAIMANT
        self.reason = reason


class CompanyIdentityEvent(AppendOnlyModel, models.Model):
    """Append-only audit row of a company's identity: each move and each dispute fact, who,
    when and why. The notifications engine reads these to tell the company."""

    identity = models.ForeignKey(
        CompanyIdentity,
        verbose_name=_("company identity"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("what happened"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20)
    to_state = models.CharField(_("to"), max_length=20)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the portal acted (registration matched the registry)."),
    )
    dispute = models.ForeignKey(
        CompanyDispute,
        verbose_name=_("dispute"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("company identity event")
        verbose_name_plural = _("company identity events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.organization}: {self.name}"


class PersonIdentity(models.Model):
    """The ID-card number (居民身份证号码) a person applying for their own home gave, kept
    encrypted (core/crypto.py) and shown masked everywhere (validators.mask_resident_id)."""

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("applicant"),
        on_delete=models.CASCADE,
        related_name="person_identity",
    )
    id_number = EncryptedTextField(_("ID-card number (encrypted)"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("person's identity")
        verbose_name_plural = _("persons' identities")

    def __str__(self) -> str:
        return f"{self.organization}: {self.masked_id_number}"

    @property
    def masked_id_number(self) -> str:
        return mask_resident_id(self.id_number)


class MobileConfirmation(models.Model):
    """A one-time code sent by SMS to confirm a person's mobile number. Only a keyed hash of
    the code is kept; it expires in minutes and takes a few attempts."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="mobile_codes"
    )
    mobile = models.CharField(_("mobile number"), max_length=20)
    code_digest = models.CharField(_("code HMAC-SHA256"), max_length=64)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mobile confirmation code")
        verbose_name_plural = _("mobile confirmation codes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"], name="mobile_code_user_created")]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class PendingSignup(models.Model):
    """A public sign-up waiting for the code sent by SMS to its mobile number. Its user is
    inactive (cannot sign in, gets no password-reset mail) and has no organisation yet: the
    company or one-person organisation is created when the code is entered
    (workgroups/registration.py). Unconfirmed, it expires, and the number is free again."""

    KIND_COMPANY = "company"
    KIND_PERSON = "person"

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="pending_signup"
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=[(KIND_COMPANY, _("company")), (KIND_PERSON, _("person"))],
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("pending sign-up")
        verbose_name_plural = _("pending sign-ups")

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"


class AccessRecord(AppendOnlyModel, models.Model):
    """Append-only row of the access log (个人信息保护法): who, for which organisation, read
    which personal data or document, when, from which address and through which door.

    It lives here, below applications and coordination, so both write it; what was read is
    stored as plain values (public ids, case references), never as foreign keys to the higher
    apps' tables, so the log outlives the rows and this app reads none of theirs. PostgreSQL
    refuses UPDATE and DELETE on the table (migration 0013), except the retention purge
    (workgroups/access_log.py `access_records_purge`). Names are copied at the time of the read:
    the log still says who it was after an account or organisation is renamed or removed.
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User,
        verbose_name=_("read by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # (user, at) below serves it: one index fewer to write per read
    )
    username = models.CharField(_("account name"), max_length=150)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # (organization, at) below serves it
    )
    organization_name = models.CharField(_("organisation name"), max_length=120, blank=True)
    door = models.CharField(_("door"), max_length=20, choices=AccessDoor.choices)
    kind = models.CharField(_("what was read"), max_length=30, choices=AccessKind.choices)
    # JSON lists of strings, not ArrayFields: the embedded demo runs on SQLite. On PostgreSQL
    # they are jsonb with GIN indexes (migration 0013), so "every read of these cases" is one
    # indexed query (`?|`).
    cases = models.JSONField(
        _("cases"), default=list, blank=True, help_text=_("Public ids of the cases concerned.")
    )
    case_references = models.JSONField(_("case references"), default=list, blank=True)
    subjects = models.JSONField(
        _("items read"),
        default=list,
        blank=True,
        help_text=_("Public ids of what was read: applications, documents, demands, companies."),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=128, blank=True)
    path = models.CharField(_("address read"), max_length=300, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("access record")
        verbose_name_plural = _("personal data access log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "at"], name="access_record_org_at"),
            models.Index(fields=["user", "at"], name="access_record_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.kind}"
