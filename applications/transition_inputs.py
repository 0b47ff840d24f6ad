"""The input forms of the transitions that take input (applications/workflow.py names which);
the others take only a comment. Errors are field-level."""

from decimal import Decimal
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workgroups.calendar import is_working_day, local_date
from workgroups.models import Organization

from .constants import PermitType, ServiceStatus


class ReasonInput(forms.Form):
    reason = forms.CharField(label=_("Reason"), min_length=2, max_length=2000)


class VisitInput(forms.Form):
    reason = forms.CharField(
        label=_("Why the applicant came to the counter"), min_length=2, max_length=2000
    )


class OptionalReasonInput(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


class PlanInput(forms.Form):
    survey_result = forms.CharField(label=_("Survey result"), min_length=2, max_length=4000)
    plan = forms.CharField(label=_("Connection plan"), min_length=2, max_length=8000)
    fee_quote_cny = forms.DecimalField(
        label=_("Fee quote (CNY)"),
        min_value=Decimal("0"),
        max_value=Decimal("9999999999.99"),
        max_digits=12,
        decimal_places=2,
    )
    required_permits = forms.MultipleChoiceField(
        label=_("Outside-line permits the works need"),
        choices=PermitType.choices,
        required=False,
    )


class InspectionInput(forms.Form):
    inspection_result = forms.CharField(label=_("Inspection result"), min_length=2, max_length=4000)


class ConnectInput(forms.Form):
    inspection_result = forms.CharField(
        label=_("Inspection result"), max_length=4000, required=False
    )

    def __init__(self, *args, status: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Connecting after an inspection records its result; a fast-track job has none.
        self.fields["inspection_result"].required = status == ServiceStatus.INSPECTING


# Joint works plans: the longest excavation window one plan may ask for.
MAX_WINDOW_WORKING_DAYS = 60


class WindowInput(forms.Form):
    """An excavation window: a first working day and a number of working days."""

    window_start = forms.DateField(label=_("Excavation starts"))
    window_working_days = forms.IntegerField(
        label=_("Working days"), min_value=1, max_value=MAX_WINDOW_WORKING_DAYS
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)

    def clean_window_start(self):
        day = self.cleaned_data["window_start"]
        if day < local_date(timezone.now()):
            raise forms.ValidationError(_("The window cannot start in the past."))
        if not is_working_day(day):
            raise forms.ValidationError(_("The window must start on a working day."))
        return day


class LeadOperatorInput(forms.Form):
    lead_operator = forms.ModelChoiceField(
        label=_("Lead operator"), queryset=Organization.objects.none(), to_field_name="code"
    )

    def __init__(self, *args, plan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["lead_operator"])
        field.queryset = Organization.objects.filter(
            pk__in=plan.participants.filter(active=True).values("operator_id")
        )


class RestoreInput(forms.Form):
    restored_on = forms.DateField(label=_("Road restored on"))

    def clean_restored_on(self):
        day = self.cleaned_data["restored_on"]
        if day > local_date(timezone.now()):
            raise forms.ValidationError(_("The road cannot be restored in the future."))
        return day


class DocumentInput(forms.Form):
    """The promised document (承诺制), already stored and checked by `document_store`."""

    document = forms.Field(
        label=_("Document"),
        error_messages={"required": _("Choose the document to upload.")},
    )
