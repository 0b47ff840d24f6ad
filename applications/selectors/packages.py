"""What a request's decision package (统一出件) holds, read in a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import translation

from ..constants import (
    CommitmentStatus,
    DocumentType,
    JointWorksStatus,
    PermitStatus,
    PermitType,
    ServiceStatus,
    Utility,
)
from ..models import (
    CombinedApplication,
    DecisionPackage,
    JointWorksParticipant,
    PermitRequest,
    ServiceApplication,
)

# A utility has its plan and its permits once its construction may start.
DECIDED = frozenset(
    {
        ServiceStatus.CONSTRUCTING,
        ServiceStatus.INSPECTING,
        ServiceStatus.CONNECTED,
        ServiceStatus.CLOSED,
    }
)
# Utilities that left the request do not hold the package back and are not in it.
LEFT = frozenset({ServiceStatus.WITHDRAWN, ServiceStatus.REJECTED})


def package_ready(statuses) -> bool:
    """Every utility still in the request has its plan and its permits (and one at least)."""
    remaining = [status for status in statuses if status not in LEFT]
    return bool(remaining) and all(status in DECIDED for status in remaining)


def _both(label_of) -> dict[str, str]:
    """A label in Chinese and in English (the package is bilingual whoever downloads it)."""
    labels = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            labels["zh" if language == "zh-hans" else "en"] = str(label_of())
    return labels


def package_combined(*, combined_id: int) -> CombinedApplication:
    """The request with everything its package reads, prefetched."""
    permits = PermitRequest.objects.select_related("agency").order_by("permit_type", "round")
    joint = JointWorksParticipant.objects.filter(active=True).select_related("plan__lead_operator")
    services = (
        ServiceApplication.objects.select_related("operator")
        .prefetch_related(
            Prefetch("permits", queryset=permits), Prefetch("joint_works", queryset=joint)
        )
        .order_by("pk")
    )
    return (
        CombinedApplication.objects.select_related("project__town", "applicant")
        .prefetch_related(Prefetch("services", queryset=services), "commitments")
        .get(pk=combined_id)
    )


def decision_package_content(*, combined: CombinedApplication) -> dict[str, Any] | None:
    """The package's content as plain data (the JSON download, and what the PDF prints), or
    None while a utility still waits for its plan or its permits."""
    if not package_ready(sa.status for sa in combined.services.all()):
        return None
    services = [sa for sa in combined.services.all() if sa.status not in LEFT]
    project, applicant = combined.project, combined.applicant
    utilities: list[dict[str, Any]] = []
    for sa in services:
        utilities.append(
            {
                "utility": sa.utility,
                "utility_label": _both(lambda sa=sa: Utility(sa.utility).label),
                "reference": str(sa.uuid),
                "operator": {"code": sa.operator.code, "name": sa.operator.name_zh},
                "survey_result": sa.survey_result,
                "plan": sa.plan,
                "fee_quote_cny": None if sa.fee_quote_cny is None else str(sa.fee_quote_cny),
                # The utility's own permits; a joint works plan's one permit set is listed once,
                # under the plan, and each utility taking part names the plan instead.
                "permits": _approved(p for p in sa.permits.all() if p.joint_works_plan_id is None),
                "joint_works": [
                    str(taking_part.plan.uuid)
                    for taking_part in sa.joint_works.all()
                    if taking_part.plan.status != JointWorksStatus.CANCELLED
                ],
            }
        )
        # The applicant's confirmation of the fee, fixed before the permits (so before any
        # package). Payments come later and are not in the package: a payment would make
        # every issued package outdated. Absent for quotes older than the confirmation record,
        # so the packages issued before keep their content and their hash.
        if sa.fee_confirmed_at is not None:
            utilities[-1]["fee_confirmed_at"] = sa.fee_confirmed_at.isoformat()
    fees = [sa.fee_quote_cny for sa in services if sa.fee_quote_cny is not None]
    return {
        "request": combined.reference or str(combined.uuid),
        "project": {
            "code": project.code,
            "name": project.name,
            "address": project.address,
            "town": project.town.name_zh,
        },
        "applicant": {
            "name": applicant.name_zh,
            "unified_social_credit_code": applicant.unified_social_credit_code,
        },
        "utilities": utilities,
        "fee_total_cny": str(sum(fees, Decimal("0"))) if fees else None,
        "joint_works": _joint_works(services),
        "open_commitments": [
            {
                "document": commitment.doc_type,
                "label": _both(lambda c=commitment: DocumentType(c.doc_type).label),
                "statement": commitment.statement,
                "signed_at": commitment.signed_at.isoformat(),
                # Where it stands and by when the promised document is due (承诺制闭环).
                "status": commitment.status,
                "due_on": commitment.due_on.isoformat() if commitment.due_on else None,
            }
            for commitment in combined.commitments.all()
            if commitment.status != CommitmentStatus.VERIFIED
        ],
    }


def _approved(permits) -> list[dict[str, Any]]:
    """The permits approved, the last round of each type deciding (rows ordered by round)."""
    latest: dict[str, PermitRequest] = {}
    for permit in permits:
        latest[permit.permit_type] = permit
    return [
        {
            "type": permit.permit_type,
            "label": _both(lambda p=permit: PermitType(p.permit_type).label),
            "agency": permit.agency.name_zh,
            "decided_at": permit.decided_at.isoformat() if permit.decided_at else None,
        }
        for permit in latest.values()
        if permit.status == PermitStatus.APPROVED
    ]


def _joint_works(services: list[ServiceApplication]) -> list[dict[str, Any]]:
    """The joint works plans (联合施工) the request's utilities take part in: one trench, one
    window, one lead operator."""
    plans: dict[int, dict[str, Any]] = {}
    for sa in services:
        for taking_part in sa.joint_works.all():
            plan = taking_part.plan
            if plan.status == JointWorksStatus.CANCELLED:
                continue
            entry = plans.setdefault(
                plan.pk,
                {
                    "reference": str(plan.uuid),
                    "road": plan.road_name,
                    "segment": plan.road_segment,
                    "window_start": plan.window_start.isoformat(),
                    "window_end": plan.window_end.isoformat(),
                    "lead_operator": plan.lead_operator.name_zh,
                    "utilities": [],
                    "permits": _approved(plan.permits.all()),
                },
            )
            entry["utilities"].append(sa.utility)
    for entry in plans.values():
        with translation.override("zh-hans"):  # the content is the same whoever downloads it
            utilities = "、".join(str(Utility(u).label) for u in entry["utilities"])
        entry["summary"] = (
            f"{entry['road']} {entry['segment']}".strip()
            + f"：{entry['window_start']} – {entry['window_end']}；"
            + f"牵头单位 Lead: {entry['lead_operator']}；{utilities}"
        )
    return list(plans.values())


def packages_of(*, combined: CombinedApplication) -> list[DecisionPackage]:
    """Every issue of the request's package, newest first."""
    return list(combined.decision_packages.order_by("-number"))


def package_by_code(*, short_code: str) -> DecisionPackage | None:
    """A package by its public verification code (anyone may verify one)."""
    return (
        DecisionPackage.objects.select_related("combined__project")
        .filter(short_code=short_code.strip().upper())
        .first()
    )
