"""Reads of the service guides' editable prose: the version in force, the history, and which
guides the caller may edit (the lead agencies of the utility's workgroup)."""

from __future__ import annotations

from django.db.models import Max, QuerySet

from applications.registry import UTILITIES
from workgroups.constants import WorkgroupRole
from workgroups.models import WorkgroupMembership

from ..models import GuideText


def guide_text_current(*, utility: str, business_type: str) -> GuideText | None:
    """The newest version of a guide's prose (None: never written), one query."""
    return (
        GuideText.objects.filter(utility=utility, business_type=business_type)
        .select_related("author")
        .order_by("-version")
        .first()
    )


def guide_text_versions(*, utility: str, business_type: str) -> QuerySet[GuideText]:
    return (
        GuideText.objects.filter(utility=utility, business_type=business_type)
        .select_related("author")
        .order_by("-version")
    )


def guide_editable_utilities(*, user) -> frozenset[str]:
    """The utilities whose guides `user` may edit: those whose workgroup their organisation
    leads (牵头单位); an administrator any."""
    if not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return frozenset(UTILITIES)
    return frozenset(
        WorkgroupMembership.objects.filter(
            role=WorkgroupRole.LEAD, organization__memberships__user=user
        ).values_list("workgroup__code", flat=True)
    )


def guide_text_latest_versions() -> dict[tuple[str, str], int]:
    """The number of the version in force of every guide written, in one query."""
    return {
        (row["utility"], row["business_type"]): row["n"]
        for row in GuideText.objects.values("utility", "business_type").annotate(n=Max("version"))
    }
