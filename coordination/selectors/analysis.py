"""The monthly analysis of demands (policy 四: 综合分析研判): what came in, by utility, town,
theme and kind, the trend over twelve months, the working days to the first answer and the
share answered on time.

Every figure is an aggregate computed by the database: one GROUP BY query per table, grouped
also by the working days to the first answer, so that the exact median comes from the small
distribution those rows form (as the indicators' rollup does) on PostgreSQL and SQLite alike.
The page costs the same number of queries whatever the number of demands.

- A demand counts in the month it was received (local time).
- Answered on time: its first answer came by the answer deadline stamped on receipt.
- The share on time is taken over the demands already decided: answered, or past that
  deadline without an answer (a demand still within its time is neither).
- Working days to answer: from receipt to the first answer, the day of receipt not counting.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from workgroups.calendar import local_zone

from ..constants import DemandKind, DemandTheme, Utility
from .staff import DemandScope, visible_demands

TREND_MONTHS = 12


@dataclass
class Figures:
    received: int = 0
    answered: int = 0
    on_time: int = 0
    decided: int = 0
    days: Counter = field(default_factory=Counter)

    def add(self, row: dict) -> None:
        self.received += row["n"]
        self.answered += row["answered"]
        self.on_time += row["on_time"]
        self.decided += row["decided"]
        if row["answer_working_days"] is not None:
            self.days[row["answer_working_days"]] += row["answered"]

    @property
    def share_on_time(self) -> float | None:
        return self.on_time / self.decided if self.decided else None

    @property
    def median_days(self) -> float | None:
        return median_of(self.days)


def median_of(distribution: Counter) -> float | None:
    """The median of a distribution of integers given as {value: count}."""
    total = sum(distribution.values())
    if not total:
        return None
    wanted = {(total - 1) // 2, total // 2}
    found, seen = [], 0
    for value in sorted(distribution):
        count = distribution[value]
        for position in sorted(wanted):
            if seen <= position < seen + count:
                found.append(value)
        seen += count
    return sum(found) / len(found)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), local_zone())


@dataclass(frozen=True)
class DemandAnalysis:
    month: dt.date
    months: list[dt.date]
    total: Figures
    by_utility: list[tuple[str, Figures]]
    by_town: list[tuple[dict, Figures]]
    by_theme: list[tuple[str, Figures]]
    by_kind: list[tuple[str, Figures]]
    trend: list[tuple[dt.date, Figures]]


def _grouped(qs: QuerySet, keys: list[str], now: dt.datetime) -> list[dict]:
    return list(
        qs.values(*keys, "answer_working_days")
        .annotate(
            n=Count("pk"),
            answered=Count("pk", filter=Q(first_answered_at__isnull=False)),
            on_time=Count("pk", filter=Q(first_answered_at__lte=F("answer_due_at"))),
            decided=Count(
                "pk", filter=Q(first_answered_at__isnull=False) | Q(answer_due_at__lt=now)
            ),
        )
        .order_by()
    )


def _by(rows: list[dict], key: str) -> dict[Hashable, Figures]:
    found: dict[Hashable, Figures] = {}
    for row in rows:
        found.setdefault(row[key], Figures()).add(row)
    return found


def demand_analysis(
    *,
    user,
    scope: DemandScope,
    month: dt.date,
    workgroup_id: int | None = None,
    now: dt.datetime | None = None,
) -> DemandAnalysis:
    """The month's figures and the twelve months' trend over the demands the caller sees (of
    one workgroup, or all they see), in five queries."""
    now = now or timezone.now()
    first = month_start(month)
    qs = visible_demands(user=user, scope=scope)
    if workgroup_id is not None:
        qs = qs.filter(workgroup_id=workgroup_id)
    in_month = qs.filter(
        submitted_at__gte=_moment(first), submitted_at__lt=_moment(add_months(first, 1))
    )
    utility = _by(_grouped(in_month, ["utility"], now), "utility")
    theme = _by(_grouped(in_month, ["theme"], now), "theme")
    kind = _by(_grouped(in_month, ["kind"], now), "kind")
    town_rows = _grouped(in_month, ["town__code", "town__name_zh", "town__name_en"], now)
    towns = _by(town_rows, "town__code")
    names = {
        row["town__code"]: {
            "code": row["town__code"],
            "name_zh": row["town__name_zh"],
            "name_en": row["town__name_en"],
        }
        for row in town_rows
    }
    start = add_months(first, 1 - TREND_MONTHS)
    months = [add_months(start, i) for i in range(TREND_MONTHS)]
    trend_qs = qs.filter(
        submitted_at__gte=_moment(start), submitted_at__lt=_moment(add_months(first, 1))
    ).annotate(month=TruncMonth("submitted_at", tzinfo=local_zone()))
    trend_rows = _grouped(trend_qs, ["month"], now)
    for row in trend_rows:
        moment = row["month"]
        row["month"] = moment.date() if isinstance(moment, dt.datetime) else moment
    trend = _by(trend_rows, "month")
    total = Figures()
    for figures in kind.values():
        total.received += figures.received
        total.answered += figures.answered
        total.on_time += figures.on_time
        total.decided += figures.decided
        total.days.update(figures.days)
    return DemandAnalysis(
        month=first,
        months=months,
        total=total,
        by_utility=[(v, utility[v]) for v in Utility.values if v in utility],
        by_town=sorted(
            ((names[code], figures) for code, figures in towns.items()),
            key=lambda pair: (-pair[1].received, pair[0]["code"]),
        ),
        by_theme=[(v, theme[v]) for v in DemandTheme.values if v in theme],
        by_kind=[(v, kind[v]) for v in DemandKind.values if v in kind],
        trend=[(m, trend.get(m, Figures())) for m in months],
    )
