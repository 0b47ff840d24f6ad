"""The public transparency page's figures: per utility, what connecting took over the last
12 months and the standards the workgroups publish (B-READY Utility Services, pillars II and
III). Counts and medians only, never a name: nothing here can identify an applicant.

The figures are the staff dashboard's (`selectors.kpi.kpi_public` over the same rollup, the
same definitions and period), so the two pages cannot disagree. They are cached per rollup
refresh: a new refresh shows at once, and between refreshes a visit costs one query.
"""

import datetime as dt
from typing import Any, cast

from django.utils import timezone

from applications.constants import Party, Utility
from applications.registry import UTILITIES
from core.cache_guard import GuardedCache
from workgroups.models import SlaPolicy

from .kpi import (
    KpiFilter,
    indicators_available,
    kpi_as_of,
    kpi_fees,
    kpi_public,
    kpi_public_joint_works,
)

CACHE_KEY = "public-transparency:v4"
CACHE_SECONDS = 300
MONTHS = 12
# Public figures may be computed per process while Redis does not answer (core/cache_guard.py).
stats_cache = GuardedCache("stats", fallback="memory")


def _rounded(value, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _standards() -> dict[str, list[dict]]:
    """The SLA each workgroup publishes per stage (plain ORM: available on any database)."""
    slas: dict[str, list[dict[str, Any]]] = {u: [] for u in Utility.values}
    for row in SlaPolicy.objects.values(
        "workgroup__code", "stage", "variant", "working_days"
    ).order_by("workgroup__code", "stage", "variant"):
        slas.setdefault(row["workgroup__code"], []).append(dict(row))
    return slas


def _fees(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {
        "quoted": row["quoted"],
        "quoted_cny": str(row["quoted_cny"]),
        "paid": row["paid"],
        "paid_share": _share(row["paid"], row["quoted"]),
        "paid_cny": str(row["paid_cny"]),
        "outstanding_cny": str(row["outstanding_cny"]),
    }


def _compute(filters: KpiFilter, as_of: dt.datetime | None, available: bool) -> dict:
    figures = kpi_public(filters=filters) if available else {}
    # Counts and sums of every case (no name): computed on any database.
    fees = {row["utility"]: row for row in kpi_fees(filters=filters)}
    slas = _standards()
    utilities = []
    for utility in Utility.values:
        f = figures.get(utility, {})
        row: dict[str, Any] = {
            "utility": utility,
            "slas": slas.get(utility, []),
            "documents": list(UTILITIES[utility].documents),
            "party_days_median": dict.fromkeys(Party.values),
            "fees": _fees(fees.get(utility)),
        }
        if f:
            row |= {
                "connections": f["connections"],
                "working_days_avg": _rounded(f["working_days_avg"]),
                "working_days_median": _rounded(f["working_days_median"]),
                "fee_median": _rounded(f["fee_median"], 2),
                "steps_median": _rounded(f["steps_median"]),
                "party_days_median": {
                    party: _rounded(days) for party, days in f["party_days_median"].items()
                },
                "on_time_share": _share(f["stages_on_time"], f["stages_left"]),
                "ratings": f["ratings"],
                "satisfaction_share": _share(f["ratings_good"], f["ratings"]),
                "counter_visits": f["counter_visits"],
                "commitments_kept": f["commitments_kept"],
                "commitments_kept_on_time": f["commitments_kept_on_time"],
                "commitments_broken": f["commitments_broken"],
            }
        utilities.append(row)
    return {
        "available": available,
        "as_of": as_of,
        "first": filters.first,
        "last": filters.last,
        "utilities": utilities,
        **_joint_works(filters, available),
    }


def _joint_works(filters: KpiFilter, available: bool) -> dict:
    """Joint works (联合施工) over the period: trenches avoided, plans dug within their window."""
    if not available:
        return {"joint_works": None}
    figures = kpi_public_joint_works(filters=filters)
    return {
        "joint_works": {
            **figures,
            "on_time_share": _share(figures["on_time"], figures["plans"]),
        }
    }


def evaluation_city_figures(*, filters: KpiFilter) -> dict[str, dict]:
    """Per utility, the figures the business environment evaluation's measures compare with
    (indicators/evaluation.toml's `city_figure`), as the transparency page rounds them: the
    staff dashboard's period. Two queries (`kpi_public`); nothing where figures cannot be
    computed (the embedded SQLite database)."""
    if not indicators_available():
        return {}
    return {
        utility: {
            "steps_median": _rounded(f["steps_median"]),
            "working_days_median": _rounded(f["working_days_median"]),
            "fee_median": _rounded(f["fee_median"], 2),
            "on_time_share": _share(f["stages_on_time"], f["stages_left"]),
        }
        for utility, f in kpi_public(filters=filters).items()
    }


def transparency_figures() -> dict:
    """The page's figures over the last 12 months (the staff dashboard's default period),
    as of the last rollup refresh; `available` is false on the embedded SQLite database,
    where only the published standards are shown."""
    filters = KpiFilter.last_months(timezone.localdate(), MONTHS)
    available = indicators_available()
    as_of = kpi_as_of() if available else None
    key = f"{CACHE_KEY}:{available}:{filters.last}:{as_of.isoformat() if as_of else ''}"
    figures = stats_cache.get_or_set(
        key, lambda: _compute(filters, as_of, available), CACHE_SECONDS
    )
    return cast(dict, figures)
