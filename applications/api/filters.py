"""Query filters of the list endpoints (django-filter: invalid values are 400 by field)."""

import django_filters
from django.utils.translation import gettext_lazy

from core.api.filters import ChangedAfterFilter, StrictFilterSet

from ..constants import BusinessType, PermitStatus, ServiceStatus, Utility


class WorkItemFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=ServiceStatus.choices,
        help_text=gettext_lazy("Repeat to match any of several states."),
    )
    utility = django_filters.ChoiceFilter(choices=Utility.choices)
    business_type = django_filters.ChoiceFilter(
        field_name="combined__business_type", choices=BusinessType.choices
    )
    updated_after = ChangedAfterFilter()


class PermitFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=PermitStatus.choices)
    updated_after = ChangedAfterFilter()


class ProjectFilter(StrictFilterSet):
    code = django_filters.CharFilter(max_length=40)
    updated_after = ChangedAfterFilter()
