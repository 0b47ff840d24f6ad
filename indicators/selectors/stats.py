"""The public `/api/v1/stats/` figures: live counts per utility and the transparency page's
published median. Counts only, no personal data."""

from collections import Counter

from django.db.models import Count
from django.utils import timezone

from applications.constants import ServiceStatus, Utility
from applications.models import ServiceApplication

from .public import transparency_figures


def public_stats() -> dict:
    """Per utility: applications by status and how many are connected (live counts), and the
    median working days from submission to connection over the last 12 months, the figure the
    transparency page publishes (the indicators rollup; None on the embedded SQLite database
    or before a utility's first connection). No personal data: only counts."""
    by_status: dict[str, Counter[str]] = {utility: Counter() for utility in Utility.values}
    rows = (
        ServiceApplication.objects.exclude(status=ServiceStatus.DRAFT)
        .values_list("utility", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for utility, status, n in rows:
        by_status[utility][status] += n
    published = {row["utility"]: row for row in transparency_figures()["utilities"]}
    return {
        "generated_at": timezone.now(),
        "utilities": [
            {
                "utility": utility,
                "total": sum(by_status[utility].values()),
                "by_status": {
                    status: by_status[utility][status]
                    for status in ServiceStatus.values
                    if status != ServiceStatus.DRAFT
                },
                "connected": by_status[utility][ServiceStatus.CONNECTED]
                + by_status[utility][ServiceStatus.CLOSED],
                "median_working_days_to_connect": published[utility].get("working_days_median"),
            }
            for utility in Utility.values
        ],
    }
