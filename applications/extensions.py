"""Where the layers above add to the applicant's pages without this layer knowing them.

Layers import downwards only (docs/architecture.md), so the tracking page cannot ask the
coordination layer for a rated utility's follow-up; instead that layer registers a panel
provider here when its app is ready, and the page shows what the providers return; with it,
the rows its panels read, so that the cached page changes when they do. The staff
case page (a case's referrals up) and the operator's work item (its escalations) work the same
way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString

from core.fingerprint import Stage

from .models import Escalation, ServiceApplication

# (request, the request's utilities) -> {service application id: rendered HTML}
TrackingPanel = Callable[[HttpRequest, list[ServiceApplication]], dict[int, str]]
_tracking_panels: list[TrackingPanel] = []


def register_tracking_panel(provider: TrackingPanel) -> TrackingPanel:
    if provider not in _tracking_panels:
        _tracking_panels.append(provider)
    return provider


# What the providers' panels read, as querysets of rows: (the request's utilities, a stage of
# the page's version whose `holds(field)` filters by them; the applicant organisation) ->
# querysets. The tracking page is cached while none of these rows, nor its own, change
# (applications.selectors.page_versions.tracking_page_version).
# (Organisation as its id: the page's version compiles the querysets once, core/fingerprint.py.)
TrackingReads = Callable[[Stage, int], list[QuerySet]]
_tracking_reads: list[TrackingReads] = []


def register_tracking_reads(reads: TrackingReads) -> TrackingReads:
    if reads not in _tracking_reads:
        _tracking_reads.append(reads)
    return reads


def tracking_reads(services: Stage, organization: int) -> list[QuerySet]:
    """The rows every panel provider reads for these utilities."""
    return [qs for reads in _tracking_reads for qs in reads(services, organization)]


def tracking_panels(request: HttpRequest, services: list[ServiceApplication]) -> dict[int, list]:
    """Every provider's panels per utility, in registration order (already-escaped HTML from
    the providers' own templates)."""
    panels: dict[int, list] = {}
    for provider in _tracking_panels:
        for sa_id, html in provider(request, services).items():
            panels.setdefault(sa_id, []).append(SafeString(html))
    return panels


# The staff case page: (request, the utilities the caller may open) -> {service application
# id: rendered HTML}. Coordination shows a case's referrals up and the form to refer it.
CasePanel = Callable[[HttpRequest, list[ServiceApplication]], dict[int, str]]
_case_panels: list[CasePanel] = []


def register_case_panel(provider: CasePanel) -> CasePanel:
    if provider not in _case_panels:
        _case_panels.append(provider)
    return provider


def case_panels(request: HttpRequest, services: list[ServiceApplication]) -> dict[int, list]:
    """Every provider's panels per utility on the staff case page, in registration order."""
    panels: dict[int, list] = {}
    for provider in _case_panels:
        for sa_id, html in provider(request, services).items():
            panels.setdefault(sa_id, []).append(SafeString(html))
    return panels


@dataclass(frozen=True)
class CaseEscalation:
    """One escalation of a case as its operator reads it (the work item's `escalations`): a
    missed deadline of the case (applications.Escalation) or a referral up by its workgroup,
    which the coordination layer adds."""

    uuid: uuid.UUID
    origin: str  # "deadline" | "referral"
    stage: str
    tier: int
    status: str
    opened_at: dt.datetime
    breached_due_at: dt.datetime | None = None
    reason: str = ""
    resolved_at: dt.datetime | None = None
    resolution_note: str = ""


# (the operator's utilities) -> {service application id: its referrals}, in a fixed number of
# queries whatever the number of utilities.
CaseEscalations = Callable[[list[ServiceApplication]], dict[int, list[CaseEscalation]]]
_case_escalations: list[CaseEscalations] = []


def register_case_escalations(provider: CaseEscalations) -> CaseEscalations:
    if provider not in _case_escalations:
        _case_escalations.append(provider)
    return provider


def case_escalations(services: list[ServiceApplication]) -> dict[int, list[CaseEscalation]]:
    """The deadline escalations of each application and what the layers above add, newest
    first."""
    found: dict[int, list[CaseEscalation]] = {sa.pk: [] for sa in services}
    for escalation in Escalation.objects.filter(service_application__in=services):
        found[escalation.service_application_id].append(
            CaseEscalation(
                uuid=escalation.uuid,
                origin="deadline",
                stage=escalation.stage,
                tier=escalation.tier,
                status=escalation.status,
                opened_at=escalation.opened_at,
                breached_due_at=escalation.breached_due_at,
                resolved_at=escalation.resolved_at,
                resolution_note=escalation.resolution_note,
            )
        )
    for provider in _case_escalations:
        for sa_id, rows in provider(services).items():
            found.setdefault(sa_id, []).extend(rows)
    for rows in found.values():
        rows.sort(key=lambda row: (row.opened_at, str(row.uuid)), reverse=True)
    return found
