"""The commitment (承诺制) wording in force."""

import datetime as dt

from django.utils import timezone

from ..commitments import DOCUMENT_COMMITMENT
from ..models import CommitmentText


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
