"""Turning facts into messages: state changes, escalation events, new projects, who holds a
pushed project, and a company's verification.

Each handler receives a batch of fact rows (see facts.py) and writes Delivery rows in the
caller's transaction. Each message is a catalogue code with its parameters (texts.py), with
its Chinese text for the channels that carry text.
"""

import uuid

from applications.constants import (
    APPLICANT_HOLDS,
    ClaimAction,
    ProjectSource,
)
from applications.models import EscalationEvent, Project, ProjectClaimEvent, StateChange
from applications.workflow import (
    NOTICE_FEE_PAID,
    NOTICE_FEE_QUOTED,
    NOTICE_PERMIT_ISSUED,
    NOTICE_WORK_ASSIGNED,
    notice_of,
)
from workgroups.constants import OrganizationKind, VerificationStatus
from workgroups.models import CompanyIdentity, CompanyIdentityEvent
from workgroups.selectors import escalation_holders

from ..constants import EventType, SignalKind
from ..models import Delivery
from ..texts import IDENTITY_EVENTS, compose, names
from .demand import demand_signal_record
from .recipients import Audience, save_deliveries, to_person

ALL_UTILITIES = ["electricity", "water", "gas", "network", "cable_tv"]


def _case_payload(change: StateChange) -> dict:
    sa = change.service_application
    return {
        "work_item": str(sa.uuid),
        "reference": sa.combined.reference,
        "utility": sa.utility,
        "transition": change.transition,
        "from": change.from_state,
        "to": change.to_state,
        "at": change.at.isoformat(),
        "due_at": change.due_at.isoformat() if change.due_at else None,
        "comment": change.comment,
    }


def handle_state_changes(changes: list[StateChange]) -> int:
    """Applicant: inbox + email of every change. Operator: new work and changes by others.
    Permit agency: each permit issued to it."""
    changes = list(
        StateChange.objects.filter(pk__in=[c.pk for c in changes])
        .select_related(
            "service_application__combined__submitted_by",
            "service_application__combined__project",
            "permit_request",
        )
        .order_by("pk")
    )
    orgs = set()
    for change in changes:
        sa = change.service_application
        orgs |= {sa.combined.applicant_id, sa.operator_id}
        if change.permit_request is not None:
            orgs.add(change.permit_request.agency_id)
    audience = Audience(orgs)
    rows: list[Delivery] = []
    for change in changes:
        rows += _messages_for(change, audience)
    return save_deliveries(rows)


def _case_message(change: StateChange, notice: str) -> tuple[str, dict]:
    """The catalogue code and parameters of a case's fact: a fee quote to confirm and a
    payment recorded have their own, every other move the state change."""
    sa = change.service_application
    common = {
        "reference": sa.combined.reference,
        "request": str(sa.combined.uuid),
        "item": str(sa.uuid),
        "utility": sa.utility,
    }
    data = change.data
    if notice == NOTICE_FEE_QUOTED and data.get("fee_quote_cny") is not None:
        return "case.fee_quoted", {
            **common,
            "fee": data["fee_quote_cny"],
            "fee_items": data.get("fee_items") or [],
            "comment": change.comment,
        }
    if notice == NOTICE_FEE_PAID:
        return "case.fee_paid", {
            **common,
            "amount": data["amount_cny"],
            "paid_on": data["paid_on"],
            "receipt": data["receipt_number"],
        }
    return "case.state_changed", {
        **common,
        "status": change.to_state,
        "reason": data.get("reason", ""),
        "comment": change.comment,
        "fee": data.get("fee_quote_cny"),
    }


def _messages_for(change: StateChange, audience: Audience) -> list[Delivery]:
    sa = change.service_application
    combined = sa.combined
    payload = _case_payload(change)
    event_id = change.uuid
    notice = notice_of(change)
    message = compose(*_case_message(change, notice))
    permit = change.permit_request
    if permit is not None:
        if notice != NOTICE_PERMIT_ISSUED:
            return []
        payload["permit"] = str(permit.uuid)
        payload["permit_type"] = permit.permit_type
        return audience.to_organization(
            permit.agency_id,
            event_id=event_id,
            event_type=EventType.PERMIT_ISSUED,
            **message,
            payload=payload,
        )
    rows = audience.to_organization(
        combined.applicant_id,
        event_id=event_id,
        event_type=EventType.STATE_CHANGED,
        **message,
        payload=payload,
        email=False,  # the person who filed gets the email, not every colleague
        webhook=False,
    )
    rows += to_person(
        combined.submitted_by,
        organization_id=combined.applicant_id,
        event_id=event_id,
        event_type=EventType.STATE_CHANGED,
        **message,
        payload=payload,
        # The applicant's turn (a correction, a plan and fee to confirm): by SMS too.
        sms=change.to_state in APPLICANT_HOLDS,
    )
    acted_by_operator = change.actor_organization_id == sa.operator_id
    if notice == NOTICE_WORK_ASSIGNED:
        rows += audience.to_organization(
            sa.operator_id,
            event_id=uuid.uuid5(event_id, "operator"),
            event_type=EventType.WORK_ITEM_ASSIGNED,
            **message,
            payload=payload,
        )
    elif not acted_by_operator:
        rows += audience.to_organization(
            sa.operator_id,
            event_id=uuid.uuid5(event_id, "operator"),
            event_type=EventType.STATE_CHANGED,
            **message,
            payload=payload,
            email=False,
        )
    return rows


def handle_escalation_events(events: list[EscalationEvent]) -> int:
    """Tell the tier that now holds the escalation: leads (1), office (2), leading group (3)."""
    events = list(
        EscalationEvent.objects.filter(pk__in=[e.pk for e in events])
        .select_related("escalation__service_application__combined")
        .order_by("pk")
    )
    holders = escalation_holders()
    audience = Audience(holders.organizations)
    rows: list[Delivery] = []
    for event in events:
        escalation = event.escalation
        sa = escalation.service_application
        recipients = sorted(holders.told(workgroup_id=sa.workgroup_id, tier=event.tier))
        message = compose(
            "case.escalation",
            {
                "tier": event.tier,
                "reference": sa.combined.reference,
                "request": str(sa.combined.uuid),
                "item": str(sa.uuid),
                "utility": sa.utility,
                "stage": escalation.stage,
                "note": event.note,
            },
        )
        payload = {
            "escalation": str(escalation.uuid),
            "work_item": str(sa.uuid),
            "kind": event.kind,
            "tier": event.tier,
            "stage": escalation.stage,
            "missed_deadline": escalation.breached_due_at.isoformat(),
            "note": event.note,
        }
        event_id = uuid.uuid5(escalation.uuid, f"event-{event.pk}")
        for org_id in recipients:
            rows += audience.to_organization(
                org_id,
                event_id=event_id,
                event_type=EventType.ESCALATION,
                payload=payload,
                **message,
            )
    return save_deliveries(rows)


def handle_projects(projects: list[Project]) -> int:
    """A new project, pushed by a department or recorded by its company, becomes an early
    demand signal to the operators before anyone applies."""
    count = 0
    for project in Project.objects.filter(pk__in=[p.pk for p in projects]).select_related(
        "town", "source_organization", "owner"
    ):
        pushed = project.source == ProjectSource.SHARED_DATA
        source = project.source_organization if pushed else project.owner
        if source is None or project.demand_signals.exists():
            continue
        demand_signal_record(
            source_organization=source,
            kind=SignalKind.PROJECT_APPROVAL if pushed else SignalKind.NEW_PROJECT,
            title=project.name,
            town=project.town,
            location=project.address,
            project=project,
            expected_utilities=ALL_UTILITIES,
            expected_date=project.planned_start,
        )
        count += 1
    return count


# A company's verification: every move and dispute fact its people must hear of.

_IDENTITY_NAMESPACE = uuid.UUID("6f1d2c3e-8b4a-4f0e-9a57-3c1e2b7d9a10")


def handle_identity_events(events: list[CompanyIdentityEvent]) -> int:
    """The company is told of each move of its verification and of each dispute fact: in the
    inbox, by e-mail to its people and by SMS to their confirmed numbers."""
    events = list(
        CompanyIdentityEvent.objects.filter(pk__in=[e.pk for e in events])
        .select_related("dispute", "organization")
        .order_by("pk")
    )
    audience = Audience({e.organization_id for e in events})
    rows: list[Delivery] = []
    for event in events:
        if event.name not in IDENTITY_EVENTS:
            continue
        message = compose(
            "company.identity",
            {
                "event": event.name,
                "status": event.to_state,
                "code": event.credit_code or (event.dispute.credit_code if event.dispute else ""),
                "reason": event.reason,
            },
        )
        payload = {
            "company": str(event.organization.uuid),
            "event": event.name,
            "status": event.to_state,
            "credit_code": event.credit_code,
            "dispute": str(event.dispute.uuid) if event.dispute else None,
            "reason": event.reason,
            "at": event.at.isoformat(),
        }
        rows += audience.to_organization(
            event.organization_id,
            event_id=uuid.uuid5(_IDENTITY_NAMESPACE, f"identity-event-{event.pk}"),
            event_type=EventType.COMPANY_IDENTITY,
            payload=payload,
            **message,
            webhook=False,
            sms=True,
        )
    return save_deliveries(rows)


# Who holds a pushed project (免证办).


def _verified_holders(codes: set[str]) -> dict[str, int]:
    """Credit code -> the verified applicant company holding it (one query)."""
    rows = CompanyIdentity.objects.filter(
        status=VerificationStatus.VERIFIED,
        organization__unified_social_credit_code__in=codes,
        organization__kind=OrganizationKind.APPLICANT_COMPANY,
    ).values_list("organization__unified_social_credit_code", "organization_id")
    return dict(rows)


def handle_claim_events(events: list[ProjectClaimEvent]) -> int:
    """The verified company a project was pushed for hears of it (and takes it over from the
    link); the department hears who claimed its project; a company whose claim the department
    reassigned hears that, with the reason. Nobody else learns anything of the project."""
    events = list(
        ProjectClaimEvent.objects.filter(pk__in=[e.pk for e in events])
        .select_related("project__source_organization", "owner", "previous_owner")
        .order_by("pk")
    )
    holders = _verified_holders({e.owner_credit_code for e in events if e.owner_credit_code})
    orgs = set(holders.values())
    orgs |= {e.project.source_organization_id for e in events if e.project.source_organization_id}
    orgs |= {e.previous_owner_id for e in events if e.previous_owner_id}
    audience = Audience(orgs)
    rows: list[Delivery] = []
    for event in events:
        project = event.project
        payload = {
            "project": str(project.uuid),
            "code": project.code,
            "action": event.action,
            "owner": str(event.owner.uuid) if event.owner else None,
            "at": event.at.isoformat(),
        }
        base = uuid.uuid5(event.uuid, "claim")
        department = names(project.source_organization)
        if event.action in (ClaimAction.PUSHED, ClaimAction.REASSIGNED):
            company = holders.get(event.owner_credit_code)
            if company is not None:
                rows += audience.to_organization(
                    company,
                    event_id=uuid.uuid5(base, "owner"),
                    event_type=EventType.PROJECT_SHARED,
                    payload=payload,
                    webhook=False,
                    **compose(
                        "project.shared",
                        {"department": department, "code": project.code, "name": project.name},
                    ),
                )
        if event.action == ClaimAction.REASSIGNED and event.previous_owner_id:
            rows += audience.to_organization(
                event.previous_owner_id,
                event_id=uuid.uuid5(base, "previous"),
                event_type=EventType.PROJECT_REASSIGNED,
                payload={"project": str(project.uuid), "code": project.code},
                webhook=False,
                **compose(
                    "project.reassigned",
                    {"department": department, "code": project.code, "reason": event.reason},
                ),
            )
        if event.action == ClaimAction.CLAIMED and project.source_organization_id:
            rows += audience.to_organization(
                project.source_organization_id,
                event_id=uuid.uuid5(base, "department"),
                event_type=EventType.PROJECT_CLAIMED,
                payload=payload,
                email=False,
                **compose("project.claimed", {"code": project.code, "company": names(event.owner)}),
            )
    return save_deliveries(rows)
