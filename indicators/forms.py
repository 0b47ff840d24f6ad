"""The period and workgroup the indicator pages show (`?from=YYYY-MM&to=YYYY-MM&workgroup=`).

Months are bounded (core.months), and so is the period: each month of it is a point of the
charts and a range of the queries, so a period of ten thousand years took seconds of the
database's time.
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.months import MonthField

from .selectors.kpi import KpiFilter

MAX_PERIOD_MONTHS = 120


def months_covered(first: dt.date, last: dt.date) -> int:
    """Months from `first` to `last`, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


class PeriodForm(forms.Form):
    """From and to month (either left out: the last twelve months' end), in either order, at
    most MAX_PERIOD_MONTHS apart; the workgroup stays as typed for the page to match against
    the caller's own (another one means all of the caller's)."""

    workgroup = forms.CharField(required=False)

    def __init__(self, *args, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the fields are named here rather than declared.
        self.fields["from"] = MonthField(label=_("From month"), required=False)
        self.fields["to"] = MonthField(label=_("To month"), required=False)
        self.default = KpiFilter.last_months(today)

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        first = data.get("from") or self.default.first
        last = data.get("to") or self.default.last
        first, last = min(first, last), max(first, last)
        if months_covered(first, last) > MAX_PERIOD_MONTHS:
            self.add_error(
                "from",
                ValidationError(
                    _("Choose a period of at most %(months)s months (%(years)s years)."),
                    code="period_too_long",
                    params={"months": MAX_PERIOD_MONTHS, "years": MAX_PERIOD_MONTHS // 12},
                ),
            )
        data["first"], data["last"] = first, last
        return data

    def filters(self, workgroups: list[tuple[int, str]]) -> KpiFilter:
        """The valid form's period, and its workgroup if it is one of `workgroups`."""
        wanted = self.cleaned_data.get("workgroup") or ""
        workgroup_id = next((pk for pk, _name in workgroups if str(pk) == wanted), None)
        return KpiFilter(
            first=self.cleaned_data["first"],
            last=self.cleaned_data["last"],
            workgroup_id=workgroup_id,
        )
