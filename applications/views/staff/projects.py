"""The projects a department pushed (免证办): who claimed each, and reassigning a wrong claim."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError
from core.forms import error_summary
from core.web import errors_to_form
from workgroups.access_log import record_access
from workgroups.constants import AccessKind

from ...selectors.staff import project_pushed_for_staff, projects_pushed_for_staff
from ...services.claims import REASON_MAX_LENGTH, project_reassign
from .common import _page, staff_required


class ReassignForm(forms.Form):
    owner_credit_code = forms.CharField(
        label=gettext_lazy("Owner's unified social credit code"),
        max_length=22,
        required=False,
        help_text=gettext_lazy("Only the company verified as holding it may claim the project."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    issue_claim_code = forms.BooleanField(
        label=gettext_lazy("Issue a claim code instead, to hand to the owner"), required=False
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=REASON_MAX_LENGTH,
        help_text=gettext_lazy("Recorded, and told to the company that loses the project."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@require_GET
@staff_required
def projects(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/projects.html",
        {
            "page": _page(request, projects_pushed_for_staff(scope=request.staff_scope)),
            "staff_section": "projects",
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def project(request: HttpRequest, uuid) -> HttpResponse:
    pushed = project_pushed_for_staff(scope=request.staff_scope, uuid=uuid)
    if pushed is None:
        raise Http404
    # The page names the company that claimed it, the person who did, and its claim history.
    record_access(
        request,
        kind=AccessKind.COMPANY_IDENTITY,
        subjects=[pushed.uuid, *([pushed.owner.uuid] if pushed.owner else [])],
    )
    may_reassign = pushed.source_organization_id in request.staff_scope.org_ids
    form = ReassignForm(request.POST or None)
    claim_code = None
    if request.method == "POST":
        if not may_reassign:
            raise Http404
        if form.is_valid():
            try:
                result = project_reassign(
                    actor=request.user,
                    organization=pushed.source_organization,
                    project=pushed,
                    **form.cleaned_data,
                )
            except (ValidationError, DomainError) as exc:
                errors_to_form(form, exc)
            else:
                # Rendered here, not redirected: the claim code is shown once and never
                # stored (not even in a message cookie).
                claim_code = result.claim_code
                pushed = project_pushed_for_staff(scope=request.staff_scope, uuid=uuid)
                form = ReassignForm()
    return render(
        request,
        "staff/project.html",
        {
            "project": pushed,
            "form": form,
            "may_reassign": may_reassign,
            "claim_code": claim_code,
            "reassigned": claim_code is not None,
            "staff_section": "projects",
            "title": _("Pushed project"),
            "error_links": error_summary(form),
        },
    )
