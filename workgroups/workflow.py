"""The transition tables of who-is-who: a company's identity and a credit-code dispute.

Same idiom as the cases (core.workflow): the status is a protected FSM field, each move is a
model method, and this table says who may perform it, with which input, and how it is
recorded. Every move of a company's identity writes a CompanyIdentityEvent in the same
transaction: the audit trail, and the fact the notifications engine turns into messages.

Who may (not object permissions, memberships):
- the company's managers ask for a review of their business licence;
- the company registry's staff (the organisation with `keeps_company_registry`, 市场监督管理局
  in the reference data) push registry data, review licences and decide disputes; platform
  administrators may too;
- the portal itself matches a new registration with registry data pushed before it and opens
  disputes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.workflow import Machine, PermissionSource, Step, Transition, register

from .constants import MemberRole, VerificationStatus
from .models import (
    CompanyDispute,
    CompanyIdentity,
    CompanyIdentityEvent,
    Membership,
    Organization,
)

# Not object permissions: what the caller is, read from memberships.
COMPANY_MANAGER = "company_manager"
IDENTITY_REVIEWER = "identity_reviewer"
REGISTRY_MEMBER = "company_registry"

# Facts the identity history records beside the moves (never performed).
DISPUTE_OPENED = "dispute_opened"
DISPUTE_KEPT = "dispute_kept"

REASON_MAX_LENGTH = 2000


def may_review_identities(user: Any) -> bool:
    """Platform administrators and the company registry's staff review licences and decide
    credit-code disputes (the registry knows who holds a code)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(
        user.is_superuser
        or Membership.objects.filter(
            user=user,
            organization__keeps_company_registry=True,
            organization__is_active=True,
        ).exists()
    )


def _registry_member(user: Any) -> bool:
    return Membership.objects.filter(
        user=user, organization__keeps_company_registry=True, organization__is_active=True
    ).exists()


def _manager_of(user: Any, organization_id: int) -> bool:
    return Membership.objects.filter(
        user=user, organization_id=organization_id, role=MemberRole.MANAGER
    ).exists()


class ReasonInput(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": gettext_lazy("Give the reason: the company is told it.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 2:
            raise forms.ValidationError(_("Give the reason: the company is told it."))
        return reason


class RegistryInput(forms.Form):
    record = forms.IntegerField(min_value=1)


def identity_event(
    identity: CompanyIdentity,
    name: str,
    *,
    from_state: str,
    actor: Any,
    at: Any,
    reason: str = "",
    dispute: CompanyDispute | None = None,
) -> CompanyIdentityEvent:
    """An unsaved audit row of the identity as it is now."""
    return CompanyIdentityEvent(
        identity=identity,
        organization_id=identity.organization_id,
        name=name,
        from_state=from_state,
        to_state=identity.status,
        credit_code=identity.credit_code,
        actor=actor,
        dispute=dispute,
        reason=reason,
        at=at,
    )


class CompanyMachine(Machine[CompanyIdentity]):
    """An applicant company's identity: unverified -> verified (registry data or a reviewed
    licence), or disputed by a second registration of its code until staff decide."""

    model = CompanyIdentity
    not_found = gettext_lazy("No such company.")
    forbidden = gettext_lazy("You may not change this company's verification.")

    def may(
        self, user: Any, name: str, obj: CompanyIdentity, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        if transition is None or transition.system_only or user is None or not user.is_active:
            return False
        for marker in transition.permissions:
            if marker == COMPANY_MANAGER and _manager_of(user, obj.organization_id):
                return True
            if marker == IDENTITY_REVIEWER and may_review_identities(user):
                return True
            if marker == REGISTRY_MEMBER and _registry_member(user):
                return True
        return False

    def visible(self, user: Any, obj: CompanyIdentity, perms: PermissionSource) -> bool:
        return (
            may_review_identities(user)
            or _registry_member(user)
            or Membership.objects.filter(user=user, organization_id=obj.organization_id).exists()
        )

    def refusal(self, transition: Transition, obj: CompanyIdentity) -> str:
        return _("Not possible while the company is “%(status)s”.") % {
            "status": obj.get_status_display()
        }

    def record(self, obj: CompanyIdentity, transition: Transition, step: Step) -> None:
        self.record_many([(obj, step)], transition)

    def record_many(
        self, moved: Sequence[tuple[CompanyIdentity, Step]], transition: Transition
    ) -> None:
        events = []
        for identity, step in moved:
            if identity.status == VerificationStatus.VERIFIED:
                identity.verified_at = step.now
                identity.verified_by = step.actor
            elif step.from_state == VerificationStatus.VERIFIED:
                identity.verified_at, identity.verified_by = None, None
            if transition.name == "request_review":
                identity.review_requested_at = step.now
                identity.last_reason = ""
            identity.save()
            # A dispute's decision moves the code itself: the loser frees it (the column is
            # unique), then the winner takes it (a second registration never held it).
            if transition.name in ("detach", "settle"):
                Organization.objects.filter(pk=identity.organization_id).update(
                    unified_social_credit_code=identity.credit_code
                )
            dispute = step.extra.get("dispute")
            events.append(
                identity_event(
                    identity,
                    transition.name,
                    from_state=step.from_state,
                    actor=step.actor,
                    at=step.now,
                    reason=step.data.get("reason", ""),
                    dispute=dispute,
                )
            )
        CompanyIdentityEvent.objects.bulk_create(events)


COMPANY = register(
    CompanyMachine(
        [
            Transition(
                "request_review",
                gettext_lazy("Ask for a review of the business licence"),
                gettext_lazy("Business licence sent for review"),
                (COMPANY_MANAGER,),
            ),
            Transition(
                "verify_by_registry",
                gettext_lazy("Verify from registry data"),
                gettext_lazy("Verified: the company registry's data matches"),
                (REGISTRY_MEMBER,),
                input_form=RegistryInput,
            ),
            # A company registering after the registry pushed its data: the portal matches it.
            Transition(
                "match_registry",
                gettext_lazy("Match registry data"),
                gettext_lazy("Verified: the company registry's data matches"),
                input_form=RegistryInput,
            ),
            Transition(
                "accept_review",
                gettext_lazy("Accept the business licence"),
                gettext_lazy("Verified: business licence accepted"),
                (IDENTITY_REVIEWER,),
            ),
            Transition(
                "refuse_review",
                gettext_lazy("Refuse the business licence"),
                gettext_lazy("Business licence refused"),
                (IDENTITY_REVIEWER,),
                input_form=ReasonInput,
            ),
            Transition(
                "open_dispute",
                gettext_lazy("Open a dispute"),
                gettext_lazy("Credit code disputed by another registration"),
            ),
            Transition(
                "settle",
                gettext_lazy("Decide the dispute for this company"),
                gettext_lazy("Verified: staff decided the dispute for this company"),
                (IDENTITY_REVIEWER,),
                input_form=ReasonInput,
            ),
            Transition(
                "detach",
                gettext_lazy("Detach from the credit code"),
                gettext_lazy("Staff decided the credit code belongs to another company"),
                (IDENTITY_REVIEWER,),
                input_form=ReasonInput,
            ),
        ],
        events=[
            Transition(
                DISPUTE_OPENED,
                gettext_lazy("Dispute opened"),
                gettext_lazy("Another account registered this credit code: staff decide"),
            ),
            Transition(
                DISPUTE_KEPT,
                gettext_lazy("Dispute decided"),
                gettext_lazy("Staff decided the credit code stays with this company"),
            ),
        ],
    )
)


class DisputeMachine(Machine[CompanyDispute]):
    """Two registrations of one credit code, open until the registry's staff decide."""

    model = CompanyDispute
    not_found = gettext_lazy("No such dispute.")
    forbidden = gettext_lazy("Only the company registry's staff decide disputes.")

    def may(
        self, user: Any, name: str, obj: CompanyDispute, *, perms: PermissionSource | None = None
    ) -> bool:
        transition = self.transitions.get(name)
        if transition is None or transition.system_only or user is None:
            return False
        return may_review_identities(user)

    def visible(self, user: Any, obj: CompanyDispute, perms: PermissionSource) -> bool:
        return may_review_identities(user)

    def refusal(self, transition: Transition, obj: CompanyDispute) -> str:
        return _("This dispute is already decided.")

    def record(self, obj: CompanyDispute, transition: Transition, step: Step) -> None:
        obj.decided_by, obj.decided_at = step.actor, step.now
        obj.save(update_fields=["status", "decided_for", "reason", "decided_by", "decided_at"])


DISPUTE = register(
    DisputeMachine(
        [
            Transition(
                "decide_for_holder",
                gettext_lazy("The first company keeps the code"),
                gettext_lazy("Decided for the company that registered first"),
                (IDENTITY_REVIEWER,),
                input_form=ReasonInput,
            ),
            Transition(
                "decide_for_claimant",
                gettext_lazy("The second company gets the code"),
                gettext_lazy("Decided for the company that registered second"),
                (IDENTITY_REVIEWER,),
                input_form=ReasonInput,
            ),
        ]
    )
)


def identity_history_label(event: CompanyIdentityEvent) -> str:
    return COMPANY.history_label(event.name)
