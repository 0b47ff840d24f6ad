"""The input forms of the transitions that take input (applications/workflow.py names which);
the others take only a comment. Errors are field-level."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

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
