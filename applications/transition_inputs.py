"""The input forms of the transitions that take input (applications/workflow.py names which);
the others take only a comment. Errors are field-level."""

from decimal import Decimal
from typing import cast

from django import forms
from django.core.validators import RegexValidator
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


FEE_ITEMS_MAX = 20
FEE_ITEM_LABEL_MAX_LENGTH = 100
FEE_MAX_CNY = Decimal("9999999999.99")


def fee_amount_field(label, **kwargs) -> forms.DecimalField:
    """A fee in CNY: never negative, at most what the fee columns hold."""
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=FEE_MAX_CNY,
        max_digits=12,
        decimal_places=2,
        **kwargs,
    )


class FeeItemsField(forms.Field):
    """An itemised fee quote: a list of {"label", "amount_cny"} (the API), or one item a line
    as "label = amount" (the staff page). Cleaned to JSON-ready dicts, amounts as strings."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value) -> list[dict]:
        if value in self.empty_values:
            return []
        if isinstance(value, str):
            rows = []
            for line in value.splitlines():
                if not line.strip():
                    continue
                label, sep, amount = line.rpartition("=")
                if not sep:
                    raise forms.ValidationError(
                        _("Write each item as “label = amount”, one a line.")
                    )
                rows.append({"label": label, "amount_cny": amount.strip()})
            value = rows
        if not isinstance(value, list | tuple) or not all(isinstance(v, dict) for v in value):
            raise forms.ValidationError(_("Give a list of items, each with a label and amount."))
        if len(value) > FEE_ITEMS_MAX:
            raise forms.ValidationError(_("At most %s items.") % FEE_ITEMS_MAX)
        items = []
        for number, row in enumerate(value, start=1):
            label = str(row.get("label") or "").strip()
            if "\x00" in label or not label or len(label) > FEE_ITEM_LABEL_MAX_LENGTH:
                raise forms.ValidationError(
                    _("Item %(n)s: give a label of at most %(max)s characters.")
                    % {"n": number, "max": FEE_ITEM_LABEL_MAX_LENGTH}
                )
            amount = fee_amount_field(label)
            try:
                cleaned = amount.clean(str(row.get("amount_cny", "")).replace("\x00", "?"))
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    _("Item %(n)s: %(error)s") % {"n": number, "error": " ".join(exc.messages)}
                ) from None
            items.append({"label": label, "amount_cny": str(cleaned)})
        return items


class PlanInput(forms.Form):
    survey_result = forms.CharField(label=_("Survey result"), min_length=2, max_length=4000)
    plan = forms.CharField(label=_("Connection plan"), min_length=2, max_length=8000)
    fee_quote_cny = fee_amount_field(_("Fee quote (CNY)"))
    fee_items = FeeItemsField(
        label=_("Fee items (optional)"),
        required=False,
        help_text=_("One item a line, “label = amount”; they must add up to the quote."),
    )
    required_permits = forms.MultipleChoiceField(
        label=_("Outside-line permits the works need"),
        choices=PermitType.choices,
        required=False,
    )

    def clean(self) -> dict:
        data = super().clean()
        items, total = data.get("fee_items"), data.get("fee_quote_cny")
        if items and total is not None:
            added = sum((Decimal(item["amount_cny"]) for item in items), Decimal("0"))
            if added != total:
                self.add_error(
                    "fee_items",
                    _("The items add up to ¥%(added)s, not the quote of ¥%(total)s.")
                    % {"added": added, "total": total},
                )
        return data


class PaymentInput(forms.Form):
    """A payment of the quoted fee, from the operator's receipt."""

    amount_cny = fee_amount_field(_("Amount paid (CNY)"))
    paid_on = forms.DateField(label=_("Paid on"))
    receipt_number = forms.CharField(
        label=_("Receipt number"),
        max_length=60,
        validators=[RegexValidator(r"^\S+$", _("A receipt number has no spaces."))],
    )

    def clean_paid_on(self):
        day = self.cleaned_data["paid_on"]
        if day > local_date(timezone.now()):
            raise forms.ValidationError(_("A payment cannot be made in the future."))
        return day


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
