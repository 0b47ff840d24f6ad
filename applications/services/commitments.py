"""The commitment (承诺制) wording: versions are added, never edited once signed."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ..commitments import FIRST_EFFECTIVE, FIRST_WORDING
from ..models import CommitmentText


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
