"""Projects: recorded once and reused; a department's pushed project is claimed by its code."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import NotFound
from core.web import errors_to_form

from ..forms import FindProjectForm, ProjectForm
from ..selectors.applicant import projects_for_applicant, shared_project_by_code
from ..services import project_claim, project_create, project_update
from .common import applicant_required


@require_GET
@applicant_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = projects_for_applicant(organization=request.applicant)
    return render(
        request,
        "applications/project_list.html",
        {"projects": projects, "find_form": FindProjectForm()},
    )


@require_http_methods(["GET", "POST"])
@applicant_required
def project_new(request: HttpRequest) -> HttpResponse:
    """A blank form, or (`?code=` / `claim`) a department's pushed project pre-filled."""
    claim_code = request.POST.get("claim") or request.GET.get("code") or ""
    shared = shared_project_by_code(code=claim_code) if claim_code else None
    if claim_code and shared is None and request.method == "GET":
        messages.warning(
            request,
            _("No unclaimed project with code %(code)s was shared by a department. Enter it below.")
            % {"code": claim_code},
        )
    form = ProjectForm(
        request.POST or None,
        instance=shared,
        fixed_code=shared is not None,
        initial={"code": claim_code} if shared is None and claim_code else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if shared is not None:
                project = project_claim(
                    actor=request.user,
                    owner=request.applicant,
                    code=shared.code,
                    **form.service_fields(),
                )
            elif shared_project_by_code(code=form.cleaned_data["code"]) is not None:
                messages.info(
                    request,
                    _("A department has already shared this project: check its data and save."),
                )
                return redirect(f"{request.path}?code={form.cleaned_data['code']}")
            else:
                project = project_create(
                    actor=request.user,
                    owner=request.applicant,
                    code=form.cleaned_data["code"],
                    **form.service_fields(),
                )
        except (ValidationError, NotFound) as exc:
            # Claiming a code nobody shared is a mistake in the form, not a missing page.
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Project %(code)s saved.") % {"code": project.code})
            return redirect("applications:project_list")
    return render(request, "applications/project_form.html", {"form": form, "shared": shared})


@require_http_methods(["GET", "POST"])
@applicant_required
def project_edit(request: HttpRequest, uuid) -> HttpResponse:
    project = get_object_or_404(projects_for_applicant(organization=request.applicant), uuid=uuid)
    form = ProjectForm(request.POST or None, instance=project, fixed_code=True)
    if request.method == "POST" and form.is_valid():
        try:
            project_update(actor=request.user, project=project, **form.service_fields())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Project %(code)s saved.") % {"code": project.code})
            return redirect("applications:project_list")
    return render(request, "applications/project_form.html", {"form": form, "project": project})
