"""Messages: early demand signals and notices, and the delivery outbox with its cursors."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition

from applications.models import Project
from core.fsm import StateField
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from core.workflow import permitted
from workgroups.models import ApiToken, Organization, Town

from .constants import (
    AttemptOutcome,
    Channel,
    CircuitState,
    DeliveryStatus,
    EventType,
    NoticeStatus,
    SignalKind,
    WebhookAuditAction,
)


class FactCursor(models.Model):
    """How far the engine has read an append-only fact table (StateChange, EscalationEvent...).

    Reading facts by id after the cursor, in the same transaction that writes the deliveries and
    moves the cursor, means every fact is turned into messages exactly once.
    """

    name = models.CharField(_("name"), max_length=50, unique=True)
    position = models.BigIntegerField(_("last id processed"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("fact cursor")
        verbose_name_plural = _("fact cursors")

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"


class FactSeen(models.Model):
    """A fact above the cursor that has been processed (facts can commit out of id order)."""

    cursor = models.CharField(_("cursor"), max_length=50)
    fact_id = models.BigIntegerField(_("fact id"))

    class Meta:
        verbose_name = _("processed fact")
        verbose_name_plural = _("processed facts")
        constraints = [
            models.UniqueConstraint(fields=["cursor", "fact_id"], name="fact_seen_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cursor}:{self.fact_id}"


class WebhookEndpoint(FSMModelMixin, models.Model):
    """Where an operator (or agency) wants signed event callbacks."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"), max_length=128, help_text=_("Shared secret for HMAC-SHA256.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The circuit breaker (notifications/services/circuit.py): paused after consecutive failed
    # attempts, probed with one delivery after a cool-down, delivering again when it succeeds.
    circuit = StateField(
        _("delivery state"),
        max_length=20,
        choices=CircuitState.choices,
        default=CircuitState.DELIVERING,
        protected=True,
    )
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    probe_after = models.DateTimeField(_("next probe at"), null=True, blank=True)
    circuit_error = models.TextField(_("last failure"), blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.organization}: {self.url}"

    # Who may perform each move and what it records: notifications/workflow.py (ENDPOINT).

    @transition(
        field=circuit,
        source=[CircuitState.DELIVERING, CircuitState.PROBING],
        target=CircuitState.PAUSED,
        permission=permitted("pause"),
    )
    def pause(self, *, error: str = "") -> None:
        pass

    @transition(
        field=circuit,
        source=CircuitState.PAUSED,
        target=CircuitState.PROBING,
        permission=permitted("probe"),
    )
    def probe(self) -> None:
        pass

    @transition(
        field=circuit,
        source=CircuitState.PROBING,
        target=CircuitState.DELIVERING,
        permission=permitted("resume"),
    )
    def resume(self) -> None:
        pass


class WebhookEndpointEvent(AppendOnlyModel, models.Model):
    """Append-only audit row: who registered, deactivated or changed a webhook endpoint, when."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook endpoint"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The endpoint's organisation (whose staff may read this)."),
    )
    action = models.CharField(_("action"), max_length=20, choices=WebhookAuditAction.choices)
    url = models.URLField(_("URL"), max_length=500, help_text=_("The URL at that moment."))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the portal itself acted (the circuit breaker)."),
    )
    api_token = models.ForeignKey(
        ApiToken,
        verbose_name=_("API token"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The token the request came with; empty for the staff site."),
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint audit event")
        verbose_name_plural = _("webhook endpoint audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organization", "at"], name="webhook_event_org_at")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.url}"


class DemandSignal(models.Model):
    """A department's early word of a coming project (关口前移): land sale, investment deal,
    project approval, road-excavation plan, or a project recorded in the portal."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=SignalKind.choices)
    source_organization = models.ForeignKey(
        Organization,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="demand_signals",
    )
    title = models.CharField(_("title"), max_length=200)
    town = models.ForeignKey(Town, verbose_name=_("town"), on_delete=models.PROTECT)
    location = models.CharField(_("location"), max_length=300, blank=True)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="demand_signals",
    )
    expected_utilities = models.JSONField(_("expected utilities"), default=list)
    expected_loads = models.JSONField(
        _("expected loads"), default=dict, blank=True, help_text=_("Per utility, free form.")
    )
    expected_date = models.DateField(_("expected date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("demand signal")
        verbose_name_plural = _("demand signals")
        ordering = ["-created_at"]
        constraints = [
            # A project is announced once, however often the fact reader sees it.
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=models.Q(project__isnull=False),
                name="demand_signal_project_kind_unique",
            )
        ]

    def __str__(self) -> str:
        return self.title


class DemandNotice(FSMModelMixin, models.Model):
    """One operator's copy of a demand signal, for the utilities it serves there."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    signal = models.ForeignKey(
        DemandSignal, verbose_name=_("signal"), on_delete=models.PROTECT, related_name="notices"
    )
    operator = models.ForeignKey(
        Organization,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="demand_notices",
    )
    utilities = models.JSONField(_("utilities"), default=list)
    status = StateField(
        _("status"),
        max_length=20,
        choices=NoticeStatus.choices,
        default=NoticeStatus.NEW,
        protected=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("demand notice")
        verbose_name_plural = _("demand notices")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["signal", "operator"], name="demand_notice_unique")
        ]
        indexes = [models.Index(fields=["operator", "status"], name="notice_operator_status")]

    def __str__(self) -> str:
        return f"{self.signal} -> {self.operator}"

    # Who may perform each move and what it records: notifications/workflow.py.

    @transition(
        field=status,
        source=NoticeStatus.NEW,
        target=NoticeStatus.ACKNOWLEDGED,
        permission=permitted("acknowledge"),
    )
    def acknowledge(self) -> None:
        pass


class Delivery(FSMModelMixin, models.Model):
    """One message to one recipient over one channel: the delivery outbox.

    Written in the transaction that decided the message; delivered by Celery until it succeeds
    or is parked as failed after the allowed attempts. `idempotency_key` makes a second write of
    the same message impossible, and receivers dedupe webhooks by `event_id`.
    """

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    event_id = models.UUIDField(_("event id"), db_index=True)
    event_type = models.CharField(_("event"), max_length=50, choices=EventType.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    recipient_organization = models.ForeignKey(
        Organization,
        verbose_name=_("recipient organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook endpoint"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    recipient_address = models.EmailField(
        _("recipient e-mail address"),
        blank=True,
        help_text=_("For someone without an account (a demand's submitter), in place of a user."),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    # What the message says, as a catalogue code and its parameters (notifications/texts.py):
    # the inbox renders it in the reader's language. subject/body hold the Chinese text the
    # other channels carry, and the only text of rows written before codes existed.
    code = models.CharField(_("message code"), max_length=60, blank=True)
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    status = StateField(
        _("status"),
        max_length=20,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        protected=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The lease of the task the row is handed to (services/leases.py): nobody else attempts it
    # until `leased_until`, which that task renews while it runs.
    leased_until = models.DateTimeField(_("reserved until"), null=True, blank=True)
    lease_token = models.CharField(_("reserved by"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_pending_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                name="delivery_endpoint_pending",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["recipient_organization", "endpoint"],
                name="delivery_parked",
                condition=models.Q(status="failed"),
            ),
            models.Index(
                fields=["recipient_organization", "channel", "created_at"],
                name="delivery_inbox",
            ),
            # The header's unread count.
            models.Index(
                fields=["recipient_organization"],
                name="delivery_inbox_unread",
                condition=models.Q(channel="in_app", read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.subject}"

    # Who may perform each move and what it records: notifications/workflow.py.

    @transition(
        field=status,
        source=DeliveryStatus.PENDING,
        target=DeliveryStatus.SENT,
        permission=permitted("deliver"),
    )
    def deliver(self) -> None:
        pass

    @transition(
        field=status,
        source=DeliveryStatus.PENDING,
        target=DeliveryStatus.FAILED,
        permission=permitted("park"),
    )
    def park(self, *, error: str = "") -> None:
        pass

    @transition(
        field=status,
        source=DeliveryStatus.FAILED,
        target=DeliveryStatus.PENDING,
        permission=permitted("retry"),
    )
    def retry(self) -> None:
        pass


class DeliveryAttempt(models.Model):
    """One try to deliver a message: when, where to, what came back and how long it took."""

    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_history",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook endpoint"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    target = models.CharField(
        _("sent to"), max_length=500, blank=True, help_text=_("URL or address at that moment.")
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=AttemptOutcome.choices)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    probe = models.BooleanField(
        _("probe"),
        default=False,
        help_text=_("Sent to test a paused endpoint; a failed probe does not count against it."),
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["delivery", "at"], name="delivery_attempt_at")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.at:%Y-%m-%d %H:%M:%S}"


class DeliveryRetry(models.Model):
    """A staff member put a parked delivery back in the queue; its earlier attempts stay."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="retries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("retried by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    attempts_before = models.PositiveSmallIntegerField(_("attempts before"), default=0)
    error_before = models.TextField(_("last error before"), blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery retry")
        verbose_name_plural = _("delivery retries")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.actor} {self.at:%Y-%m-%d %H:%M:%S}"
