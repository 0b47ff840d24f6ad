"""Calendar months typed as YYYY-MM (what `<input type="month">` sends), bounded.

A page that shows a month (and the months around it) must not take any year typed: year 9999
has no next month and year 1 no previous one (a server error), and a period of thousands of
years costs the database seconds. One field and one set of bounds for every such page.
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = ["FIRST_MONTH", "LAST_MONTH", "MonthField", "month_label", "parse_month"]

FIRST_MONTH = dt.date(2000, 1, 1)
LAST_MONTH = dt.date(2099, 12, 1)


def month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


class MonthField(forms.Field):
    """A calendar month typed as YYYY-MM, as the date of its first day, between FIRST_MONTH
    and LAST_MONTH."""

    default_error_messages = {
        "invalid": _("Enter a month as YYYY-MM."),
        "out_of_range": _("Choose a month from %(first)s to %(last)s."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            month = dt.datetime.strptime(str(value).strip(), "%Y-%m").date()  # noqa: DTZ007
        except ValueError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if not FIRST_MONTH <= month <= LAST_MONTH:
            raise ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={"first": month_label(FIRST_MONTH), "last": month_label(LAST_MONTH)},
            )
        return month


def parse_month(value: str) -> dt.date | None:
    """The month typed, or None when it is empty, not a month or out of bounds."""
    try:
        return MonthField(required=False).clean(value)
    except ValidationError:
        return None
