"""The combined request: start, fill in (draft saved and resumable), review, submit once."""

import uuid as uuid_lib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import ErrorLink, error_links, labelled
from core.web import maps_domain_errors

from ..constants import DocumentType, Utility
from ..forms import (
    RequestForm,
    details_form,
    details_forms,
    document_rows,
    raw_details,
)
from ..registry import DOCUMENT_RULES, UTILITIES, document_unmet, documents_required
from ..selectors.applicant import (
    combined_applications_for_applicant,
    company_verification,
    documents_for_applicant,
    drafts_for_applicant,
    projects_for_applicant,
)
from ..selectors.commitments import commitment_text_current
from ..selectors.common import CombinedStatus, combined_status
from ..services import document_store, draft_create, draft_delete, draft_save, draft_submit
from ..sharing import shared_document_sources
from .common import applicant_required
from .display import COMBINED_TONE, details_display


@require_GET
@applicant_required
def dashboard(request: HttpRequest) -> HttpResponse:
    requests_ = list(combined_applications_for_applicant(organization=request.applicant))
    for combined in requests_:
        combined.derived_status = combined_status(sa.status for sa in combined.services.all())
        combined.derived_label = CombinedStatus(combined.derived_status).label
        combined.tone = COMBINED_TONE[combined.derived_status]
    return render(
        request,
        "applications/dashboard.html",
        {
            "requests": requests_,
            "drafts": drafts_for_applicant(organization=request.applicant),
            "project_count": projects_for_applicant(organization=request.applicant).count(),
            "identity": company_verification(organization=request.applicant),
        },
    )


@require_http_methods(["GET", "POST"])
@applicant_required
def request_new(request: HttpRequest) -> HttpResponse:
    """Pick the project; a draft is created for it and the form opens."""
    projects = projects_for_applicant(organization=request.applicant)
    if request.method == "POST":
        try:
            project_uuid = uuid_lib.UUID(request.POST.get("project", ""))
        except ValueError as exc:
            raise Http404 from exc
        project = get_object_or_404(projects, uuid=project_uuid)
        draft = draft_create(actor=request.user, owner=request.applicant, project=project)
        return redirect("applications:draft_edit", uuid=draft.uuid)
    return render(request, "applications/request_new.html", {"projects": projects})


def _draft_or_redirect(request: HttpRequest, uuid):
    draft = get_object_or_404(
        drafts_for_applicant(organization=request.applicant, open_only=False), uuid=uuid
    )
    if draft.combined_id is not None:
        return draft, redirect("applications:request_detail", uuid=draft.combined.uuid)
    return draft, None


def _chosen_documents(draft, library) -> dict:
    by_uuid = {str(d.uuid): d for d in library}
    return {t: by_uuid[u] for t, u in draft.documents.items() if u in by_uuid}


def _draft_data(post) -> dict:
    picked = [u for u in post.getlist("utilities") if u in UTILITIES]
    details = {u: raw_details(post, u) for u in UTILITIES}
    return {
        "business_type": post.get("business_type", ""),
        "utilities": picked,
        "details": {u: d for u, d in details.items() if d or u in picked},
        "commitments": [
            t
            for t in post.getlist("commit")
            if t in DOCUMENT_RULES and DOCUMENT_RULES[t].commitment_allowed
        ],
        "joint_outside_works": bool(post.get("joint_outside_works")),
    }


def _take_documents(
    request: HttpRequest, chosen: dict, library: list, shared: dict
) -> dict[str, list[str]]:
    """New uploads win over a document picked from the library, which wins over the one
    already provided unless it is removed; errors per document type. An upload is stored at
    once, so a form sent back for an error elsewhere shows it as provided, not asked again.
    What the portal fetches itself is not asked for, so nothing sent for it is taken."""
    by_uuid = {str(d.uuid): d for d in library}
    errors: dict[str, list[str]] = {}
    for doc_type in DocumentType.values:
        if doc_type in shared:
            continue
        if request.POST.get(f"remove-{doc_type}") and doc_type in chosen:
            del chosen[doc_type]
            continue
        upload = request.FILES.get(f"file-{doc_type}")
        if upload is not None:
            try:
                chosen[doc_type] = document_store(
                    actor=request.user, owner=request.applicant, doc_type=doc_type, upload=upload
                )
            except ValidationError as exc:
                errors[doc_type] = exc.messages
            continue
        if f"library-{doc_type}" in request.POST:
            picked = request.POST.get(f"library-{doc_type}") or ""
            if picked in by_uuid:
                chosen[doc_type] = by_uuid[picked]
            else:
                chosen.pop(doc_type, None)
    return errors


def _with_shared(chosen: dict, shared: dict) -> dict:
    """The documents chosen, with what the portal fetches itself in place of any choice."""
    chosen = {t: d for t, d in chosen.items() if t not in shared}
    chosen.update({t: s.document for t, s in shared.items() if s.document is not None})
    return chosen


def _edit_context(draft, form, details, chosen, commitments, library, doc_errors=None, shared=None):
    rows = document_rows(chosen=chosen, commitments=commitments, library=library)
    links: list[ErrorLink] = error_links(form)
    for utility, dform in details.items():
        if dform.is_bound:  # a picked utility, checked
            links += error_links(dform, section=str(Utility(utility).label))
    for row in rows:
        row.errors = (doc_errors or {}).get(row.doc_type, [])
        row.shared = (shared or {}).get(row.doc_type)
        links += [ErrorLink(labelled(row.label, e), f"#file-{row.doc_type}") for e in row.errors]
    return {
        "draft": draft,
        "project": draft.project,
        "form": form,
        "sections": [(Utility(u).label, u, details[u]) for u in UTILITIES],
        "rows": rows,
        "error_links": links,
        "wording": commitment_text_current(),
        "max_bytes": settings.DOCUMENT_MAX_BYTES,
        "max_mb": settings.DOCUMENT_MAX_BYTES // (1024 * 1024),
    }


@require_http_methods(["GET", "POST"])
@applicant_required
def draft_edit(request: HttpRequest, uuid) -> HttpResponse:
    draft, done = _draft_or_redirect(request, uuid)
    if done:
        return done
    library = list(documents_for_applicant(organization=request.applicant))
    shared = shared_document_sources(request.applicant, draft.project)
    chosen = _with_shared(_chosen_documents(draft, library), shared)
    if request.method == "GET":
        data = draft.data
        # Nothing is chosen for the applicant: an unanswered question stays unanswered.
        form = RequestForm(
            initial={
                "business_type": data.get("business_type") or None,
                "utilities": data.get("utilities") or [],
                "joint_outside_works": data.get("joint_outside_works", False),
            }
        )
        details = details_forms(initial=data.get("details"))
        context = _edit_context(
            draft, form, details, chosen, set(data.get("commitments") or []), library, None, shared
        )
        return render(request, "applications/request_form.html", context)

    data = _draft_data(request.POST)
    data["commitments"] = [t for t in data["commitments"] if t not in shared]
    doc_errors = _take_documents(request, chosen, library, shared)
    draft = draft_save(actor=request.user, draft=draft, data=data, documents=chosen)
    library = list(documents_for_applicant(organization=request.applicant))
    if request.POST.get("action") == "save" and not doc_errors:
        messages.success(request, _("Draft saved. You can come back to it at any time."))
        return redirect("applications:draft_edit", uuid=draft.uuid)

    form = RequestForm(request.POST)
    valid = form.is_valid()
    details = details_forms(initial=data["details"])
    for utility in data["utilities"]:
        details[utility] = details_form(utility, data=request.POST)
        valid = details[utility].is_valid() and valid
    commitments = set(data["commitments"])
    for doc_type in documents_required(data["utilities"]):
        if doc_type in shared:
            continue
        unmet = document_unmet(
            doc_type, uploaded=doc_type in chosen, committed=doc_type in commitments
        )
        if unmet and doc_type not in doc_errors:
            doc_errors[doc_type] = [unmet]
    if valid and not doc_errors:
        return redirect("applications:draft_review", uuid=draft.uuid)
    if request.POST.get("action") == "save":
        messages.warning(request, _("Draft saved, but some files were not accepted."))
    # The error summary at the top says what to fix; a re-rendered form is a page, not a
    # failed request (200, so browsers log no console error).
    context = _edit_context(draft, form, details, chosen, commitments, library, doc_errors, shared)
    return render(request, "applications/request_form.html", context)


@require_http_methods(["GET", "POST"])
@applicant_required
def draft_review(request: HttpRequest, uuid) -> HttpResponse:
    draft, done = _draft_or_redirect(request, uuid)
    if done:
        if request.method == "POST":
            messages.info(request, _("This request was already submitted; nothing was sent twice."))
        return done
    errors: list[str] = []
    if request.method == "POST":
        try:
            combined = draft_submit(
                actor=request.user,
                draft=draft,
                client_token=request.POST.get("client_token", ""),
                commitment_wording=_int_or_none(request.POST.get("commitment_wording")),
            )
        except ValidationError as exc:
            errors = _readable(exc)
        else:
            messages.success(
                request,
                _("Request %(ref)s submitted. Every utility is now on its way.")
                % {"ref": combined.reference},
            )
            return redirect("applications:request_detail", uuid=combined.uuid)
    library = list(documents_for_applicant(organization=request.applicant))
    shared = shared_document_sources(request.applicant, draft.project)
    chosen = _with_shared(_chosen_documents(draft, library), shared)
    picked = draft.data.get("utilities") or []
    required = documents_required(picked)
    commitments = set(draft.data.get("commitments") or [])
    rows = document_rows(
        chosen=chosen, commitments=commitments, library=[], only=required, utilities=picked
    )
    for row in rows:
        row.shared = shared.get(row.doc_type)
    edit_url = reverse("applications:draft_edit", kwargs={"uuid": draft.uuid})
    context = {
        "draft": draft,
        "project": draft.project,
        "business_type": _label(
            RequestForm.base_fields["business_type"], draft.data.get("business_type")
        ),
        "utilities": [
            (Utility(u).label, details_display(u, (draft.data.get("details") or {}).get(u) or {}))
            for u in picked
        ],
        "rows": rows,
        "joint": draft.data.get("joint_outside_works"),
        "errors": errors,
        # The summary at the top (base.html): each problem links to the form that fixes it.
        "error_links": [ErrorLink(error, edit_url) for error in errors],
        "edit_url": edit_url,
        "wording": commitment_text_current(),
        "signs_commitments": any(row.committed for row in rows),
    }
    return render(request, "applications/request_review.html", context)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _readable(exc: ValidationError) -> list[str]:
    """Service error keys (`utility.field`, `documents.type`) as sentences a person reads."""
    lines = []
    for key, errors in exc.update_error_dict({}).items():
        prefix = ""
        head, _dot, name = key.partition(".")
        if head == "documents" and name in DocumentType.values:
            prefix = f"{DocumentType(name).label}: "
        elif head in UTILITIES:
            form_field = UTILITIES[head].details_form.base_fields.get(name)
            label = (
                f"{Utility(head).label} · {form_field.label}" if form_field else Utility(head).label
            )
            prefix = f"{label}: "
        lines += [f"{prefix}{message}" for error in errors for message in error.messages]
    return lines


def _label(form_field, value) -> str:
    return str(dict(form_field.choices).get(value, "")) if value else ""


@require_http_methods(["GET", "POST"])
@applicant_required
@maps_domain_errors()
def draft_discard(request: HttpRequest, uuid) -> HttpResponse:
    """GET asks first (a page, no script: the CSP allows none inline); POST deletes."""
    draft = get_object_or_404(drafts_for_applicant(organization=request.applicant), uuid=uuid)
    if request.method == "GET":
        return render(request, "applications/draft_delete.html", {"draft": draft})
    draft_delete(actor=request.user, draft=draft)
    messages.success(request, _("Draft deleted."))
    return redirect("applications:dashboard")
