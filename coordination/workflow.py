"""The transition tables of the workgroups' own work: demands, and the escalations of every
clocked item's deadlines.

Same idiom as the cases (core.workflow): each status is a protected FSM field, each move a model
method, and the tables here say who may perform it, how it is labelled, which input it takes and
which notice it raises. `ClockedMachine` is what every clocked item's table shares (demands now;
follow-ups, referrals and action items next): each move stamps the deadline of the state the item
enters (coordination/clock.py) and closes the escalations of the deadline it left, in the
transaction of the move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from django import forms
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import RatingLevel
from applications.workflow import COMMENT_MAX_LENGTH, ResolveInput
from core.workflow import Machine, PermissionSource, Step, Transition, apply_many, register
from workgroups.calendar import working_days_between
from workgroups.constants import OrganizationKind, WorkgroupRole
from workgroups.models import Membership, User, WorkgroupMembership
from workgroups.selectors import escalation_holders

from .clock import ClockedItem, Limits, enter_state, escalating_states
from .constants import (
    ActionItemStatus,
    DemandStatus,
    EscalationEventKind,
    EscalationOrigin,
    EscalationStatus,
    FollowUpStatus,
    ItemKind,
    NoticeEventKind,
)
from .models import (
    ActionItem,
    ActionItemHistory,
    Demand,
    DemandHistory,
    FollowUp,
    FollowUpHistory,
    ItemEscalation,
    ItemEscalationEvent,
    Meeting,
    MeetingHistory,
    PolicyNotice,
    PolicyNoticeEvent,
)
from .models.follow_ups import CAUSE_MAX_LENGTH, REACHED_MAX_LENGTH
from .models.meetings import MINUTES_MAX_LENGTH, NOTE_MAX_LENGTH
from .permissions import (
    ANSWER_AS_TOWN,
    HANDLE_DEMAND,
    MANAGE_MEETING,
    SUBMITTER,
    VIEW_DEMAND,
    VIEW_MEETING,
)
from .registry import ACTION_ITEM_LIMITS, ANSWER_MAX_LENGTH, DEMAND_LIMITS, FOLLOW_UP_LIMITS

__all__ = [
    "ACTION_ITEM",
    "COMMENT_MAX_LENGTH",
    "DEMAND",
    "FOLLOW_UP",
    "ITEM_ESCALATION",
    "MEETING",
    "ClockedMachine",
]

C = TypeVar("C", bound=ClockedItem)

# Not an object permission: holding the escalation's tier (workgroups.selectors.escalation_holders).
HOLDS_TIER = "tier"
OVERSIGHT_KINDS = (OrganizationKind.LEADERSHIP_OFFICE, OrganizationKind.LEADING_GROUP)

# Notices the notifications layer raises for a recorded demand transition.
NOTICE_RECEIVED = "demand_received"
NOTICE_ACKNOWLEDGED = "demand_acknowledged"
NOTICE_ANSWERED = "demand_answered"
NOTICE_REOPENED = "demand_reopened"
NOTICE_NONE = "none"

UNRESOLVED = ~Q(status=EscalationStatus.RESOLVED)
# A workgroup refers what it cannot solve to the leadership office (policy 四(八)).
REFERRAL_TIER = 2


def person(actor: Any) -> User | None:
    """The account behind an actor (None for the system and a private-link holder)."""
    return actor if isinstance(actor, User) else None


# --- Escalations of any clocked item ------------------------------------------------------------


class TierHolding(PermissionSource):
    """Who holds which tier and which organisations the caller acts for, read once: a page
    listing many escalations asks `ITEM_ESCALATION.available(..., perms=holding)` for each
    without a query per row."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.holders = escalation_holders()
        account = person(user)
        self.org_ids: frozenset[int] = frozenset(
            Membership.objects.filter(user=account).values_list("organization_id", flat=True)
            if account is not None
            else ()
        )

    def has(self, perm: str, obj: Model) -> bool:
        return False  # tiers are held by organisations, not granted per object


class ItemEscalationMachine(Machine[ItemEscalation]):
    """A missed deadline of a coordination item climbing the tiers until someone who holds it
    resolves it, or the item moves on. The same holders as a case's (escalation_holders)."""

    model = ItemEscalation
    not_found = gettext_lazy("No such escalation.")
    forbidden = gettext_lazy("You may not handle this escalation.")

    def may(
        self, user: Any, name: str, obj: ItemEscalation, *, perms: PermissionSource | None = None
    ) -> bool:
        """Acknowledge and resolve: whoever handles the tier (as for cases). Refer up: only the
        tier that holds it now (the office refers to the leading group, not the leads)."""
        transition = self.transitions.get(name)
        if transition is None or transition.system_only or person(user) is None:
            return False
        if user.is_superuser:
            return True
        holding = perms if isinstance(perms, TierHolding) else TierHolding(user)
        if name == "refer_up":
            orgs = holding.holders.told(workgroup_id=obj.workgroup_id, tier=obj.tier)
        else:
            orgs = holding.holders.handling(workgroup_id=obj.workgroup_id, tier=obj.tier)
        return bool(orgs & holding.org_ids)

    def refusal(self, transition: Transition, obj: ItemEscalation) -> str:
        if obj.status == EscalationStatus.RESOLVED:
            return _("This escalation is already resolved.")
        return _("This escalation is already %s.") % obj.get_status_display()

    def record(self, obj: ItemEscalation, transition: Transition, step: Step) -> None:
        self.record_many([(obj, step)], transition)

    def record_many(
        self, moved: Sequence[tuple[ItemEscalation, Step]], transition: Transition
    ) -> None:
        kind = _EVENT_OF[transition.name]
        fields = _SAVED_BY[kind]
        for escalation, step in moved:
            if kind == EscalationEventKind.ACKNOWLEDGED:
                escalation.acknowledged_at = step.now
            elif kind == EscalationEventKind.CLIMBED:
                escalation.tier_since = step.now
            else:
                escalation.resolved_at = step.now
                escalation.resolved_by = person(step.actor)
        ItemEscalation.objects.bulk_update([e for e, _step in moved], fields)
        ItemEscalationEvent.objects.bulk_create(
            [
                ItemEscalationEvent(
                    escalation=escalation,
                    kind=kind,
                    tier=escalation.tier,
                    actor=person(step.actor),
                    note=step.data.get("note", "") or step.data.get("reason", ""),
                    at=step.now,
                )
                for escalation, step in moved
            ]
        )
        if kind == EscalationEventKind.RESOLVED:
            # A resolved referral frees its item for another one.
            referrals = [
                e.demand_id
                for e, _s in moved
                if e.origin == EscalationOrigin.REFERRAL and e.demand_id is not None
            ]
            if referrals:
                Demand.objects.filter(pk__in=referrals).update(referral_open=False)
            referred_actions = [
                e.action_item_id
                for e, _s in moved
                if e.origin == EscalationOrigin.REFERRAL and e.action_item_id is not None
            ]
            if referred_actions:
                ActionItem.objects.filter(pk__in=referred_actions).update(referral_open=False)


_EVENT_OF = {
    "acknowledge": EscalationEventKind.ACKNOWLEDGED,
    "refer_up": EscalationEventKind.CLIMBED,
    "resolve": EscalationEventKind.RESOLVED,
    "close_overtaken": EscalationEventKind.RESOLVED,
}
_SAVED_BY = {
    EscalationEventKind.ACKNOWLEDGED: ["status", "acknowledged_at"],
    EscalationEventKind.CLIMBED: ["status", "tier", "tier_since"],
    EscalationEventKind.RESOLVED: ["status", "resolved_at", "resolved_by", "resolution_note"],
}


class ReferInput(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What could not be solved, and what is needed"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Say why it needs the next tier.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 2:
            raise forms.ValidationError(_("Say why it needs the next tier."))
        return reason


ITEM_ESCALATION = register(
    ItemEscalationMachine(
        [
            Transition(
                "acknowledge",
                gettext_lazy("Acknowledge"),
                gettext_lazy("Acknowledged"),
                (HOLDS_TIER,),
            ),
            Transition(
                "resolve",
                gettext_lazy("Resolve"),
                gettext_lazy("Resolved"),
                (HOLDS_TIER,),
                input_form=ResolveInput,
            ),
            Transition(
                "refer_up",
                gettext_lazy("Refer to the next tier"),
                gettext_lazy("Referred to the next tier"),
                (HOLDS_TIER,),
                input_form=ReferInput,
            ),
            Transition(
                "close_overtaken",
                gettext_lazy("Close"),
                gettext_lazy("Closed by the system"),
                input_form=ResolveInput,
            ),
        ]
    )
)


def escalations_close_overtaken(*, field: str, items: Sequence[Model], now: dt.datetime) -> int:
    """Close the open deadline escalations of items that moved on (their deadline no longer
    stands), in the transaction of the move; a referral stays until its holder resolves it.
    `field` is the escalation's foreign key to that kind."""
    if not items:
        return 0
    stale = list(
        ItemEscalation.objects.filter(
            UNRESOLVED,
            origin=EscalationOrigin.DEADLINE,
            **{f"{field}__in": [i.pk for i in items]},
        )
        .select_for_update()
        .order_by("pk")
    )
    if stale:
        note = _("The item moved on; closed by the system.")
        apply_many(
            ITEM_ESCALATION, stale, "close_overtaken", actor=None, now=now, data={"note": note}
        )
    return len(stale)


def referrals_open(
    *, kind: str, field: str, referred: Sequence[tuple[Model, Step]]
) -> list[ItemEscalation]:
    """Hand items to the leadership office (tier 2) with the referrer's reason, in the
    transaction of the referral; the event tells the office."""
    escalations = ItemEscalation.objects.bulk_create(
        [
            ItemEscalation(
                item_kind=kind,
                origin=EscalationOrigin.REFERRAL,
                workgroup_id=item.workgroup_id,  # type: ignore[attr-defined]
                stage=str(item.status),  # type: ignore[attr-defined]
                tier=REFERRAL_TIER,
                opened_at=step.now,
                tier_since=step.now,
                reason=step.data.get("reason", ""),
                referred_by=person(step.actor),
                **{field: item},
            )
            for item, step in referred
        ]
    )
    ItemEscalationEvent.objects.bulk_create(
        [
            ItemEscalationEvent(
                escalation=escalation,
                kind=EscalationEventKind.OPENED,
                tier=escalation.tier,
                actor=escalation.referred_by,
                note=escalation.reason,
                at=escalation.opened_at,
            )
            for escalation in escalations
        ]
    )
    return escalations


# --- What every clocked item's table shares ------------------------------------------------------


class ClockedMachine(Machine[C]):
    """The table of a clocked item. A move into another state stamps that state's deadline from
    `limits` and closes the escalations of the deadline the item left; `stamp` sets what the
    move itself records on the row, `history` builds its audit row (the fact the notifications
    engine reads)."""

    limits: ClassVar[Limits]
    # The ItemEscalation foreign key that names this kind of item.
    escalation_field: ClassVar[str]
    # What a move writes, when several rows move at once (the sweep).
    saved_fields: ClassVar[list[str]]
    # The states whose missed deadline escalates; by default those whose limit says so. An
    # item whose deadline is set by someone (an action item's due day) names them here.
    escalates_in: ClassVar[tuple[str, ...] | None] = None

    def escalating_states(self) -> tuple[str, ...]:
        if self.escalates_in is not None:
            return self.escalates_in
        return escalating_states(self.limits)

    def stamp(self, item: C, transition: Transition, step: Step) -> None:
        pass

    def history(self, item: C, transition: Transition, step: Step) -> Model:
        raise NotImplementedError

    def record(self, obj: C, transition: Transition, step: Step) -> None:
        self.record_many([(obj, step)], transition)

    def record_many(self, moved: Sequence[tuple[C, Step]], transition: Transition) -> None:
        rows, left = [], []
        for item, step in moved:
            state = str(getattr(item, self.state_field))
            if state != step.from_state:
                before = item.due_at
                enter_state(self.limits, item, now=step.now, state=state)
                # A state that keeps the same deadline (a follow-up called but not yet
                # answered) has not left it: its escalation stands.
                if item.due_at is None or item.due_at != before:
                    left.append(item)
            self.stamp(item, transition, step)
            rows.append(self.history(item, transition, step))
        if len(moved) == 1:
            moved[0][0].save()
        else:
            type(moved[0][0])._default_manager.bulk_update(
                [i for i, _s in moved], self.saved_fields
            )
        if rows:
            type(rows[0])._default_manager.bulk_create(rows)
        if left:
            escalations_close_overtaken(
                field=self.escalation_field, items=left, now=moved[0][1].now
            )


# --- Demands and suggestions ---------------------------------------------------------------------


class AnswerInput(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Answer"),
        max_length=ANSWER_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Write the answer.")},
    )

    def clean_answer(self) -> str:
        answer = self.cleaned_data["answer"].strip()
        if len(answer) < 2:
            raise forms.ValidationError(_("Write the answer."))
        return answer


class VerdictInput(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is still not solved?"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Say what is still not solved.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 2:
            raise forms.ValidationError(_("Say what is still not solved."))
        return reason


def is_oversight(user: Any) -> bool:
    """A member of the leadership office or the leading group (they read every demand)."""
    account = person(user)
    if account is None:
        return False
    if account.is_superuser:
        return True
    return Membership.objects.filter(user=account, organization__kind__in=OVERSIGHT_KINDS).exists()


class DemandMachine(ClockedMachine[Demand]):
    """A demand or suggestion: received, acknowledged, answered, the submitter's verdict,
    closed (policy 四: 常态化收集企业和群众的需求信息)."""

    model = Demand
    lock_related = ("town", "organization")
    limits = DEMAND_LIMITS
    escalation_field = "demand"
    saved_fields = ["status", "stage_entered_at", "due_at", "closed_at", "referral_open"]
    not_found = gettext_lazy("No such demand.")
    forbidden = gettext_lazy("You may not perform this action on this demand.")
    unknown = gettext_lazy("Unknown action: %s")

    def visible(self, user: Any, obj: Demand, perms: PermissionSource) -> bool:
        return perms.has(VIEW_DEMAND, obj) or is_oversight(user)

    def refusal(self, transition: Transition, obj: Demand) -> str:
        return _("“%(transition)s” is not possible while the demand is “%(status)s”.") % {
            "transition": transition.button,
            "status": obj.get_status_display(),
        }

    def stamp(self, item: Demand, transition: Transition, step: Step) -> None:
        now = step.now
        if item.status == DemandStatus.ACKNOWLEDGED:
            item.acknowledged_at = now
        elif item.status == DemandStatus.ANSWERED:
            item.answered_at, item.answered_by = now, person(step.actor)
            if item.first_answered_at is None:
                item.first_answered_at = now
                item.answer_working_days = working_days_between(item.submitted_at, now)
        elif item.status == DemandStatus.CLOSED:
            item.closed_at = now

    def record_many(self, moved: Sequence[tuple[Demand, Step]], transition: Transition) -> None:
        super().record_many(moved, transition)
        if transition.name == "refer_up":
            referrals_open(
                kind=ItemKind.DEMAND,
                field=self.escalation_field,
                referred=[(demand, step) for demand, step in moved],
            )

    def history(self, item: Demand, transition: Transition, step: Step) -> DemandHistory:
        actor = person(step.actor)
        return DemandHistory(
            demand=item,
            transition=transition.name,
            from_state=step.from_state,
            to_state=item.status,
            actor=actor,
            actor_organization_id=_acting_for(item, transition, actor),
            actor_label="" if actor is not None or step.actor is None else str(step.actor)[:80],
            at=step.now,
            comment=step.comment or step.data.get("reason", "") or step.data.get("answer", ""),
            data={},
            due_at=item.due_at,
        )


def _acting_for(demand: Demand, transition: Transition, actor: User | None) -> int | None:
    """The organisation a person acted for: the submitting organisation, or the lead agency or
    town organisation through which they handle the demand; None for the system, a private-link
    holder or a platform administrator."""
    if actor is None:
        return None
    if SUBMITTER in transition.permissions:
        candidates = Q(organization_id=demand.organization_id)
    else:
        leads = WorkgroupMembership.objects.filter(
            workgroup_id=demand.workgroup_id, role=WorkgroupRole.LEAD
        ).values("organization_id")
        candidates = Q(organization_id__in=leads)
        if demand.town.governing_organization_id is not None:
            candidates |= Q(organization_id=demand.town.governing_organization_id)
    memberships: QuerySet = Membership.objects.filter(candidates, user=actor).order_by("pk")
    return memberships.values_list("organization_id", flat=True).first()


DEMAND = DemandMachine(
    [
        Transition(
            "acknowledge",
            gettext_lazy("Acknowledge receipt"),
            gettext_lazy("Acknowledged"),
            (HANDLE_DEMAND,),
            notice=NOTICE_ACKNOWLEDGED,
        ),
        Transition(
            "answer",
            gettext_lazy("Answer"),
            gettext_lazy("Answered"),
            (HANDLE_DEMAND, ANSWER_AS_TOWN),
            input_form=AnswerInput,
            notice=NOTICE_ANSWERED,
        ),
        Transition(
            "close",
            gettext_lazy("Close"),
            gettext_lazy("Closed"),
            (HANDLE_DEMAND,),
            notice=NOTICE_NONE,
        ),
        Transition(
            "confirm_solved",
            gettext_lazy("Yes, it is solved"),
            gettext_lazy("Submitter: solved"),
            (SUBMITTER,),
            notice=NOTICE_NONE,
        ),
        Transition(
            "report_unsolved",
            gettext_lazy("No, it is not solved"),
            gettext_lazy("Submitter: not solved"),
            (SUBMITTER,),
            input_form=VerdictInput,
            notice=NOTICE_REOPENED,
        ),
        # The state stays: the demand goes up to the leadership office with a reason.
        Transition(
            "refer_up",
            gettext_lazy("Refer to the leadership office"),
            gettext_lazy("Referred to the leadership office"),
            (HANDLE_DEMAND,),
            input_form=ReferInput,
            notice=NOTICE_NONE,
        ),
        # An answer nobody rated within the limit: the sweep closes it.
        Transition(
            "close_unrated",
            gettext_lazy("Close without a verdict"),
            gettext_lazy("Closed without a verdict"),
            notice=NOTICE_NONE,
        ),
    ],
    events=[
        Transition(
            "submit", gettext_lazy("Submit"), gettext_lazy("Received"), notice=NOTICE_RECEIVED
        )
    ],
)
register(DEMAND)

STAFF_ACTIONS = tuple(
    DEMAND.names(where=lambda t: bool(set(t.permissions) & {HANDLE_DEMAND, ANSWER_AS_TOWN}))
)
SUBMITTER_ACTIONS = tuple(DEMAND.names(where=lambda t: SUBMITTER in t.permissions))


def demand_history_label(entry: DemandHistory) -> str:
    return DEMAND.history_label(entry.transition)


def demand_notice_of(entry: DemandHistory) -> str:
    return DEMAND.notice_of(entry.transition)


# --- Follow-ups of bad ratings (回访) -------------------------------------------------------------

# Not object permissions: a follow-up is handled by its workgroup's lead agencies and rated again
# by the applicant organisation that gave the rating (memberships, read in FollowUpMachine.may).
HANDLE_FOLLOW_UP = "workgroup_lead"
APPLICANT_RATES_AGAIN = "applicant"

NOTICE_FOLLOW_UP_OPENED = "follow_up_opened"
NOTICE_FOLLOW_UP_ANSWERED = "follow_up_answered"


class CallInput(forms.Form):
    called_at = forms.DateTimeField(
        label=gettext_lazy("Called at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        error_messages={
            "required": gettext_lazy("Say when you called."),
            "invalid": gettext_lazy("Enter the date and time of the call."),
        },
    )
    reached = forms.CharField(
        label=gettext_lazy("Who was reached"),
        max_length=REACHED_MAX_LENGTH,
        error_messages={"required": gettext_lazy("Say whom you spoke to.")},
    )

    def clean_called_at(self) -> dt.datetime:
        called_at = self.cleaned_data["called_at"]
        if called_at > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("A call cannot be in the future."))
        return called_at

    def clean_reached(self) -> str:
        reached = self.cleaned_data["reached"].strip()
        if len(reached) < 2:
            raise forms.ValidationError(_("Say whom you spoke to."))
        return reached


class FollowUpAnswerInput(forms.Form):
    cause = forms.CharField(
        label=gettext_lazy("Cause"),
        max_length=CAUSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Write the cause.")},
    )
    fix = forms.CharField(
        label=gettext_lazy("Fix"),
        max_length=CAUSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Write what was done about it.")},
    )

    def clean_cause(self) -> str:
        cause = self.cleaned_data["cause"].strip()
        if len(cause) < 2:
            raise forms.ValidationError(_("Write the cause."))
        return cause

    def clean_fix(self) -> str:
        fix = self.cleaned_data["fix"].strip()
        if len(fix) < 2:
            raise forms.ValidationError(_("Write what was done about it."))
        return fix


class ReRateInput(forms.Form):
    level = forms.ChoiceField(
        label=gettext_lazy("Your rating now"),
        choices=RatingLevel.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose one of the five levels."),
            "invalid_choice": gettext_lazy("Choose one of the five levels."),
        },
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        max_length=CAUSE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_comment(self) -> str:
        return self.cleaned_data.get("comment", "").strip()


def lead_of(user: User, workgroup_id: int) -> bool:
    """A member of one of the workgroup's lead agencies."""
    return _lead_of(user, workgroup_id)


def _lead_of(user: User, workgroup_id: int) -> bool:
    return WorkgroupMembership.objects.filter(
        workgroup_id=workgroup_id,
        role=WorkgroupRole.LEAD,
        organization__memberships__user=user,
    ).exists()


class FollowUpMachine(ClockedMachine[FollowUp]):
    """A follow-up of a bad rating: to call, called, answered (cause and fix), closed when the
    applicant rates again or the limit for that lapses (policy: 差评回访整改)."""

    model = FollowUp
    limits = FOLLOW_UP_LIMITS
    escalation_field = "follow_up"
    saved_fields = ["status", "stage_entered_at", "due_at", "closed_at"]
    not_found = gettext_lazy("No such follow-up.")
    forbidden = gettext_lazy("You may not perform this action on this follow-up.")
    unknown = gettext_lazy("Unknown action: %s")

    def may(
        self, user: Any, name: str, obj: FollowUp, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        account = person(user)
        if transition is None or transition.system_only or account is None:
            return False
        if not account.is_active:
            return False
        if HANDLE_FOLLOW_UP in transition.permissions:
            return account.is_superuser or _lead_of(account, obj.workgroup_id)
        return Membership.objects.filter(user=account, organization_id=obj.organization_id).exists()

    def visible(self, user: Any, obj: FollowUp, perms: PermissionSource) -> bool:
        account = person(user)
        if account is None:
            return False
        return (
            is_oversight(account)
            or _lead_of(account, obj.workgroup_id)
            or Membership.objects.filter(user=account, organization_id=obj.organization_id).exists()
        )

    def refusal(self, transition: Transition, obj: FollowUp) -> str:
        return _("“%(transition)s” is not possible while the follow-up is “%(status)s”.") % {
            "transition": transition.button,
            "status": obj.get_status_display(),
        }

    def stamp(self, item: FollowUp, transition: Transition, step: Step) -> None:
        if item.status == FollowUpStatus.ANSWERED:
            item.answered_at, item.answered_by = step.now, person(step.actor)
        elif item.status == FollowUpStatus.CLOSED:
            item.closed_at = step.now
            if transition.name == "re_rate":
                item.re_rated_at = step.now

    def history(self, item: FollowUp, transition: Transition, step: Step) -> FollowUpHistory:
        data = step.data
        if transition.name == "record_call":
            comment = str(data.get("reached", ""))
        elif transition.name == "answer":
            comment = f"{data.get('cause', '')}\n{data.get('fix', '')}"
        else:
            comment = str(data.get("comment", "") or step.comment)
        return FollowUpHistory(
            follow_up=item,
            transition=transition.name,
            from_state=step.from_state,
            to_state=item.status,
            actor=person(step.actor),
            at=step.now,
            comment=comment,
            due_at=item.due_at,
        )


FOLLOW_UP = FollowUpMachine(
    [
        Transition(
            "record_call",
            gettext_lazy("Record the call"),
            gettext_lazy("Called"),
            (HANDLE_FOLLOW_UP,),
            input_form=CallInput,
            notice=NOTICE_NONE,
        ),
        Transition(
            "answer",
            gettext_lazy("Record the cause and the fix"),
            gettext_lazy("Answered"),
            (HANDLE_FOLLOW_UP,),
            input_form=FollowUpAnswerInput,
            notice=NOTICE_FOLLOW_UP_ANSWERED,
        ),
        Transition(
            "re_rate",
            gettext_lazy("Rate again"),
            gettext_lazy("Rated again by the applicant"),
            (APPLICANT_RATES_AGAIN,),
            input_form=ReRateInput,
            notice=NOTICE_NONE,
        ),
        # An answer the applicant did not rate again within the limit: the sweep closes it.
        Transition(
            "close_unrated",
            gettext_lazy("Close without a second rating"),
            gettext_lazy("Closed without a second rating"),
            notice=NOTICE_NONE,
        ),
    ],
    events=[
        Transition(
            "open",
            gettext_lazy("Open"),
            gettext_lazy("Opened after a bad rating"),
            notice=NOTICE_FOLLOW_UP_OPENED,
        )
    ],
)
register(FOLLOW_UP)

FOLLOW_UP_STAFF_ACTIONS = tuple(FOLLOW_UP.names(where=lambda t: HANDLE_FOLLOW_UP in t.permissions))


def follow_up_history_label(entry: FollowUpHistory) -> str:
    return FOLLOW_UP.history_label(entry.transition)


def follow_up_notice_of(entry: FollowUpHistory) -> str:
    return FOLLOW_UP.notice_of(entry.transition)


# --- Coordination meetings and their action items (联动协调会议) ----------------------------

NOTICE_ACTION_ITEM_ASSIGNED = "action_item_assigned"
NOTICE_ACTION_ITEM_DONE = "action_item_done"
NOTICE_MEETING_SCHEDULED = "meeting_scheduled"
NOTICE_MINUTES_PUBLISHED = "minutes_published"


class MinutesInput(forms.Form):
    minutes = forms.CharField(
        label=gettext_lazy("Minutes"),
        max_length=MINUTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": gettext_lazy("Write the minutes.")},
    )
    decisions = forms.CharField(
        label=gettext_lazy("Decisions (one a line)"),
        max_length=MINUTES_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def clean_minutes(self) -> str:
        minutes = self.cleaned_data["minutes"].strip()
        if len(minutes) < 2:
            raise forms.ValidationError(_("Write the minutes."))
        return minutes

    def clean_decisions(self) -> str:
        lines = (line.strip() for line in self.cleaned_data.get("decisions", "").splitlines())
        return "\n".join(line for line in lines if line)


class CancelInput(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is it cancelled?"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Say why the meeting is cancelled.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 2:
            raise forms.ValidationError(_("Say why the meeting is cancelled."))
        return reason


class MeetingMachine(Machine[Meeting]):
    """A coordination meeting: scheduled, held (minutes and decisions recorded, corrected while
    it stays held), minutes published; or cancelled before it is held. Managed by the convening
    organisation and the workgroup's lead agencies (guardian rows, coordination/permissions.py)."""

    model = Meeting
    not_found = gettext_lazy("No such meeting.")
    forbidden = gettext_lazy("You may not perform this action on this meeting.")
    unknown = gettext_lazy("Unknown action: %s")

    def visible(self, user: Any, obj: Meeting, perms: PermissionSource) -> bool:
        return perms.has(VIEW_MEETING, obj) or is_oversight(user)

    def refusal(self, transition: Transition, obj: Meeting) -> str:
        return _("“%(transition)s” is not possible while the meeting is “%(status)s”.") % {
            "transition": transition.button,
            "status": obj.get_status_display(),
        }

    def record(self, obj: Meeting, transition: Transition, step: Step) -> None:
        if transition.name == "hold" and obj.held_at is None:
            obj.held_at = step.now
        elif transition.name == "publish":
            obj.published_at = step.now
        elif transition.name == "cancel":
            obj.cancelled_at = step.now
        obj.save()
        MeetingHistory.objects.create(
            meeting=obj,
            transition=transition.name,
            from_state=step.from_state,
            to_state=obj.status,
            actor=person(step.actor),
            at=step.now,
            comment=str(step.data.get("reason", "")),
        )


MEETING = register(
    MeetingMachine(
        [
            Transition(
                "hold",
                gettext_lazy("Record the minutes"),
                gettext_lazy("Held: minutes recorded"),
                (MANAGE_MEETING,),
                input_form=MinutesInput,
                notice=NOTICE_NONE,
            ),
            Transition(
                "publish",
                gettext_lazy("Publish the minutes"),
                gettext_lazy("Minutes published"),
                (MANAGE_MEETING,),
                notice=NOTICE_MINUTES_PUBLISHED,
            ),
            Transition(
                "cancel",
                gettext_lazy("Cancel the meeting"),
                gettext_lazy("Cancelled"),
                (MANAGE_MEETING,),
                input_form=CancelInput,
                notice=NOTICE_NONE,
            ),
        ],
        events=[
            Transition(
                "schedule",
                gettext_lazy("Schedule"),
                gettext_lazy("Scheduled"),
                notice=NOTICE_MEETING_SCHEDULED,
            )
        ],
    )
)


def meeting_history_label(entry: MeetingHistory) -> str:
    return MEETING.history_label(entry.transition)


# Not object permissions: an action item is done by its owner organisation, referred up by its
# workgroup's lead agencies (memberships, read in ActionItemMachine.may); dropped by whoever
# manages its meeting (the meeting's guardian rows).
ACTION_OWNER = "owner"
ACTION_WORKGROUP_LEAD = "workgroup_lead"


class DoneInput(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Say what was done.")},
    )

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if len(note) < 2:
            raise forms.ValidationError(_("Say what was done."))
        return note


class DropInput(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is it dropped?"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Say why it is dropped.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 2:
            raise forms.ValidationError(_("Say why it is dropped."))
        return reason


def _member_of(user: User, organization_id: int) -> bool:
    return Membership.objects.filter(user=user, organization_id=organization_id).exists()


class ActionItemMachine(ClockedMachine[ActionItem]):
    """A meeting's action item: open until its owner says what was done, or the meeting's
    owner drops it; its due working day is set by the meeting, and a missed one escalates like
    a case. The workgroup's lead may refer it to the leadership office."""

    model = ActionItem
    limits = ACTION_ITEM_LIMITS
    escalates_in = (ActionItemStatus.OPEN,)
    escalation_field = "action_item"
    saved_fields = ["status", "stage_entered_at", "due_at", "closed_at", "referral_open"]
    not_found = gettext_lazy("No such action item.")
    forbidden = gettext_lazy("You may not perform this action on this action item.")
    unknown = gettext_lazy("Unknown action: %s")

    def may(
        self, user: Any, name: str, obj: ActionItem, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        account = person(user)
        if transition is None or transition.system_only or account is None:
            return False
        if not account.is_active:
            return False
        if account.is_superuser:
            return True
        if ACTION_OWNER in transition.permissions:
            return _member_of(account, obj.owner_id)
        if ACTION_WORKGROUP_LEAD in transition.permissions:
            return _lead_of(account, obj.workgroup_id)
        perms = perms or PermissionSource(account)
        meeting = Meeting(pk=obj.meeting_id)
        return any(perms.has(p, meeting) for p in transition.permissions)

    def visible(self, user: Any, obj: ActionItem, perms: PermissionSource) -> bool:
        account = person(user)
        if account is None:
            return False
        return (
            is_oversight(account)
            or _member_of(account, obj.owner_id)
            or _lead_of(account, obj.workgroup_id)
            or perms.has(VIEW_MEETING, Meeting(pk=obj.meeting_id))
        )

    def refusal(self, transition: Transition, obj: ActionItem) -> str:
        if transition.name == "refer_up" and obj.referral_open:
            return _("This action item is already with the leadership office.")
        return _("“%(transition)s” is not possible while the action item is “%(status)s”.") % {
            "transition": transition.button,
            "status": obj.get_status_display(),
        }

    def stamp(self, item: ActionItem, transition: Transition, step: Step) -> None:
        if item.status == ActionItemStatus.DONE:
            item.done_at, item.done_by = step.now, person(step.actor)
            item.closed_at = step.now
        elif item.status == ActionItemStatus.DROPPED:
            item.closed_at = step.now

    def record_many(self, moved: Sequence[tuple[ActionItem, Step]], transition: Transition) -> None:
        super().record_many(moved, transition)
        if transition.name == "refer_up":
            referrals_open(
                kind=ItemKind.ACTION_ITEM, field=self.escalation_field, referred=list(moved)
            )

    def history(self, item: ActionItem, transition: Transition, step: Step) -> ActionItemHistory:
        data = step.data
        return ActionItemHistory(
            action_item=item,
            transition=transition.name,
            from_state=step.from_state,
            to_state=item.status,
            actor=person(step.actor),
            at=step.now,
            comment=str(data.get("note", "") or data.get("reason", "") or step.comment),
            due_at=item.due_at,
        )


ACTION_ITEM = ActionItemMachine(
    [
        Transition(
            "complete",
            gettext_lazy("Mark as done"),
            gettext_lazy("Done"),
            (ACTION_OWNER,),
            input_form=DoneInput,
            notice=NOTICE_ACTION_ITEM_DONE,
        ),
        Transition(
            "refer_up",
            gettext_lazy("Refer to the leadership office"),
            gettext_lazy("Referred to the leadership office"),
            (ACTION_WORKGROUP_LEAD,),
            input_form=ReferInput,
            notice=NOTICE_NONE,
        ),
        Transition(
            "drop",
            gettext_lazy("Drop"),
            gettext_lazy("Dropped by the meeting's owner"),
            (MANAGE_MEETING,),
            input_form=DropInput,
            notice=NOTICE_NONE,
        ),
    ],
    events=[
        Transition(
            "assign",
            gettext_lazy("Assign"),
            gettext_lazy("Assigned by the meeting"),
            notice=NOTICE_ACTION_ITEM_ASSIGNED,
        )
    ],
)
register(ACTION_ITEM)


def action_item_history_label(entry: ActionItemHistory) -> str:
    return ACTION_ITEM.history_label(entry.transition)


def action_item_notice_of(entry: ActionItemHistory) -> str:
    return ACTION_ITEM.notice_of(entry.transition)


# Policy notices (政策推送): written, scheduled, published and withdrawn by the lead agencies of
# their workgroup (memberships, read in NoticeMachine.may); the beat publishes scheduled ones.
NOTICE_WORKGROUP_LEAD = "workgroup_lead"


class NoticeScheduleInput(forms.Form):
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "invalid": gettext_lazy("Enter the date and time to publish."),
            "required": gettext_lazy("Enter the date and time to publish."),
        },
    )

    def clean_publish_at(self) -> dt.datetime:
        publish_at = self.cleaned_data["publish_at"]
        if publish_at <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return publish_at


class NoticeMachine(Machine[PolicyNotice]):
    """A policy notice: a draft, scheduled for a time or published at once, then perhaps
    withdrawn. Each move is an audit row (PolicyNoticeEvent); what publication fixes besides
    (revision 0, the companies reached) the service writes in the same transaction."""

    model = PolicyNotice
    not_found = gettext_lazy("No such notice.")
    forbidden = gettext_lazy("Only the workgroup's lead agency publishes its notices.")
    unknown = gettext_lazy("Unknown action: %s")

    def may(
        self, user: Any, name: str, obj: PolicyNotice, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        account = person(user)
        if transition is None or transition.system_only or account is None:
            return False
        if not account.is_active:
            return False
        return account.is_superuser or _lead_of(account, obj.workgroup_id)

    def visible(self, user: Any, obj: PolicyNotice, perms: PermissionSource) -> bool:
        account = person(user)
        return account is not None and (account.is_superuser or _lead_of(account, obj.workgroup_id))

    def refusal(self, transition: Transition, obj: PolicyNotice) -> str:
        return _("“%(transition)s” is not possible while the notice is “%(status)s”.") % {
            "transition": transition.button,
            "status": obj.get_status_display(),
        }

    def record(self, obj: PolicyNotice, transition: Transition, step: Step) -> None:
        if transition.name in ("publish", "publish_due"):
            obj.published_at = step.now
        elif transition.name == "withdraw":
            obj.withdrawn_at = step.now
        obj.save()
        data = {"from": step.from_state}
        if obj.publish_at is not None and transition.name == "schedule":
            data["publish_at"] = obj.publish_at.isoformat()
        PolicyNoticeEvent.objects.create(
            notice=obj,
            kind=_NOTICE_EVENT_KIND[transition.name],
            actor=person(step.actor),
            at=step.now,
            data=data,
        )


_NOTICE_EVENT_KIND = {
    "publish": NoticeEventKind.PUBLISHED,
    "publish_due": NoticeEventKind.PUBLISHED,
    "schedule": NoticeEventKind.SCHEDULED,
    "unschedule": NoticeEventKind.UNSCHEDULED,
    "withdraw": NoticeEventKind.WITHDRAWN,
}

NOTICE = register(
    NoticeMachine(
        [
            Transition(
                "publish",
                gettext_lazy("Publish now"),
                gettext_lazy("Published"),
                (NOTICE_WORKGROUP_LEAD,),
            ),
            Transition(
                "schedule",
                gettext_lazy("Schedule"),
                gettext_lazy("Scheduled"),
                (NOTICE_WORKGROUP_LEAD,),
                input_form=NoticeScheduleInput,
            ),
            Transition(
                "unschedule",
                gettext_lazy("Cancel the schedule"),
                gettext_lazy("Schedule cancelled"),
                (NOTICE_WORKGROUP_LEAD,),
            ),
            Transition(
                "withdraw",
                gettext_lazy("Withdraw"),
                gettext_lazy("Withdrawn"),
                (NOTICE_WORKGROUP_LEAD,),
            ),
            # The beat task, when a scheduled notice's time has come.
            Transition("publish_due", gettext_lazy("Publish"), gettext_lazy("Published")),
        ]
    )
)
NOTICE_STAFF_ACTIONS = tuple(NOTICE.names(where=lambda t: not t.system_only))
