"""The commitment (承诺制) wording: versions are added, never edited once signed."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_fsm import can_proceed

from core.workflow import apply
from workgroups.calendar import add_working_days, local_date
from workgroups.models import Organization, User

from ..commitments import FIRST_EFFECTIVE, FIRST_WORDING
from ..constants import BreachAction, CommitmentStatus, ServiceStatus
from ..models import (
    Commitment,
    CommitmentEvent,
    CommitmentText,
    DocumentLink,
    ServiceApplication,
)
from ..permissions import grant_commitment_document
from ..registry import COMMITMENT_RULES, UTILITIES, utilities_needing
from ..workflow import COMMITMENT, SERVICE
from .documents import document_store


@transaction.atomic
def commitment_text_seed() -> CommitmentText:
    """The portal's first wording (also seeded by migration 0010), put back if missing."""
    wording, _created = CommitmentText.objects.get_or_create(
        code=FIRST_WORDING["code"],
        version=FIRST_WORDING["version"],
        defaults={**FIRST_WORDING, "effective_from": FIRST_EFFECTIVE},
    )
    return wording


@transaction.atomic
def commitment_text_publish(
    *,
    code: str,
    text_zh: str,
    text_en: str,
    due_point_zh: str,
    due_point_en: str,
    consequences_zh: str,
    consequences_en: str,
    effective_from: dt.datetime | None = None,
) -> CommitmentText:
    """A new version of the wording `code`: the next number, in force from `effective_from`.
    Commitments signed before keep the version they were signed under."""
    latest = (
        CommitmentText.objects.select_for_update().filter(code=code).order_by("-version").first()
    )
    return CommitmentText.objects.create(
        code=code,
        version=(latest.version + 1) if latest else 1,
        text_zh=text_zh,
        text_en=text_en,
        due_point_zh=due_point_zh,
        due_point_en=due_point_en,
        consequences_zh=consequences_zh,
        consequences_en=consequences_en,
        effective_from=effective_from or timezone.now(),
    )


# The life of a signed commitment: due point, supply, verification or breach, and what the
# breach does to the applications relying on it.

_STAGE_ORDER: list[str] = [
    ServiceStatus.SUBMITTED,
    ServiceStatus.ACCEPTED,
    ServiceStatus.SURVEYING,
    ServiceStatus.PLAN_ISSUED,
    ServiceStatus.PERMITTING,
    ServiceStatus.CONSTRUCTING,
    ServiceStatus.INSPECTING,
    ServiceStatus.CONNECTED,
    ServiceStatus.CLOSED,
]


def stages_from(stage: str) -> list[str]:
    """`stage` and every stage after it on the way to closed (a case there is past its due
    point)."""
    return _STAGE_ORDER[_STAGE_ORDER.index(stage) :] if stage in _STAGE_ORDER else []


def commitment_terms(doc_types: Iterable[str], *, signed_at: dt.datetime) -> dict[str, dict]:
    """The due point, verifying agency and breach rule of a commitment for each document,
    from the registry (one query for the agencies); fixed on the row at signing."""
    rules = {d: COMMITMENT_RULES[d] for d in doc_types if d in COMMITMENT_RULES}
    agencies = dict(
        Organization.objects.filter(code__in={r.verifier for r in rules.values()}).values_list(
            "code", "pk"
        )
    )
    return {
        doc_type: {
            "due_stage": rule.due_stage,
            "due_on": local_date(add_working_days(signed_at, rule.due_working_days)),
            "verifier_id": agencies.get(rule.verifier),
            "on_breach": rule.on_breach,
        }
        for doc_type, rule in rules.items()
    }


def relying_services(commitment: Commitment) -> QuerySet[ServiceApplication]:
    """The applications of the request that need the committed document."""
    return ServiceApplication.objects.filter(
        combined_id=commitment.combined_id,
        utility__in=utilities_needing(commitment.doc_type),
    ).exclude(status=ServiceStatus.DRAFT)


@transaction.atomic
def commitment_supply(*, actor: User, commitment: Commitment, upload: UploadedFile) -> Commitment:
    """The applicant uploads the promised document (checked like every upload); it goes to
    the verifying agency's queue."""
    commitment = COMMITMENT.lock(commitment)
    document = document_store(
        actor=actor,
        owner=commitment.combined.applicant,
        doc_type=commitment.doc_type,
        upload=upload,
    )
    commitment = apply(
        COMMITMENT, commitment, "supply", actor=actor, data={"document": document}, locked=True
    )
    if commitment.verifier is not None:
        grant_commitment_document(document, verifier_group_id=commitment.verifier.group_id)
    return commitment


@transaction.atomic
def commitment_verify(*, actor: User, commitment: Commitment, reason: str = "") -> Commitment:
    """The agency accepts the document: the commitment is kept; the applications relying on it
    count one unverified commitment less, and one paused by it resumes."""
    commitment = apply(COMMITMENT, commitment, "verify", actor=actor, data={"reason": reason})
    services = list(relying_services(commitment).select_for_update(of=("self",)))
    for sa in services:
        sa.unverified_commitments = max(sa.unverified_commitments - 1, 0)
    ServiceApplication.objects.bulk_update(services, ["unverified_commitments"])
    # The verified document now serves the applications as if uploaded with the request.
    document = commitment.document
    DocumentLink.objects.bulk_create(
        [
            DocumentLink(
                service_application=sa,
                document=document,
                doc_type=commitment.doc_type,
            )
            for sa in services
            if document is not None
        ],
        ignore_conflicts=True,
    )
    still_broken = set(
        Commitment.objects.filter(
            combined_id=commitment.combined_id, status=CommitmentStatus.BREACHED
        ).values_list("doc_type", flat=True)
    )
    for sa in services:
        if sa.status != ServiceStatus.SUSPENDED:
            continue
        if still_broken & set(UTILITIES[sa.utility].documents):
            continue
        apply(SERVICE, sa, "resume_after_commitment", actor=None, locked=True)
    return commitment


@transaction.atomic
def commitment_breach(*, actor: User, commitment: Commitment, reason: str) -> Commitment:
    """The agency records the promise broken, with its reason: the applications relying on it
    are paused or stopped by the document's rule (the applicant hears of both)."""
    commitment = apply(COMMITMENT, commitment, "breach", actor=actor, data={"reason": reason})
    name = (
        "stop_for_commitment"
        if commitment.on_breach == BreachAction.STOP
        else "suspend_for_commitment"
    )
    for sa in relying_services(commitment).select_for_update(of=("self",)).order_by("pk"):
        if can_proceed(getattr(sa, name)):
            apply(SERVICE, sa, name, actor=None, data={"reason": reason}, locked=True)
    return commitment


@dataclass(frozen=True)
class DueResult:
    marked: int


def _due_filter(today: dt.date, points: Iterable[tuple[str, str]]) -> Q:
    """Due by the working day, or by a relying application at or past the due stage."""
    due = Q(due_on__lte=today)
    for doc_type, stage in points:
        reached = ServiceApplication.objects.filter(
            combined_id=OuterRef("combined_id"),
            utility__in=utilities_needing(doc_type),
            status__in=stages_from(stage),
        )
        due |= Q(doc_type=doc_type, due_stage=stage) & Q(Exists(reached))
    return due


@transaction.atomic
def commitments_fall_due(*, now: dt.datetime | None = None) -> DueResult:
    """Mark due every pending commitment whose working day has come or whose applications
    reached its stage; each one marked is a fact (the agency and the applicant are told).
    Idempotent: a commitment is marked once."""
    now = now or timezone.now()
    pending = Commitment.objects.filter(status=CommitmentStatus.PENDING, fell_due_at__isnull=True)
    points = set(pending.exclude(due_stage="").values_list("doc_type", "due_stage").distinct())
    rows = list(
        pending.filter(_due_filter(local_date(now), points))
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
    )
    for row in rows:
        row.fell_due_at = now
    Commitment.objects.bulk_update(rows, ["fell_due_at"])
    CommitmentEvent.objects.bulk_create(
        [
            CommitmentEvent(
                commitment=row,
                transition="fall_due",
                from_state=row.status,
                to_state=row.status,
                at=now,
            )
            for row in rows
        ]
    )
    return DueResult(marked=len(rows))
