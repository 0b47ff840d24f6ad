"""Applicant forms: projects, the combined request (with per-utility sections), corrections
and ratings. Forms parse and show errors; the services decide."""

import json
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from workgroups.models import Town
from workgroups.validators import normalize_project_code, validate_project_code

from .constants import (
    CONNECTION_BUSINESS_TYPES,
    BusinessType,
    DocumentType,
    ProjectKind,
    Utility,
    WorksType,
)
from .models import Document, Project, RatingLevel
from .registry import DOCUMENT_RULES, PLEASE_CHOOSE, UTILITIES, rule_hints, utilities_needing
from .services.submission import PAYMENT_IS_NO_REQUEST
from .sharing import SharedDocument
from .workflow import COMMENT_MAX_LENGTH, SERVICE, input_max_length


class TownChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Town) -> str:
        return obj.name_zh if (get_language() or "").startswith("zh") else obj.name_en


class ProjectForm(forms.ModelForm):
    """Fields of a project; the code is fixed once recorded (the approval system's key)."""

    town = TownChoiceField(
        label=_("Town or sub-district"),
        queryset=Town.objects.order_by("code"),
        empty_label=PLEASE_CHOOSE,
    )

    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "kind",
            "works_type",
            "address",
            "town",
            "floor_area_m2",
            "planned_start",
        ]
        widgets = {
            "planned_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "floor_area_m2": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "kind": forms.RadioSelect,
            "works_type": forms.RadioSelect,
        }

    def __init__(self, *args, fixed_code: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({"spellcheck": "false", "autocomplete": "off"})
        # Radio buttons need no "---------" choice: nothing ticked already means "not chosen".
        self.fields["kind"].choices = ProjectKind.choices
        self.fields["works_type"].choices = WorksType.choices
        if fixed_code:
            self.fields["code"].disabled = True

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if self.fields["code"].disabled:  # a recorded project's code stays as it is
            return code
        code = normalize_project_code(code)
        validate_project_code(code)
        return code

    def validate_unique(self) -> None:
        # The service decides (a pushed project's code is claimed, not duplicated).
        pass

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "code"}


class FindProjectForm(forms.Form):
    code = forms.CharField(label=_("Project code"), max_length=40)
    claim_code = forms.CharField(
        label=_("Claim code"),
        max_length=40,
        required=False,
        help_text=_("Only if the department gave you one, e.g. K7QM-2XHD-9PWT-R4NB."),
    )


class RequestForm(forms.Form):
    """The top of the combined request: what and which utilities."""

    # Payment (缴费) is a business type, but not a connection request: a fee is paid to the
    # operator against its quote on the case, and a question about one is a demand.
    business_type = forms.ChoiceField(
        label=_("Business type"),
        choices=[(value, BusinessType(value).label) for value in CONNECTION_BUSINESS_TYPES],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": PAYMENT_IS_NO_REQUEST},
        help_text=_(
            "Paying connection charges needs no request: each operator quotes its fee on your "
            "request's page. A question about a fee: ask it under Questions and suggestions."
        ),
    )
    utilities = forms.MultipleChoiceField(
        label=_("Utilities"),
        choices=Utility.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one utility.")},
    )
    joint_outside_works = forms.BooleanField(
        label=_("Join the outside-line works of all utilities (excavate, install, backfill once)"),
        required=False,
    )


def details_form(utility: str, *, data=None, initial: dict | None = None) -> forms.Form:
    """A utility's details form from the registry, prefixed with the utility, with tick boxes
    instead of a multiple-select list (easier on a phone and with a keyboard). Each rule that
    depends on another field is shown as the field's hint, from the registry's rule itself
    (the same record the server checks), with its data for the page's script."""
    spec = UTILITIES[utility]
    form = spec.details_form(data=data, prefix=utility, initial=initial or None)
    for form_field in form.fields.values():
        if isinstance(form_field, forms.MultipleChoiceField):
            form_field.widget = forms.CheckboxSelectMultiple(choices=form_field.choices)
    for name, rules in rule_hints(utility).items():
        form_field = form.fields[name]
        hints = [rule.hint(spec.details_form) for rule in rules]
        form_field.help_text = " ".join([str(form_field.help_text), *hints]).strip()
        data_rules = [dict(rule.as_data(), when=form.add_prefix(rule.when_field)) for rule in rules]
        form_field.widget.attrs["data-rules"] = json.dumps(data_rules)
    return form


def details_forms(*, data=None, initial: dict | None = None) -> dict[str, forms.Form]:
    """One details form per utility."""
    initial = initial or {}
    return {u: details_form(u, data=data, initial=initial.get(u)) for u in UTILITIES}


def raw_details(post, utility: str) -> dict:
    """A utility's details exactly as typed (drafts keep incomplete input)."""
    form = UTILITIES[utility].details_form(prefix=utility)
    raw: dict = {}
    for name, form_field in form.fields.items():
        key = form.add_prefix(name)
        if isinstance(form_field, forms.MultipleChoiceField):
            values = post.getlist(key)
            if values:
                raw[name] = values
        elif isinstance(form_field, forms.BooleanField):
            if post.get(key):
                raw[name] = True
        elif post.get(key, "") != "":
            raw[name] = post.get(key)
    return raw


@dataclass
class DocumentRow:
    """One document type in the request form: uploaded once whatever the number of utilities."""

    doc_type: str
    label: str
    needed_by: list[str]
    commitment_allowed: bool
    shared_data_allowed: bool
    document: Document | None = None
    committed: bool = False
    library: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    shared: SharedDocument | None = None  # fetched by the portal (sharing.py): nothing asked
    uploaded: Document | None = None  # sent with a form that came back with errors

    @property
    def needed_by_attr(self) -> str:
        return " ".join(self.needed_by)

    @property
    def needed_by_labels(self) -> list[str]:
        return [Utility(u).label for u in self.needed_by]


def document_rows(
    *,
    chosen: dict[str, Document],
    commitments: set[str],
    library: list[Document],
    only: list[str] | None = None,
    utilities: list[str] | None = None,
) -> list[DocumentRow]:
    """One row per document type (of `only`, else all), each naming the utilities (of
    `utilities`, else all) that need it."""
    rows = []
    for doc_type in only or DocumentType.values:
        needed_by = utilities_needing(doc_type, among=utilities)
        rule = DOCUMENT_RULES[doc_type]
        rows.append(
            DocumentRow(
                doc_type=doc_type,
                label=DocumentType(doc_type).label,
                needed_by=needed_by,
                commitment_allowed=rule.commitment_allowed,
                shared_data_allowed=rule.shared_data_allowed,
                document=chosen.get(doc_type),
                committed=doc_type in commitments and doc_type not in chosen,
                library=[d for d in library if d.doc_type == doc_type],
            )
        )
    return rows


class CorrectionForm(forms.Form):
    comment = forms.CharField(
        label=_("Your answer to the correction request"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommitmentUploadForm(forms.Form):
    """The document promised under 承诺制, uploaded from the tracking page (checked like every
    upload by `document_store`)."""

    file = forms.FileField(
        label=_("The promised document (PDF, JPEG or PNG)"),
        error_messages={"required": _("Choose the document to upload.")},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw? (optional)"),
        max_length=input_max_length(SERVICE, "reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RatingForm(forms.Form):
    level = forms.ChoiceField(
        label=_("How satisfied are you?"), choices=RatingLevel.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
