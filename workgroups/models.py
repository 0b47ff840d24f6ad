"""Who is who: organisations, the five workgroups, people and their roles, SLAs, tiers."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.querysets import AppendOnlyQuerySet

from .constants import (
    ApiTokenAction,
    ApiTokenChannel,
    MemberRole,
    NetworkCarrier,
    OrganizationKind,
    PermitType,
    SlaVariant,
    Stage,
    Utility,
    WorkgroupRole,
)


class User(AbstractUser):
    """A person who signs in: applicant, agency or operator staff, or administrator."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    mobile = models.CharField(_("mobile number"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


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


class ApiTokenEvent(models.Model):
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

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("audit rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit rows are append-only")


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
