"""The scorecards page's training block (业务培训): per organisation, the training sessions its
people attended in the period and the attendances, from the coordination layer's records."""

import datetime as dt

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from coordination.selectors.knowledge import training_attendance_by_organization


def training_table(filters) -> dict:
    date_to = (filters.last + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    zh = (get_language() or "").startswith("zh")
    rows = [
        [
            r["organization__name_zh"]
            if zh or not r["organization__name_en"]
            else r["organization__name_en"],
            r["sessions"],
            r["people"],
        ]
        for r in training_attendance_by_organization(date_from=filters.first, date_to=date_to)
    ]
    return {
        "title": _("Training attendance"),
        "note": _("Training sessions of the workgroups held in the period, by organisation."),
        "headers": [_("Organisation"), _("Sessions attended"), _("Attendances (people)")],
        "rows": rows,
    }
