"""Turning facts into messages: state changes, escalation events, new projects.

Each handler receives a batch of fact rows (see facts.py) and writes Delivery rows in the
caller's transaction. Messages are written in Chinese, the portal's first language.
"""

import uuid

from django.utils.translation import gettext as _
from django.utils.translation import override

from applications.constants import PermitType, ProjectSource, ServiceStatus
from applications.models import EscalationEvent, Project, StateChange
from applications.workflow import NOTICE_PERMIT_ISSUED, NOTICE_WORK_ASSIGNED, notice_of
from workgroups.selectors import escalation_holders

from ..constants import EventType, SignalKind
from ..models import Delivery
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


def _messages_for(change: StateChange, audience: Audience) -> list[Delivery]:
    sa = change.service_application
    combined = sa.combined
    payload = _case_payload(change)
    event_id = change.uuid
    with override("zh-hans"):
        utility = sa.get_utility_display()
        status = (
            ServiceStatus(change.to_state).label
            if change.to_state in ServiceStatus.values
            else change.to_state
        )
        subject = _("%(reference)s %(utility)s: %(status)s") % {
            "reference": combined.reference,
            "utility": utility,
            "status": status,
        }
        details = [change.data.get("reason", ""), change.comment]
        if change.data.get("fee_quote_cny") is not None:
            details.append(_("Fee quote: %(fee)s CNY") % {"fee": change.data["fee_quote_cny"]})
        body = "\n".join(d for d in details if d)
    notice = notice_of(change)
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
            subject=subject,
            body=body,
            payload=payload,
        )
    rows = audience.to_organization(
        combined.applicant_id,
        event_id=event_id,
        event_type=EventType.STATE_CHANGED,
        subject=subject,
        body=body,
        payload=payload,
        email=False,  # the person who filed gets the email, not every colleague
        webhook=False,
    )
    rows += to_person(
        combined.submitted_by,
        organization_id=combined.applicant_id,
        event_id=event_id,
        event_type=EventType.STATE_CHANGED,
        subject=subject,
        body=body,
        payload=payload,
    )
    acted_by_operator = change.actor_organization_id == sa.operator_id
    if notice == NOTICE_WORK_ASSIGNED:
        rows += audience.to_organization(
            sa.operator_id,
            event_id=uuid.uuid5(event_id, "operator"),
            event_type=EventType.WORK_ITEM_ASSIGNED,
            subject=subject,
            body=body,
            payload=payload,
        )
    elif not acted_by_operator:
        rows += audience.to_organization(
            sa.operator_id,
            event_id=uuid.uuid5(event_id, "operator"),
            event_type=EventType.STATE_CHANGED,
            subject=subject,
            body=body,
            payload=payload,
            email=False,
        )
    return rows


def _stage_label(stage: str) -> str:
    if stage.startswith("permit:"):
        permit_type = stage.removeprefix("permit:")
        return str(PermitType(permit_type).label) if permit_type in PermitType.values else stage
    return str(ServiceStatus(stage).label) if stage in ServiceStatus.values else stage


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
        with override("zh-hans"):
            subject = _("Escalation (tier %(tier)s): %(reference)s %(stage)s overdue") % {
                "tier": event.tier,
                "reference": sa.combined.reference,
                "stage": _stage_label(escalation.stage),
            }
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
                subject=subject,
                body=event.note,
                payload=payload,
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
