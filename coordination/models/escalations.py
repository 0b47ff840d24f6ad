"""Missed deadlines of the workgroups' own work, climbing the tiers like a case's (四(八))."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition

from applications.models import ServiceApplication
from core.fsm import StateField
from core.querysets import AppendOnlyModel, AppendOnlyQuerySet
from core.workflow import permitted
from workgroups.models import Workgroup

from ..constants import EscalationEventKind, EscalationOrigin, EscalationStatus, ItemKind
from .demands import Demand
from .follow_ups import FollowUp
from .meetings import ActionItem

TOP_TIER = 3

# Each kind of item and the foreign key that names it: exactly that one is set.
ITEM_FIELDS = {
    ItemKind.DEMAND: "demand",
    ItemKind.FOLLOW_UP: "follow_up",
    ItemKind.CASE: "service_application",
    ItemKind.ACTION_ITEM: "action_item",
}


def _one_item() -> models.Q:
    condition = models.Q()
    for kind, field in ITEM_FIELDS.items():
        others = {f"{other}__isnull": True for other in ITEM_FIELDS.values() if other != field}
        condition |= models.Q(item_kind=kind, **{f"{field}__isnull": False}, **others)
    return condition


class ItemEscalation(FSMModelMixin, models.Model):
    """A demand, a follow-up, a meeting's action item or a case with a higher tier: a missed
    working-day deadline, climbing from the workgroup's lead agencies (tier 1) to the leadership
    office (2) and the leading group (3) until someone who holds it resolves it or the item moves
    on; or a referral (提级协调) by the tier below that could not solve it, which the holder
    resolves or refers up in turn.

    One nullable foreign key per kind of item (a demand, a follow-up, an action item, a case
    referred up), exactly one of them set (ITEM_FIELDS): the sweep and the pages join the item
    directly, with no generic relation."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    item_kind = models.CharField(_("item"), max_length=20, choices=ItemKind.choices)
    demand = models.ForeignKey(
        Demand,
        verbose_name=_("demand"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalations",
    )
    follow_up = models.ForeignKey(
        FollowUp,
        verbose_name=_("follow-up"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalations",
    )
    # A case (one utility's application) referred up by its workgroup (提级协调).
    service_application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("service application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    action_item = models.ForeignKey(
        ActionItem,
        verbose_name=_("action item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalations",
    )
    workgroup = models.ForeignKey(
        Workgroup, verbose_name=_("workgroup"), on_delete=models.PROTECT, related_name="+"
    )
    origin = models.CharField(
        _("origin"),
        max_length=20,
        choices=EscalationOrigin.choices,
        default=EscalationOrigin.DEADLINE,
    )
    # The item's state whose deadline was missed (or in which it was referred).
    stage = models.CharField(_("stage"), max_length=40)
    breached_due_at = models.DateTimeField(_("missed deadline"), null=True, blank=True)
    reason = models.TextField(_("reason for the referral"), blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referred by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    tier = models.PositiveSmallIntegerField(_("tier"), default=1)
    status = StateField(
        _("status"),
        max_length=20,
        choices=EscalationStatus.choices,
        default=EscalationStatus.OPEN,
        protected=True,
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
        verbose_name = _("coordination escalation")
        verbose_name_plural = _("coordination escalations")
        ordering = ["-opened_at"]
        constraints = [
            # Re-running the sweep never opens a second escalation for the same deadline.
            models.UniqueConstraint(
                fields=["demand", "breached_due_at"],
                condition=models.Q(demand__isnull=False),
                name="item_escalation_demand_deadline_unique",
            ),
            models.UniqueConstraint(
                fields=["follow_up", "breached_due_at"],
                condition=models.Q(follow_up__isnull=False),
                name="item_escalation_follow_up_deadline_unique",
            ),
            models.UniqueConstraint(
                fields=["action_item", "breached_due_at"],
                condition=models.Q(action_item__isnull=False),
                name="item_escalation_action_item_deadline_unique",
            ),
            # One referral of an item at a time (it climbs; a new one waits for its resolution).
            models.UniqueConstraint(
                fields=["demand"],
                condition=models.Q(origin="referral") & ~models.Q(status="resolved"),
                name="item_escalation_demand_open_referral_unique",
            ),
            models.UniqueConstraint(
                fields=["service_application"],
                condition=models.Q(origin="referral") & ~models.Q(status="resolved"),
                name="item_escalation_case_open_referral_unique",
            ),
            # A case's deadlines escalate in applications.Escalation: here only referrals.
            models.CheckConstraint(
                condition=models.Q(service_application__isnull=True) | models.Q(origin="referral"),
                name="item_escalation_case_is_referral",
            ),
            models.UniqueConstraint(
                fields=["action_item"],
                condition=models.Q(origin="referral") & ~models.Q(status="resolved"),
                name="item_escalation_action_item_open_referral_unique",
            ),
            # A deadline escalation names its deadline; a referral its reason.
            models.CheckConstraint(
                condition=models.Q(origin="deadline", breached_due_at__isnull=False)
                | models.Q(origin="referral"),
                name="item_escalation_deadline_named",
            ),
            # Exactly one item: the one its kind names.
            models.CheckConstraint(
                condition=_one_item(),
                name="item_escalation_one_item",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tier", "tier_since"],
                name="item_escalation_unresolved",
                condition=~models.Q(status="resolved"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} / {self.stage} / tier {self.tier}"

    @property
    def item(self) -> models.Model | None:
        return self.demand or self.follow_up or self.action_item or self.service_application

    # Who may handle an escalation and what each move records: coordination/workflow.py.

    @transition(
        field=status,
        source=EscalationStatus.OPEN,
        target=EscalationStatus.ACKNOWLEDGED,
        permission=permitted("acknowledge"),
    )
    def acknowledge(self) -> None:
        pass

    @transition(
        field=status,
        source=[EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED],
        target=EscalationStatus.RESOLVED,
        permission=permitted("resolve"),
    )
    def resolve(self, *, note: str) -> None:
        self.resolution_note = note

    @transition(
        field=status,
        source=[EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED],
        target=EscalationStatus.OPEN,
        permission=permitted("refer_up"),
        conditions=[lambda escalation: escalation.tier < TOP_TIER],
    )
    def refer_up(self, *, reason: str) -> None:
        """The tier holding it could not solve it: the next tier takes it (the leadership
        office refers to the leading group)."""
        self.tier += 1

    @transition(
        field=status,
        source=[EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED],
        target=EscalationStatus.RESOLVED,
        permission=permitted("close_overtaken"),
    )
    def close_overtaken(self, *, note: str) -> None:
        """The item moved on: the deadline this escalation is about no longer stands."""
        self.resolution_note = note


class ItemEscalationEvent(AppendOnlyModel, models.Model):
    """Append-only fact: an escalation of a coordination item opened, climbed, was
    acknowledged or resolved. The notifications engine reads these rows to tell each tier."""

    escalation = models.ForeignKey(
        ItemEscalation,
        verbose_name=_("escalation"),
        on_delete=models.PROTECT,
        related_name="events",
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
        verbose_name = _("coordination escalation event")
        verbose_name_plural = _("coordination escalation events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.escalation}: {self.kind}"
