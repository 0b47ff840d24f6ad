"""The transition tables of the cases: one record per transition of each state machine.

Who may perform it, its button and history labels, its input form, whether only the system
performs it, whether it is one of the applicant's steps (the indicators count them) and which
notice it raises. The model methods (applications/models) move the state; `core.workflow.apply`
checks, moves and records; services, views, the API and the admin use only what is here.
Adding a transition means one record here and one method on the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.workflow import Machine, PermissionSource, Step, Transition, machine_for, register
from workgroups.constants import WorkgroupRole
from workgroups.models import Membership, Organization
from workgroups.selectors import escalation_holders, sla_table

from . import transition_inputs as inputs
from .audit import acting_organization, jsonable, state_change
from .clock import ClockChange, enter_stage
from .constants import BreachAction, CommitmentStatus, EscalationEventKind, EscalationStatus
from .models import (
    Commitment,
    CommitmentEvent,
    Escalation,
    EscalationEvent,
    JointWorksEvent,
    JointWorksPlan,
    PermitRequest,
    ServiceApplication,
    StateChange,
)

APPLICANT = "applications.act_as_applicant"
OPERATOR = "applications.act_as_operator"
# The workgroup's lead agency (牵头单位) may send an application back at intake, as the operator
# may; everything else stays the operator's.
LEAD_REVIEW = "applications.review_as_lead"
DECIDE_PERMIT = "applications.decide_permitrequest"
VIEW_SERVICE = "applications.view_serviceapplication"
VIEW_PERMIT = "applications.view_permitrequest"
# Not an object permission: holding an escalation's tier (workgroups.selectors.escalation_holders).
HOLDS_TIER = "tier"

# Notices the notifications layer raises for a recorded transition (see `Transition.notice`).
NOTICE_WORK_ASSIGNED = "work_item_assigned"
NOTICE_PERMIT_ISSUED = "permit_issued"
NOTICE_NONE = "none"
NOTICE_FEE_QUOTED = "fee_quoted"
NOTICE_FEE_PAID = "fee_paid"
# The applicant's confirmation of the plan is the confirmation of its fee quote.
FEE_CONFIRMATION = "confirm_plan"
# The fact a recorded payment writes in the history (not a move of the state).
FEE_PAYMENT = "record_payment"


class ServiceMachine(Machine[ServiceApplication]):
    """One utility's application (DESIGN 3)."""

    model = ServiceApplication
    lock_related = ("combined__applicant", "operator")
    not_found = gettext_lazy("No such application.")
    forbidden = gettext_lazy("You may not perform this action on this application.")
    unknown = gettext_lazy("Unknown transition: %s")

    def visible(self, user: Any, obj: ServiceApplication, perms: PermissionSource) -> bool:
        return perms.has(VIEW_SERVICE, obj)

    def refusal(self, transition: Transition, obj: ServiceApplication) -> str:
        if transition.name in ("connect", "close") and obj.unverified_commitments:
            return _(
                "“%(transition)s” is refused: %(count)s commitment(s) (承诺制) of this "
                "application are not verified yet. The agency that verifies each document must "
                "accept it first."
            ) % {"transition": transition.button, "count": obj.unverified_commitments}
        return _("“%(transition)s” is not possible while the application is “%(status)s”.") % {
            "transition": transition.button,
            "status": obj.get_status_display(),
        }

    def form_kwargs(self, transition: Transition, obj: ServiceApplication) -> dict:
        return {"status": obj.status} if transition.input_form is inputs.ConnectInput else {}

    def record(self, obj: ServiceApplication, transition: Transition, step: Step) -> None:
        self.record_many([(obj, step)], transition)

    def record_many(
        self, moved: Sequence[tuple[ServiceApplication, Step]], transition: Transition
    ) -> None:
        slas = sla_table({sa.workgroup_id for sa, _step in moved})
        rows = []
        for sa, step in moved:
            if transition.name == FEE_CONFIRMATION and sa.fee_quote_cny is not None:
                sa.fee_confirmed_at, sa.fee_confirmed_by = step.now, step.actor
            # A fact recorded in a stage (a counter visit) leaves its clock alone.
            clock = (
                ClockChange()
                if sa.status == step.from_state
                else enter_stage(sa, from_state=step.from_state, now=step.now, slas=slas)
            )
            rows.append(
                state_change(
                    sa=sa,
                    transition=transition.name,
                    from_state=step.from_state,
                    actor=step.actor,
                    organization=_acting_for(step, sa, transition),
                    at=step.now,
                    # A system move has no person's comment: its reason is the comment.
                    comment=step.comment
                    or (step.data.get("reason", "") if transition.system_only else ""),
                    data={} if transition.system_only else step.data,
                    clock=clock,
                )
            )
        if len(moved) == 1:
            moved[0][0].save()
        else:
            ServiceApplication.objects.bulk_update([sa for sa, _step in moved], _CLOCK_FIELDS)
        StateChange.objects.bulk_create(rows)


_CLOCK_FIELDS = [
    "fee_confirmed_at",
    "fee_confirmed_by",
    "status",
    "submitted_at",
    "stage_entered_at",
    "due_at",
    "paused_since",
    "paused_working_days",
    "connected_at",
    "updated_at",
]


def _acting_for(step: Step, sa: ServiceApplication, transition: Transition) -> Any:
    """The organisation a person acted for: the applicant, the operator, or (returning an
    application as the workgroup's lead) their lead agency; None for the system or a platform
    administrator. A caller that already knows it passes it in `step.extra`."""
    actor = step.actor
    if actor is None:
        return None
    if "organization" in step.extra:
        return step.extra["organization"]
    if APPLICANT in transition.permissions:
        return acting_organization(actor, sa.combined.applicant)
    if actor.has_perm(OPERATOR, sa):
        return acting_organization(actor, sa.operator)
    return Organization.objects.filter(
        memberships__user=actor,
        workgroup_memberships__workgroup_id=sa.workgroup_id,
        workgroup_memberships__role=WorkgroupRole.LEAD,
    ).first()


SERVICE = register(
    ServiceMachine(
        [
            Transition(
                "submit",
                gettext_lazy("Submit"),
                gettext_lazy("Submitted"),
                (APPLICANT,),
                applicant_step=True,
                notice=NOTICE_WORK_ASSIGNED,
            ),
            Transition(
                "resubmit",
                gettext_lazy("Resubmit after correction"),
                gettext_lazy("Resubmitted after correction"),
                (APPLICANT,),
                applicant_step=True,
            ),
            Transition(
                "confirm_plan",
                gettext_lazy("Confirm plan and fee"),
                gettext_lazy("Plan and fee confirmed"),
                (APPLICANT,),
                applicant_step=True,
            ),
            Transition(
                "withdraw",
                gettext_lazy("Withdraw"),
                gettext_lazy("Withdrawn"),
                (APPLICANT,),
                input_form=inputs.OptionalReasonInput,
            ),
            Transition("accept", gettext_lazy("Accept"), gettext_lazy("Accepted"), (OPERATOR,)),
            Transition(
                "return_for_correction",
                gettext_lazy("Return for correction"),
                gettext_lazy("Returned for correction"),
                (OPERATOR, LEAD_REVIEW),
                input_form=inputs.ReasonInput,
            ),
            Transition(
                "reject",
                gettext_lazy("Reject"),
                gettext_lazy("Rejected"),
                (OPERATOR,),
                input_form=inputs.ReasonInput,
            ),
            Transition(
                "start_survey",
                gettext_lazy("Start site survey"),
                gettext_lazy("Site survey started"),
                (OPERATOR,),
            ),
            Transition(
                "issue_plan",
                gettext_lazy("Issue plan and fee quote"),
                gettext_lazy("Plan and fee issued"),
                (OPERATOR,),
                input_form=inputs.PlanInput,
                notice=NOTICE_FEE_QUOTED,
            ),
            Transition(
                "start_construction",
                gettext_lazy("Start construction"),
                gettext_lazy("Construction started"),
                (OPERATOR,),
            ),
            Transition(
                "complete_construction",
                gettext_lazy("Complete construction"),
                gettext_lazy("Construction completed"),
                (OPERATOR,),
            ),
            Transition(
                "fail_inspection",
                gettext_lazy("Fail inspection"),
                gettext_lazy("Inspection failed"),
                (OPERATOR,),
                input_form=inputs.InspectionInput,
            ),
            Transition(
                "connect",
                gettext_lazy("Connect"),
                gettext_lazy("Connected"),
                (OPERATOR,),
                input_form=inputs.ConnectInput,
            ),
            Transition(
                "close", gettext_lazy("Close the case"), gettext_lazy("Closed"), (OPERATOR,)
            ),
            # Zero by design; counted when it happens. The state stays where it is.
            Transition(
                "record_visit",  # COUNTER_VISIT
                gettext_lazy("Record a counter visit"),
                gettext_lazy("Counter visit recorded"),
                (OPERATOR, LEAD_REVIEW),
                input_form=inputs.VisitInput,
                applicant_step=True,
            ),
            # The permits' outcome moves the application; no person does.
            Transition(
                "permits_approved",
                gettext_lazy("All permits approved"),
                gettext_lazy("All permits approved"),
            ),
            Transition(
                "permit_returned",
                gettext_lazy("Permit returned"),
                gettext_lazy("Permit returned"),
                input_form=inputs.ReasonInput,
            ),
            Transition(
                "permit_rejected",
                gettext_lazy("Permit rejected"),
                gettext_lazy("Permit rejected"),
                input_form=inputs.ReasonInput,
            ),
            # A broken commitment (承诺制) moves the application by its rule; no person does.
            Transition(
                "suspend_for_commitment",
                gettext_lazy("Pause for a broken commitment"),
                gettext_lazy("Paused: a commitment was not kept"),
                input_form=inputs.ReasonInput,
            ),
            Transition(
                "resume_after_commitment",
                gettext_lazy("Resume after the commitment was kept"),
                gettext_lazy("Resumed: the promised document was verified"),
            ),
            Transition(
                "stop_for_commitment",
                gettext_lazy("Stop for a broken commitment"),
                gettext_lazy("Stopped: a commitment was not kept"),
                input_form=inputs.ReasonInput,
            ),
        ],
        # Facts recorded in the history that are not a move of the state (fee_payment_record).
        events=[
            Transition(
                FEE_PAYMENT,
                gettext_lazy("Record a payment"),
                gettext_lazy("Payment recorded"),
                (OPERATOR,),
                input_form=inputs.PaymentInput,
                notice=NOTICE_FEE_PAID,
            )
        ],
    )
)


class PermitMachine(Machine[PermitRequest]):
    """One outside-line permit, decided by its agency in parallel with the others."""

    model = PermitRequest
    not_found = gettext_lazy("No such permit request.")
    forbidden = gettext_lazy("You may not decide this permit.")
    unknown = gettext_lazy("Unknown decision: %s")
    unknown_field = "decision"

    def lock(self, obj: PermitRequest) -> PermitRequest:
        # The parent application first, always: agencies deciding at the same moment are
        # serialised, so the application advances exactly once.
        ServiceApplication.objects.select_for_update(of=("self",)).filter(
            pk=obj.service_application_id
        ).first()
        try:
            return (
                PermitRequest.objects.select_for_update(of=("self",))
                .select_related("agency", "service_application__combined__applicant")
                .get(pk=obj.pk)
            )
        except PermitRequest.DoesNotExist:
            raise self.missing() from None

    def visible(self, user: Any, obj: PermitRequest, perms: PermissionSource) -> bool:
        return perms.has(VIEW_PERMIT, obj)

    def refusal(self, transition: Transition, obj: PermitRequest) -> str:
        return _("This permit is already %(status)s.") % {"status": obj.get_status_display()}

    def record(self, obj: PermitRequest, transition: Transition, step: Step) -> None:
        obj.decided_by = step.actor
        if obj.decided_at is not None:
            obj.decided_at = step.now  # the decision's moment is the recorded one
        obj.save()
        state_change(
            sa=obj.service_application,
            permit=obj,
            transition=transition.name,
            from_state=step.from_state,
            actor=step.actor,
            organization=acting_organization(step.actor, obj.agency),
            at=step.now,
            comment=step.data.get("reason", ""),
        ).save()


PERMIT = register(
    PermitMachine(
        [
            Transition(
                "approve",
                gettext_lazy("Approve"),
                gettext_lazy("Permit approved"),
                (DECIDE_PERMIT,),
                input_form=inputs.OptionalReasonInput,
                notice=NOTICE_NONE,
            ),
            Transition(
                "return_to_applicant",
                gettext_lazy("Return to applicant"),
                gettext_lazy("Permit returned"),
                (DECIDE_PERMIT,),
                input_form=inputs.ReasonInput,
                notice=NOTICE_NONE,
            ),
            Transition(
                "reject",
                gettext_lazy("Reject"),
                gettext_lazy("Permit rejected"),
                (DECIDE_PERMIT,),
                input_form=inputs.ReasonInput,
                notice=NOTICE_NONE,
            ),
            Transition(
                "cancel",
                gettext_lazy("Cancel"),
                gettext_lazy("Permit cancelled"),
                input_form=inputs.ReasonInput,
                notice=NOTICE_NONE,
            ),
        ],
        # Facts recorded in the history that are not a move of the permit's state.
        events=[
            Transition(
                "issue_permit",
                gettext_lazy("Request the permit"),
                gettext_lazy("Permit requested"),
                notice=NOTICE_PERMIT_ISSUED,
            )
        ],
    )
)


def permissions_of(actor: Any, objs: Sequence[Model]) -> PermissionSource:
    """The actor's object permissions on `objs`, read in one go (guardian's prefetch)."""
    perms = PermissionSource(actor)
    if objs and actor is not None and actor.is_authenticated:
        # guardian reads any sequence of objects; its annotation asks for a QuerySet.
        perms.checker.prefetch_perms(cast("QuerySet[Model]", objs))
    return perms


def transitions_available(
    *, actor: Any, obj: Model, perms: PermissionSource | None = None
) -> list[str]:
    """What `actor` may do on `obj` now: the one answer for the staff site's buttons, the
    applicant's tracking page and the API's `transitions_available`."""
    if actor is None or not actor.is_authenticated:
        return []
    return machine_for(obj).available(actor, obj, perms=perms)


def transitions_available_each(
    *, actor: Any, objs: Sequence[Model], perms: PermissionSource | None = None
) -> dict[int, list[str]]:
    """`transitions_available` for several objects, with their permissions read once."""
    perms = perms or permissions_of(actor, objs)
    return {obj.pk: transitions_available(actor=actor, obj=obj, perms=perms) for obj in objs}


# The most a person may write in the comment that goes with any transition.
COMMENT_MAX_LENGTH = 2000


def input_fields(machine: Machine[Any]) -> dict[str, forms.Field]:
    """Every field the machine's transitions take as input, by name, as the first input form
    that takes it declares it: where the API's input serializers and the pages read the limits
    of the stage data. Forms that share a name share its limits; only whether the field is
    required differs between transitions."""
    found: dict[str, forms.Field] = {}
    for transition in machine.transitions.values():
        if transition.input_form is not None:
            for name, input_field in transition.input_form.base_fields.items():
                found.setdefault(name, input_field)
    return found


def input_max_length(machine: Machine[Any], name: str) -> int | None:
    """The most characters the input `name` takes on any transition of `machine`; `comment` is
    the comment every transition takes."""
    if name == "comment":
        return COMMENT_MAX_LENGTH
    return getattr(input_fields(machine).get(name), "max_length", None)


def history_label(change: StateChange) -> str:
    """How the history names a recorded transition (a permit's or the application's)."""
    return (PERMIT if change.permit_request_id else SERVICE).history_label(change.transition)


def notice_of(change: StateChange) -> str:
    """Which notice a recorded transition raises ("" = the default state-change notice)."""
    return (PERMIT if change.permit_request_id else SERVICE).notice_of(change.transition)


APPLICANT_STEPS = tuple(SERVICE.names(where=lambda t: t.applicant_step))
# The one step that means the applicant came to a counter (0 by design, counted if it happens).
COUNTER_VISIT = "record_visit"
OPERATOR_TRANSITIONS = tuple(SERVICE.names(where=lambda t: OPERATOR in t.permissions))
PERMIT_DECISIONS = tuple(PERMIT.names(where=lambda t: not t.system_only))
# What the staff queue offers in bulk: the operator's moves that need no input.
BULK_TRANSITIONS = tuple(
    SERVICE.names(where=lambda t: OPERATOR in t.permissions and t.input_form is None)
)


class ResolveInput(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("How it was resolved"),
        max_length=4000,
        error_messages={"required": gettext_lazy("Say how it was resolved.")},
    )

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if len(note) < 2:
            raise forms.ValidationError(_("Say how it was resolved."))
        return note


class EscalationMachine(Machine[Escalation]):
    """A missed deadline climbing the tiers until someone who holds it resolves it."""

    model = Escalation
    lock_related = ("service_application",)
    not_found = gettext_lazy("No such escalation.")
    forbidden = gettext_lazy("You may not handle this escalation.")

    def may(
        self, user: Any, name: str, obj: Escalation, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        if transition is None or transition.system_only or user is None:
            return False
        if user.is_superuser:
            return True
        holders = escalation_holders().handling(
            workgroup_id=obj.service_application.workgroup_id, tier=obj.tier
        )
        return Membership.objects.filter(user=user, organization_id__in=holders).exists()

    def refusal(self, transition: Transition, obj: Escalation) -> str:
        if obj.status == EscalationStatus.RESOLVED:
            return _("This escalation is already resolved.")
        return _("This escalation is already %s.") % obj.get_status_display()

    def record(self, obj: Escalation, transition: Transition, step: Step) -> None:
        self.record_many([(obj, step)], transition)

    def record_many(self, moved: Sequence[tuple[Escalation, Step]], transition: Transition) -> None:
        fields = ["status"]
        for escalation, step in moved:
            if escalation.status == EscalationStatus.ACKNOWLEDGED:
                escalation.acknowledged_at = step.now
                fields = ["status", "acknowledged_at"]
            else:
                escalation.resolved_at = step.now
                escalation.resolved_by = step.actor
                fields = ["status", "resolved_at", "resolved_by", "resolution_note"]
        Escalation.objects.bulk_update([e for e, _step in moved], fields)
        EscalationEvent.objects.bulk_create(
            [
                EscalationEvent(
                    escalation=escalation,
                    kind=EscalationEventKind(escalation.status),
                    tier=escalation.tier,
                    actor=step.actor,
                    note=step.data.get("note", ""),
                    at=step.now,
                )
                for escalation, step in moved
            ]
        )


ESCALATION = register(
    EscalationMachine(
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
            # The case moved on: the system closes what no longer stands.
            Transition(
                "close_overtaken",
                gettext_lazy("Close"),
                gettext_lazy("Closed by the system"),
                input_form=ResolveInput,
            ),
        ]
    )
)


# Joint works plans (联合施工, docs/joint-works.md). The participants' operators confirm, propose
# another window, leave and report their conduit in; the lead operator digs, backfills and
# restores; the participating workgroups' lead agencies change the lead operator or cancel.
PARTICIPATE = "applications.participate_jointworksplan"
MANAGE_JOINT_WORKS = "applications.manage_jointworksplan"
VIEW_JOINT_WORKS = "applications.view_jointworksplan"
# Not an object permission: being a member of the plan's lead operator (which may change).
LEAD_OPERATOR = "lead_operator"


class JointWorksMachine(Machine[JointWorksPlan]):
    """One shared excavation: proposed -> confirmed -> permitted -> excavating -> installed ->
    backfilled -> restored."""

    model = JointWorksPlan
    lock_related = ("project", "lead_operator")
    not_found = gettext_lazy("No such joint works plan.")
    forbidden = gettext_lazy("You may not perform this action on this joint works plan.")
    unknown = gettext_lazy("Unknown action: %s")

    def may(
        self, user: Any, name: str, obj: JointWorksPlan, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        if transition is None or transition.system_only or user is None:
            return False
        perms = perms or PermissionSource(user)
        for perm in transition.permissions:
            if perm == LEAD_OPERATOR:
                if Membership.objects.filter(
                    user=user, organization_id=obj.lead_operator_id
                ).exists():
                    return True
            elif perms.has(perm, obj):
                return True
        return False

    def visible(self, user: Any, obj: JointWorksPlan, perms: PermissionSource) -> bool:
        return perms.has(VIEW_JOINT_WORKS, obj)

    def refusal(self, transition: Transition, obj: JointWorksPlan) -> str:
        if transition.name == "backfill":
            return _("Backfill is refused until every operator has reported its conduit in.")
        return _("“%(transition)s” is not possible while the plan is “%(status)s”.") % {
            "transition": transition.button,
            "status": obj.get_status_display(),
        }

    def form_kwargs(self, transition: Transition, obj: JointWorksPlan) -> dict:
        return {"plan": obj} if transition.input_form is inputs.LeadOperatorInput else {}

    def record(self, obj: JointWorksPlan, transition: Transition, step: Step) -> None:
        obj.save()
        organization_id = (
            Membership.objects.filter(user=step.actor)
            .order_by("pk")
            .values_list("organization_id", flat=True)
            .first()
            if step.actor is not None
            else None
        )
        JointWorksEvent.objects.create(
            plan=obj,
            transition=transition.name,
            from_state=step.from_state,
            to_state=obj.status,
            actor=step.actor,
            actor_organization_id=organization_id,
            at=step.now,
            comment=step.comment,
            data=jsonable(
                {k: v.code if isinstance(v, Organization) else v for k, v in step.data.items()}
            ),
        )


JOINT_WORKS = register(
    JointWorksMachine(
        [
            Transition(
                "confirm",
                gettext_lazy("Confirm the plan and window"),
                gettext_lazy("Operator confirmed"),
                (PARTICIPATE,),
            ),
            Transition(
                "propose_window",
                gettext_lazy("Propose another window"),
                gettext_lazy("Another window proposed"),
                (PARTICIPATE,),
                input_form=inputs.WindowInput,
            ),
            Transition(
                "leave",
                gettext_lazy("Leave the plan"),
                gettext_lazy("Operator left the plan"),
                (PARTICIPATE,),
                input_form=inputs.ReasonInput,
            ),
            Transition(
                "change_lead",
                gettext_lazy("Change the lead operator"),
                gettext_lazy("Lead operator changed"),
                (MANAGE_JOINT_WORKS,),
                input_form=inputs.LeadOperatorInput,
            ),
            Transition(
                "cancel",
                gettext_lazy("Cancel the plan"),
                gettext_lazy("Plan cancelled"),
                (MANAGE_JOINT_WORKS,),
                input_form=inputs.ReasonInput,
            ),
            Transition(
                "start_excavation",
                gettext_lazy("Start excavation"),
                gettext_lazy("Excavation started"),
                (LEAD_OPERATOR,),
            ),
            Transition(
                "report_installed",
                gettext_lazy("Report our conduit installed"),
                gettext_lazy("Conduit installed"),
                (PARTICIPATE,),
            ),
            Transition(
                "backfill",
                gettext_lazy("Backfill the trench"),
                gettext_lazy("Trench backfilled"),
                (LEAD_OPERATOR,),
            ),
            Transition(
                "restore",
                gettext_lazy("Report the road restored"),
                gettext_lazy("Road restored"),
                (LEAD_OPERATOR,),
                input_form=inputs.RestoreInput,
            ),
            # The plan's permits decide these; no person does.
            Transition(
                "permits_approved",
                gettext_lazy("All permits approved"),
                gettext_lazy("All permits approved"),
            ),
            Transition(
                "permit_rejected",
                gettext_lazy("Permit rejected"),
                gettext_lazy("Permit rejected"),
                input_form=inputs.ReasonInput,
            ),
            Transition(
                "participant_withdrawn",
                gettext_lazy("Application withdrawn"),
                gettext_lazy("A participating application was withdrawn"),
                input_form=inputs.ReasonInput,
            ),
        ],
        # Facts recorded in the plan's history that are not a move of its state.
        events=[
            Transition("propose", gettext_lazy("Propose"), gettext_lazy("Plan proposed")),
            Transition("join", gettext_lazy("Join"), gettext_lazy("Operator joined")),
        ],
    )
)
JOINT_WORKS_ACTIONS = tuple(JOINT_WORKS.names(where=lambda t: not t.system_only))


# Commitments (承诺制): the applicant supplies the promised document; the agency that issues it
# (applications/registry.py COMMITMENT_RULES) verifies it or records the promise broken.
# Not object permissions: membership of the request's applicant / of the verifying agency.
APPLICANT_ORG = "applicant_organisation"
VERIFYING_AGENCY = "verifying_agency"


class CommitmentMachine(Machine[Commitment]):
    """pending -> submitted -> verified, or -> breached (a paused case may still be saved)."""

    model = Commitment
    lock_related = ("combined", "verifier")
    not_found = gettext_lazy("No such commitment.")
    forbidden = gettext_lazy("You may not act on this commitment.")
    unknown = gettext_lazy("Unknown action: %s")

    def _member_of(self, user: Any, org_ids: Sequence[int | None]) -> bool:
        if user is None or not user.is_authenticated:
            return False
        return Membership.objects.filter(
            user=user, organization_id__in=[pk for pk in org_ids if pk]
        ).exists()

    def may(
        self, user: Any, name: str, obj: Commitment, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        if transition is None or transition.system_only or user is None:
            return False
        orgs: list[int | None] = []
        if APPLICANT_ORG in transition.permissions:
            orgs.append(obj.combined.applicant_id)
        if VERIFYING_AGENCY in transition.permissions:
            orgs.append(obj.verifier_id)
        return self._member_of(user, orgs)

    def visible(self, user: Any, obj: Commitment, perms: PermissionSource) -> bool:
        return self._member_of(user, [obj.combined.applicant_id, obj.verifier_id])

    def refusal(self, transition: Transition, obj: Commitment) -> str:
        if transition.name == "breach" and obj.status == CommitmentStatus.PENDING:
            return _("This commitment is not due yet: it cannot be found broken before then.")
        if transition.name == "supply" and obj.on_breach == BreachAction.STOP:
            return _("This commitment was broken and its application stopped.")
        return _("This commitment is already “%(status)s”.") % {"status": obj.get_status_display()}

    def record(self, obj: Commitment, transition: Transition, step: Step) -> None:
        if transition.name in ("verify", "breach"):
            obj.decided_at = step.now
            obj.decided_by = step.actor
        obj.save()
        CommitmentEvent.objects.create(
            commitment=obj,
            transition=transition.name,
            from_state=step.from_state,
            to_state=obj.status,
            actor=step.actor,
            at=step.now,
            note=step.data.get("reason", "") or step.comment,
        )


COMMITMENT = register(
    CommitmentMachine(
        [
            Transition(
                "supply",
                gettext_lazy("Upload the promised document"),
                gettext_lazy("Promised document supplied"),
                (APPLICANT_ORG,),
                input_form=inputs.DocumentInput,
                applicant_step=False,
            ),
            Transition(
                "verify",
                gettext_lazy("Accept the document (commitment kept)"),
                gettext_lazy("Commitment kept: document verified"),
                (VERIFYING_AGENCY,),
                input_form=inputs.OptionalReasonInput,
            ),
            Transition(
                "breach",
                gettext_lazy("Record the commitment broken"),
                gettext_lazy("Commitment broken"),
                (VERIFYING_AGENCY,),
                input_form=inputs.ReasonInput,
            ),
        ],
        # The due sweep marks a commitment due; the state stays pending.
        events=[
            Transition(
                "fall_due", gettext_lazy("Fell due"), gettext_lazy("The promised document fell due")
            )
        ],
    )
)
