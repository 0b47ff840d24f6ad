"""The company's verification page: where it stands, why, and how to get verified."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.forms import error_summary
from core.web import errors_to_form
from workgroups.constants import MemberRole
from workgroups.identity import person_id_number_set, person_identity_of
from workgroups.models import Membership
from workgroups.workflow import identity_history_label

from ..constants import DocumentType
from ..selectors.applicant import (
    company_verification,
    documents_for_applicant,
    licence_review_latest,
)
from ..selectors.commitments import NO_COMMITMENTS, commitment_record
from ..services.identity import licence_review_request
from .common import applicant_required


class LicenceForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Business licence"),
        required=False,
        help_text=gettext_lazy("A scan or photo of the current licence: PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )
    document = forms.ChoiceField(
        label=gettext_lazy("Or one you uploaded before"), required=False, choices=()
    )

    def __init__(self, *args, licences=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.licences = {str(d.uuid): d for d in licences}
        self.fields["document"].choices = [("", "—")] + [
            (key, f"{d.original_name} ({d.created_at:%Y-%m-%d})")
            for key, d in self.licences.items()
        ]


class IdNumberForm(forms.Form):
    id_number = forms.CharField(
        label=gettext_lazy("ID-card number (居民身份证号码)"),
        max_length=24,
        help_text=gettext_lazy(
            "18 characters; the last may be X. Kept encrypted, shown only as 110***********1234."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


@require_http_methods(["GET", "POST"])
@applicant_required
def person_id_number(request: HttpRequest) -> HttpResponse:
    """A person applicant gives (or corrects) their ID-card number."""
    form = IdNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person_id_number_set(
                actor=request.user,
                organization=request.applicant,
                id_number=form.cleaned_data["id_number"],
            )
        except (ValidationError, DomainError) as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Your ID-card number is saved."))
            return redirect("applications:company")
    return _company_page(request, id_form=form)


@require_http_methods(["GET", "POST"])
@applicant_required
def company(request: HttpRequest) -> HttpResponse:
    return _company_page(request)


def _company_page(request: HttpRequest, id_form: IdNumberForm | None = None) -> HttpResponse:
    organization = request.applicant
    identity = company_verification(organization=organization)
    is_manager = Membership.objects.filter(
        user=request.user, organization=organization, role=MemberRole.MANAGER
    ).exists()
    licences = (
        documents_for_applicant(organization=organization).filter(
            doc_type=DocumentType.BUSINESS_LICENCE
        )
        if identity is not None
        else []
    )
    form = LicenceForm(
        None if id_form else request.POST or None,
        None if id_form else request.FILES or None,
        licences=licences,
    )
    if request.method == "POST" and id_form is None:
        if identity is None or not is_manager:
            raise PermissionDenied
        if form.is_valid():
            try:
                licence_review_request(
                    actor=request.user,
                    organization=organization,
                    upload=form.cleaned_data["file"],
                    document=form.licences.get(form.cleaned_data["document"]),
                )
            except (ValidationError, DomainError) as exc:
                errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Your business licence was sent for review. You will be told the outcome."),
                )
                return redirect("applications:company")
    events = []
    if identity is not None:
        events = [
            (event, identity_history_label(event))
            for event in identity.events.select_related("actor").order_by("-at", "-pk")[:20]
        ]
    return render(
        request,
        "applications/company.html",
        {
            "organization": organization,
            "identity": identity,
            "review": licence_review_latest(organization=organization),
            "form": form,
            "is_manager": is_manager,
            "events": events,
            "person_identity": person_identity_of(organization) if identity is None else None,
            "id_form": id_form or IdNumberForm(),
            "error_links": error_summary(form, id_form),
            "commitment_record": commitment_record(organization_ids=[organization.pk]).get(
                organization.pk, NO_COMMITMENTS
            ),
        },
    )
