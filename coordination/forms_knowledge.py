"""Staff forms of the service guides' prose, the knowledge base and the training records."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.constants import ServiceStatus
from workgroups.models import Organization, Workgroup

from .constants import ArticleKind
from .models import Meeting
from .models.guides import PROSE_MAX_LENGTH
from .models.knowledge import BODY_MAX_LENGTH, TITLE_MAX_LENGTH


def _prose(label, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=PROSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class GuideTextForm(forms.Form):
    intro_zh = _prose(_("Introduction (Chinese)"), required=True)
    intro_en = _prose(_("Introduction (English)"))
    notes_zh = _prose(_("Notes (Chinese)"))
    notes_en = _prose(_("Notes (English)"))
    contacts_zh = _prose(_("Contacts (Chinese)"))
    contacts_en = _prose(_("Contacts (English)"))


class ArticleForm(forms.Form):
    workgroup = forms.ModelChoiceField(label=_("Workgroup"), queryset=Workgroup.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=ArticleKind.choices)
    stage = forms.ChoiceField(
        label=_("Case stage"),
        required=False,
        choices=[("", _("Any stage")), *ServiceStatus.choices],
        help_text=_("The staff case page shows the article under a case at this stage."),
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    body = forms.CharField(
        label=_("Text"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "Paragraphs, lists, tables, links and emphasis in HTML; anything else is removed "
            "when the article is saved."
        ),
    )
    meeting = forms.ModelChoiceField(
        label=_("Coordination meeting (decisions)"),
        required=False,
        queryset=Meeting.objects.none(),
    )

    def __init__(self, *args, workgroups, meetings, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workgroup"].queryset = workgroups
        self.fields["meeting"].queryset = meetings


class ArticleSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    workgroup = forms.ModelChoiceField(
        label=_("Workgroup"), required=False, queryset=Workgroup.objects.order_by("pk")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *ArticleKind.choices]
    )


class TrainingForm(forms.Form):
    workgroup = forms.ModelChoiceField(label=_("Workgroup"), queryset=Workgroup.objects.none())
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    held_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    trainer = forms.CharField(label=_("Trainer"), max_length=100)
    material = forms.CharField(
        label=_("Material"),
        required=False,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, workgroups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workgroup"].queryset = workgroups


class AttendanceForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none()
    )
    people = forms.CharField(
        label=_("People who attended"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_("One name a line."),
    )

    def __init__(self, *args, organizations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
