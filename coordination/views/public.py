"""The public pages of demands and suggestions: the form (with or without an account), the
confirmation with the private link, the submitter's list and page, and the private link."""

from __future__ import annotations

import uuid as uuid_lib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from applications.selectors.applicant import applicant_organization
from applications.views.documents import private_file_response
from core.errors import DomainError, ValidationError
from core.forms import error_summary
from core.web import errors_to_form

from ..access import demand_private_path
from ..constants import DemandStatus, DemandTheme, Utility
from ..forms import DemandForm
from ..models import Demand
from ..registry import ATTACHMENTS_MAX
from ..selectors.submitter import (
    cases_for_demand,
    demand_by_link,
    demand_for_submitter,
    demands_for_submitter,
)
from ..services import demand_submit, demand_transition, demand_transition_by_link
from ..throttles import submission_allowed
from ..workflow import DEMAND, SUBMITTER_ACTIONS, demand_history_label

# The demand whose confirmation (and private link) the next page shows, once.
ONCE_KEY = "coordination.demand_submitted"


@require_http_methods(["GET", "POST"])
def demand_new(request: HttpRequest) -> HttpResponse:
    signed_in = request.user.is_authenticated
    organization = applicant_organization(user=request.user) if signed_in else None
    cases = cases_for_demand(organization=organization) if organization is not None else None
    kwargs = {"signed_in": signed_in, "cases": cases}
    if request.method != "POST":
        form = DemandForm(initial=_initial(request, cases), **kwargs)
        return _form_page(request, form)
    form = DemandForm(request.POST, request.FILES, **kwargs)
    if not form.is_valid():
        return _form_page(request, form)
    allowed, wait = submission_allowed(request)
    if not allowed:
        minutes = max(wait // 60, 1)
        form.add_error(
            None,
            _("Too many submissions from here. Please try again in %(minutes)s minutes.")
            % {"minutes": minutes},
        )
        response = _form_page(request, form, status=429)
        response["Retry-After"] = str(wait)
        return response
    try:
        demand = demand_submit(actor=request.user, data=form.to_input())
    except (ValidationError, DomainError) as exc:
        errors_to_form(form, exc)
        return _form_page(request, form)
    request.session[ONCE_KEY] = str(demand.uuid)
    return redirect("applications:demand_submitted")


def _initial(request: HttpRequest, cases) -> dict:
    """What a link may preselect: a theme and a utility, and one of the submitter's own cases
    (the tracking page's "question about this fee" link); anything else is ignored."""
    initial: dict = {"kind": "need"}
    for name, values in (("theme", DemandTheme.values), ("utility", Utility.values)):
        if request.GET.get(name) in values:
            initial[name] = request.GET[name]
    try:
        case_uuid = uuid_lib.UUID(request.GET.get("case", ""))
    except ValueError:
        return initial
    case = cases.filter(uuid=case_uuid).first() if cases is not None else None
    if case is not None:
        initial.update(case=case.pk, utility=case.utility)
    return initial


def _form_page(request: HttpRequest, form: DemandForm, *, status: int = 200) -> HttpResponse:
    login = reverse("login") + "?" + urlencode({"next": request.path})
    return render(
        request,
        "coordination/demand_form.html",
        {
            "form": form,
            "attachments_max": ATTACHMENTS_MAX,
            "login_url": login,
            "error_links": error_summary(form),
        },
        status=status,
    )


@require_GET
def demand_submitted(request: HttpRequest) -> HttpResponse:
    """The confirmation, shown once: the reference and, to someone without an account, the
    private link (also sent to their e-mail address when they gave one)."""
    uuid = request.session.pop(ONCE_KEY, None)
    demand = (
        Demand.objects.filter(uuid=uuid).select_related("town", "workgroup").first()
        if uuid
        else None
    )
    if demand is None:
        return render(request, "coordination/demand_submitted.html", {"demand": None})
    link = ""
    if demand.organization_id is None and demand.submitted_by_id is None:
        link = request.build_absolute_uri(demand_private_path(demand))
    return render(request, "coordination/demand_submitted.html", {"demand": demand, "link": link})


@login_required
@require_GET
def demand_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "coordination/demand_list.html",
        {"demands": demands_for_submitter(user=request.user)},
    )


def _verdict_forms(demand: Demand, data=None) -> dict:
    if demand.status != DemandStatus.ANSWERED:
        return {}
    return {name: DEMAND.form(name, demand, data=data) for name in SUBMITTER_ACTIONS}


def _detail(request: HttpRequest, demand: Demand, *, token: str = "", forms=None) -> HttpResponse:
    """The submitter's page of one demand: what they asked, the answer, the history, and (once
    answered) whether it solved the problem. `token`: opened through the private link."""
    verdict_forms = forms if forms is not None else _verdict_forms(demand)
    return render(
        request,
        "coordination/demand_detail.html",
        {
            "demand": demand,
            "history": [(entry, demand_history_label(entry)) for entry in demand.history.all()],
            "verdict": [(name, DEMAND[name].button, verdict_forms[name]) for name in verdict_forms],
            "token": token,
            "error_links": error_summary(*(forms or {}).values()),
        },
    )


def _verdict(
    request: HttpRequest, demand: Demand, perform, *, token: str = ""
) -> HttpResponse | None:
    """Apply the submitter's verdict posted as `action`; None when it worked (or was no longer
    possible: said in a message), else the page again with the errors beside the field."""
    name = request.POST.get("action", "")
    if name not in SUBMITTER_ACTIONS:
        raise Http404
    data = {"reason": request.POST.get("reason", "")} if name == "report_unsolved" else {}
    try:
        perform(name, data)
    except ValidationError as exc:
        forms = _verdict_forms(demand)
        form = DEMAND.form(name, demand, data=data)
        if form is not None:
            if form.is_valid():
                errors_to_form(form, exc)
            forms[name] = form
        return _detail(request, demand, token=token, forms=forms)
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, _("Thank you: your answer is recorded."))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def demand_detail(request: HttpRequest, uuid) -> HttpResponse:
    demand = demand_for_submitter(user=request.user, uuid=uuid)
    if demand is None:
        raise Http404
    if request.method == "POST":
        failed = _verdict(
            request,
            demand,
            lambda name, data: demand_transition(
                actor=request.user, demand=demand, transition=name, data=data
            ),
        )
        return failed or redirect(request.path)
    return _detail(request, demand)


@require_http_methods(["GET", "POST"])
def demand_private(request: HttpRequest, uuid, token: str) -> HttpResponse:
    """The demand behind a private link, for its submitter without an account."""
    demand = demand_by_link(uuid=uuid, token=token)
    if demand is None:
        raise Http404
    if request.method == "POST":
        failed = _verdict(
            request,
            demand,
            lambda name, data: demand_transition_by_link(
                demand=demand, token=token, transition=name, data=data
            ),
            token=token,
        )
        return failed or redirect(request.path)
    return _detail(request, demand, token=token)


def _attachment_response(demand: Demand | None, attachment_uuid) -> FileResponse:
    if demand is None:
        raise Http404
    attachment = next((a for a in demand.attachments.all() if a.uuid == attachment_uuid), None)
    if attachment is None or not attachment.file:
        raise Http404
    return private_file_response(attachment, inline=False)


@login_required
@require_GET
def demand_attachment(request: HttpRequest, uuid, attachment_uuid) -> FileResponse:
    return _attachment_response(demand_for_submitter(user=request.user, uuid=uuid), attachment_uuid)


@require_GET
def demand_private_attachment(
    request: HttpRequest, uuid, token: str, attachment_uuid
) -> FileResponse:
    return _attachment_response(demand_by_link(uuid=uuid, token=token), attachment_uuid)
