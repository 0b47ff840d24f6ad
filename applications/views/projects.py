"""Projects: recorded once and reused; a department's pushed project is claimed by its code."""

import uuid as uuid_lib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.web import errors_to_form

from ..forms import FindProjectForm, ProjectForm
from ..selectors.applicant import (
    ClaimLookup,
    company_verification,
    projects_for_applicant,
    shared_project_for_claimant,
)
from ..services import project_claim, project_create, project_update
from ..services.claims import no_project_message, not_verified_message
from .common import applicant_required


def _saved(request: HttpRequest, project) -> HttpResponse:
    """Say so, and offer the next step: the projects page shows the saved project with a
    button that starts a request for it."""
    messages.success(request, _("Project %(code)s saved.") % {"code": project.code})
    return redirect(f"{reverse('applications:project_list')}?saved={project.uuid}")


@require_GET
@applicant_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = projects_for_applicant(organization=request.applicant)
    saved = None
    try:
        saved_uuid = uuid_lib.UUID(request.GET.get("saved", ""))
    except ValueError:
        pass
    else:
        saved = projects.filter(uuid=saved_uuid).first()
    return render(
        request,
        "applications/project_list.html",
        {
            "saved": saved,
            "projects": projects,
            "find_form": FindProjectForm(),
            "identity": company_verification(organization=request.applicant),
        },
    )


def _not_found(request: HttpRequest, lookup: ClaimLookup) -> None:
    """What a company learns of a code that is not waiting for it: the same whatever the
    project behind it (none, someone else's, claimed already), except that a holder of its
    expired claim code is told so, and an unverified company why it cannot claim at all."""
    identity = company_verification(organization=request.applicant)
    if identity is not None and not identity.is_verified:
        messages.warning(request, not_verified_message())
    elif lookup.expired:
        messages.warning(
            request, _("This claim code has expired. Ask the department for a new one.")
        )
    else:
        messages.warning(request, no_project_message())


def _claim_form(request: HttpRequest, lookup: ClaimLookup, claim_code: str = "") -> HttpResponse:
    form = ProjectForm(instance=lookup.project, fixed_code=True)
    return render(
        request,
        "applications/project_form.html",
        {"form": form, "shared": lookup.project, "claim_code": claim_code},
    )


@require_http_methods(["GET", "POST"])
@applicant_required
def project_new(request: HttpRequest) -> HttpResponse:
    """A blank form, or (`?code=`) a project a department pushed for this company, pre-filled;
    a POST with `claim` takes it over."""
    if request.method == "GET" and request.GET.get("code"):
        lookup = shared_project_for_claimant(
            organization=request.applicant, code=request.GET["code"]
        )
        if lookup.project is not None:
            return _claim_form(request, lookup)
        _not_found(request, lookup)
        form = ProjectForm(initial={"code": request.GET["code"][:40]})
        return render(request, "applications/project_form.html", {"form": form})

    claim = request.POST.get("claim", "")
    claim_code = request.POST.get("claim_code", "")
    shared = None
    if claim:
        shared = shared_project_for_claimant(
            organization=request.applicant, code=claim, claim_code=claim_code
        ).project
    form = ProjectForm(
        request.POST or None,
        instance=shared,
        fixed_code=bool(claim),
        # Not waiting for this company: its form keeps the code it typed, nothing of the project.
        initial={"code": claim[:40]} if claim and shared is None else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if claim:
                project = project_claim(
                    actor=request.user,
                    owner=request.applicant,
                    code=claim,
                    claim_code=claim_code,
                    **form.service_fields(),
                )
            else:
                typed = form.cleaned_data["code"]
                pending = shared_project_for_claimant(organization=request.applicant, code=typed)
                if pending.project is not None:
                    messages.info(
                        request,
                        _("A department has already shared this project: check its data and save."),
                    )
                    return redirect(f"{request.path}?code={typed}")
                project = project_create(
                    actor=request.user,
                    owner=request.applicant,
                    code=typed,
                    **form.service_fields(),
                )
        except (ValidationError, DomainError) as exc:
            # Claiming a code nobody shared with you is a mistake in the form, not a missing
            # page: the same message whatever the project behind it. The claim code is not
            # a field of the form: its errors are the form's own.
            for messages_ in errors_to_form(form, exc).values():
                form.add_error(None, messages_)
        else:
            return _saved(request, project)
    return render(
        request,
        "applications/project_form.html",
        {"form": form, "shared": shared, "claim": claim, "claim_code": claim_code},
    )


@require_POST
@applicant_required
def project_find(request: HttpRequest) -> HttpResponse:
    """The projects page's look-up: a project code, and the claim code a department handed
    over if it did (sent in the body, never in the address)."""
    form = FindProjectForm(request.POST)
    if not form.is_valid():
        messages.warning(request, no_project_message())
        return redirect("applications:project_list")
    lookup = shared_project_for_claimant(
        organization=request.applicant,
        code=form.cleaned_data["code"],
        claim_code=form.cleaned_data["claim_code"],
    )
    if lookup.project is not None:
        return _claim_form(request, lookup, form.cleaned_data["claim_code"])
    _not_found(request, lookup)
    return redirect("applications:project_list")


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
            return _saved(request, project)
    return render(request, "applications/project_form.html", {"form": form, "project": project})
