"""The public form for demands and suggestions (诉求与建议), the staff site's filters, and the
staff forms of coordination meetings."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from applications.constants import BusinessType, ProjectKind, ServiceStatus
from applications.models import ServiceApplication
from workgroups.forms import MobileField
from workgroups.models import Organization, Town, Workgroup

from .constants import CompanyType, DemandKind, DemandTheme, Utility
from .models.meetings import ACTION_MAX_LENGTH, AGENDA_TEXT_MAX_LENGTH, PLACE_MAX_LENGTH
from .models.meetings import TITLE_MAX_LENGTH as TITLE_MAX_LENGTH_MEETING
from .registry import (
    ADDRESS_MAX_LENGTH,
    ATTACHMENTS_MAX,
    DESCRIPTION_MAX_LENGTH,
    NOTICE_TITLE_MAX,
    TITLE_MAX_LENGTH,
)
from .selectors.staff import DemandFilters
from .services.demands import CONTACT_NAME_MAX_LENGTH, DemandInput
from .services.notices import TARGETING as NOTICE_TARGETING
from .services.notices import NoticeInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by content and size by the service."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        if len(files) > ATTACHMENTS_MAX:
            raise forms.ValidationError(_("At most %(n)s files."), params={"n": ATTACHMENTS_MAX})
        return files


class TownChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Town) -> str:
        english = not (get_language() or "").startswith("zh")
        return obj.name_en if english and obj.name_en else obj.name_zh


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ServiceApplication) -> str:
        combined = obj.combined
        reference = combined.reference or combined.uuid
        return f"{reference} · {obj.get_utility_display()} · {combined.project.name}"


class DemandForm(forms.Form):
    """What someone asks of the workgroups. Signed in, the contact comes from the account and
    a demand may be about one of the organisation's own applications; without an account, a
    name and a mobile number or an e-mail address are needed."""

    kind = forms.ChoiceField(
        label=_("What is it?"), choices=DemandKind.choices, widget=forms.RadioSelect
    )
    utility = forms.ChoiceField(label=_("Utility"), choices=Utility.choices)
    theme = forms.ChoiceField(label=_("Theme"), choices=DemandTheme.choices)
    town = TownChoiceField(
        label=_("Town or sub-district"),
        queryset=Town.objects.order_by("code"),
        empty_label=_("Choose…"),
    )
    address = forms.CharField(label=_("Address"), max_length=ADDRESS_MAX_LENGTH, required=False)
    title = forms.CharField(label=_("Subject"), max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label=pgettext_lazy("demand", "Details"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened, where, since when, and what you would like done."),
    )
    case = CaseChoiceField(
        label=_("About one of your applications (optional)"),
        queryset=ServiceApplication.objects.none(),
        required=False,
        empty_label=_("None"),
    )
    attachments = MultipleFileField(
        label=_("Attachments (optional)"),
        required=False,
        help_text=_("Up to 5 files: PDF, JPEG or PNG."),
    )
    contact_name = forms.CharField(
        label=_("Your name"),
        max_length=CONTACT_NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_mobile = MobileField(required=False)
    contact_email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Your private link to the answer is sent here."),
    )

    def __init__(self, *args, signed_in: bool, cases=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.signed_in = signed_in
        if signed_in:
            for name in ("contact_name", "contact_mobile", "contact_email"):
                del self.fields[name]
        if cases is None:
            del self.fields["case"]
        else:
            self.fields["case"].queryset = cases

    def clean(self) -> dict:
        data = super().clean()
        contact_given = data.get("contact_mobile") or data.get("contact_email")
        contact_refused = "contact_mobile" in self.errors or "contact_email" in self.errors
        if not self.signed_in and not contact_given and not contact_refused:
            self.add_error("contact_mobile", _("Give a mobile number or an e-mail address."))
        return data

    def to_input(self) -> DemandInput:
        data = self.cleaned_data
        return DemandInput(
            kind=data["kind"],
            theme=data["theme"],
            utility=data["utility"],
            town=data["town"],
            title=data["title"],
            description=data["description"],
            address=data.get("address", ""),
            service_application=data.get("case"),
            contact_name=data.get("contact_name", ""),
            contact_mobile=data.get("contact_mobile", ""),
            contact_email=data.get("contact_email", ""),
            attachments=data.get("attachments") or [],
        )


def queue_filters(params: QueryDict) -> DemandFilters:
    """The staff queue's filters from the query string; anything unknown is ignored."""

    def choice(name: str, values) -> str:
        value = params.get(name, "")
        return value if value in values else ""

    state = params.get("state", "open")
    return DemandFilters(
        state=state if state in ("open", "closed", "all") else "open",
        utility=choice("utility", Utility.values),
        town=town if re.fullmatch(r"[a-z0-9-]{1,40}", town := params.get("town", "")) else "",
        theme=choice("theme", DemandTheme.values),
        kind=choice("kind", DemandKind.values),
        overdue=params.get("overdue") == "1",
        escalated=params.get("escalated") == "1",
        q=params.get("q", "")[:100].replace("\x00", ""),
    )


# --- Coordination meetings ---------------------------------------------------------------------


class MeetingForm(forms.Form):
    """Schedule a meeting: its workgroup (or across workgroups), when, where, who is invited."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH_MEETING)
    workgroup = forms.ModelChoiceField(
        label=_("Workgroup"),
        queryset=Workgroup.objects.none(),
        required=False,
        empty_label=_("Across workgroups (leadership office)"),
    )
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("Enter the date and time of the meeting.")},
    )
    place = forms.CharField(label=_("Place"), max_length=PLACE_MAX_LENGTH)
    invited = forms.ModelMultipleChoiceField(
        label=_("Invited organisations"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, workgroups, organizations, across: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        workgroup = self.fields["workgroup"]
        workgroup.queryset = workgroups  # type: ignore[attr-defined]
        workgroup.required = not across
        if not across:
            workgroup.empty_label = None  # type: ignore[attr-defined]
        invited = self.fields["invited"]
        invited.queryset = organizations  # type: ignore[attr-defined]
        invited.label_from_instance = _organization_label  # type: ignore[attr-defined]

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        if starts_at < timezone.now() - dt.timedelta(days=1):
            raise forms.ValidationError(_("A meeting is scheduled from today on."))
        return starts_at


def _organization_label(org: Organization) -> str:
    english = not (get_language() or "").startswith("zh")
    name = org.name_en if english and org.name_en else org.name_zh
    return f"{name} · {org.get_kind_display()}"


class ActionItemForm(forms.Form):
    description = forms.CharField(
        label=_("What must be done"),
        max_length=ACTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Organization.objects.none())
    due_day = forms.DateField(
        label=_("Due working day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date.")},
    )
    workgroup = forms.ModelChoiceField(
        label=_("Workgroup that follows it up"),
        queryset=Workgroup.objects.none(),
        required=False,
    )

    def __init__(self, *args, organizations, workgroups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = organizations  # type: ignore[attr-defined]
        owner.label_from_instance = _organization_label  # type: ignore[attr-defined]
        self.fields["workgroup"].queryset = workgroups  # type: ignore[attr-defined]


class AgendaAddForm(forms.Form):
    text = forms.CharField(label=_("New agenda item"), max_length=AGENDA_TEXT_MAX_LENGTH)


class NoticeForm(forms.Form):
    """A policy notice as its workgroup's lead agency writes it; the filters pick the companies
    (none ticked: every applicant company). Once published, only the text and files change."""

    workgroup = forms.ModelChoiceField(
        label=_("Workgroup"), queryset=Workgroup.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=NOTICE_TITLE_MAX)
    body_html = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Paragraphs, headings, lists, tables and links are kept; scripts, styles and "
            "anything else are removed."
        ),
    )
    infographic = forms.FileField(
        label=_("Infographic (一图读懂)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png"}),
        help_text=_("A JPEG or PNG image."),
    )
    video = forms.FileField(
        label=_("Video file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".mp4,.webm"}),
        help_text=_("MP4 or WebM, served by the portal itself. Or give a link below."),
    )
    video_url = forms.URLField(
        label=_("Video link"), required=False, assume_scheme="https", max_length=300
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    utilities = forms.MultipleChoiceField(
        label=_("Utilities"),
        choices=Utility.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    business_types = forms.MultipleChoiceField(
        label=_("Business types"),
        choices=BusinessType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    project_kinds = forms.MultipleChoiceField(
        label=_("Project kinds"),
        choices=ProjectKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    towns = forms.ModelMultipleChoiceField(
        label=_("Towns"),
        queryset=Town.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    company_types = forms.MultipleChoiceField(
        label=_("Company types"),
        choices=CompanyType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    case_states = forms.MultipleChoiceField(
        label=_("Stage of the company's cases"),
        choices=ServiceStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Companies with at least one service application at one of these stages."),
    )

    def __init__(self, *args, workgroups, published: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workgroup"].queryset = workgroups
        self.fields["towns"].label_from_instance = TownChoiceField.label_from_instance.__get__(
            self.fields["towns"]
        )
        if published:
            # The audience was fixed at publication.
            for name in (*NOTICE_TARGETING, "workgroup"):
                del self.fields[name]

    def to_input(self, *, workgroup_id: int) -> NoticeInput:
        data = self.cleaned_data
        return NoticeInput(
            title=data["title"],
            body_html=data["body_html"],
            workgroup_id=data["workgroup"].pk if "workgroup" in data else workgroup_id,
            video_url=data.get("video_url") or "",
            infographic=data.get("infographic") or None,
            video=data.get("video") or None,
            attachments=data.get("attachments") or [],
            utilities=data.get("utilities", []),
            business_types=data.get("business_types", []),
            project_kinds=data.get("project_kinds", []),
            towns=[t.code for t in data.get("towns", [])],
            company_types=data.get("company_types", []),
            case_states=data.get("case_states", []),
        )
