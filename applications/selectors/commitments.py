"""The commitment (承诺制) wording in force."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from ..commitments import DOCUMENT_COMMITMENT
from ..constants import CommitmentStatus
from ..models import Commitment, CommitmentText


def commitment_text_current(
    *, code: str = DOCUMENT_COMMITMENT, at: dt.datetime | None = None
) -> CommitmentText:
    """The latest version of the wording `code` in force at `at` (now)."""
    wording = (
        CommitmentText.objects.filter(code=code, effective_from__lte=at or timezone.now())
        .order_by("-version")
        .first()
    )
    if wording is None:
        raise CommitmentText.DoesNotExist(f"no commitment wording {code!r} in force")
    return wording


# The verifying agency's queue (承诺制 followed through).

COMMITMENT_TABS = ("due", "decided")


def commitments_for_agency(*, scope: Any, tab: str = "due") -> QuerySet[Commitment]:
    """The commitments the caller's agencies verify: "due" = fallen due and not supplied, or
    supplied and awaiting review (supplied first, then the longest due); "decided" = verified or
    broken. Constant queries whatever their number."""
    qs = Commitment.objects.filter(verifier_id__in=scope.agency_ids)
    order: list[Any]
    if tab == "decided":
        qs = qs.filter(status__in=[CommitmentStatus.VERIFIED, CommitmentStatus.BREACHED])
        order = [F("decided_at").desc(nulls_last=True), "-pk"]
    else:
        qs = qs.filter(
            Q(status=CommitmentStatus.SUBMITTED)
            | Q(status=CommitmentStatus.PENDING, fell_due_at__isnull=False)
        )
        order = ["-status", F("fell_due_at").asc(nulls_last=True), "pk"]
    return qs.select_related(
        "combined__project", "combined__applicant", "document", "verifier", "decided_by"
    ).order_by(*order)


def commitment_for_agency(*, scope: Any, uuid: Any) -> Commitment | None:
    """One of the caller's agencies' commitments, or None (404 to everyone else)."""
    return (
        Commitment.objects.filter(verifier_id__in=scope.agency_ids, uuid=uuid)
        .select_related("combined")
        .first()
    )


NO_COMMITMENTS = {"kept": 0, "broken": 0, "open": 0}


def commitment_record(*, organization_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per applicant company: commitments kept (verified) and broken, counted in SQL."""
    rows = (
        Commitment.objects.filter(combined__applicant_id__in=list(organization_ids))
        .values("combined__applicant_id")
        .annotate(
            kept=Count("pk", filter=Q(status=CommitmentStatus.VERIFIED)),
            broken=Count("pk", filter=Q(status=CommitmentStatus.BREACHED)),
            open=Count(
                "pk", filter=Q(status__in=[CommitmentStatus.PENDING, CommitmentStatus.SUBMITTED])
            ),
        )
    )
    return {
        row["combined__applicant_id"]: {
            "kept": row["kept"],
            "broken": row["broken"],
            "open": row["open"],
        }
        for row in rows
    }
