"""One page per combined request: a timeline per utility and the applicant's actions."""

import datetime as dt
import uuid as uuid_lib
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import can_proceed

from core.errors import IllegalTransition
from core.forms import ErrorLink, error_links, error_summary, labelled
from core.page_cache import cached_page
from core.web import errors_to_form, maps_domain_errors
from workgroups.selectors import sla_table

from ..case_clock import (
    CaseClock,
    combined_clock,
    expected_completion,
    request_expected_completion,
    service_clock,
)
from ..clock import working_days_used
from ..constants import FeeStatus, PermitStatus, ServiceStatus
from ..extensions import tracking_panels
from ..forms import (
    CommentForm,
    CommitmentUploadForm,
    CorrectionForm,
    RatingForm,
    WithdrawForm,
    details_form,
    document_rows,
    raw_details,
)
from ..models import CombinedApplication, Commitment, ServiceApplication
from ..registry import UTILITIES
from ..selectors.applicant import (
    combined_application_tracking,
    company_verification,
    documents_for_applicant,
    services_to_rate,
)
from ..selectors.common import CombinedStatus, FeeStanding, combined_status, fee_standing
from ..selectors.packages import package_ready
from ..selectors.page_versions import tracking_page_version
from ..services import (
    combined_application_withdraw,
    commitment_supply,
    document_store,
    service_application_correct,
    service_application_rate,
    service_application_transition,
)
from ..workflow import permissions_of, transitions_available_each
from .common import applicant_required
from .display import (
    COMBINED_TONE,
    STATUS_TONE,
    details_display,
    holder,
    stage_steps,
)


@dataclass
class Card:
    """What the page shows for one utility's application."""

    sa: ServiceApplication
    steps: list
    holder: str
    holder_kind: str
    tone: str
    details: list
    history: list
    permits: list
    links: list
    actions: list[str]
    working_days: int
    clock: CaseClock
    # The working day the utility is expected to be connected (None: it will not be).
    expected: dt.date | None = None
    forms: dict = field(default_factory=dict)
    # What the layers above add under the utility (a follow-up of its rating).
    panels: list = field(default_factory=list)
    fee: FeeStanding | None = None


def _cards(request: HttpRequest, combined: CombinedApplication, bound: dict | None = None):
    services = list(combined.services.all())
    perms = permissions_of(request.user, services)
    actions = transitions_available_each(actor=request.user, objs=services, perms=perms)
    to_rate = services_to_rate(user=request.user, services=services, perms=perms)
    now = timezone.now()
    panels = tracking_panels(request, services)
    slas = sla_table(sa.workgroup_id for sa in services)
    cards = []
    for sa in services:
        who, kind = holder(sa)
        names = actions[sa.pk] + (["rate"] if sa.pk in to_rate else [])
        forms = {
            "confirm_plan": CommentForm(prefix=f"c{sa.pk}"),
            "withdraw": WithdrawForm(prefix=f"w{sa.pk}"),
            "rate": RatingForm(prefix=f"r{sa.pk}"),
        }
        forms.update((bound or {}).get(sa.pk, {}))
        latest_permits = {}
        for permit in sa.permits.all():
            latest_permits[permit.permit_type] = permit
        history = list(sa.history.all())
        cards.append(
            Card(
                sa=sa,
                steps=stage_steps(sa),
                holder=who,
                holder_kind=kind,
                tone=STATUS_TONE.get(sa.status, "info"),
                details=details_display(sa.utility, sa.details),
                history=history,
                permits=list(latest_permits.values()),
                links=list(sa.document_links.all()),
                actions=names,
                working_days=working_days_used(sa, now=now),
                clock=service_clock(sa, history, now=now),
                expected=expected_completion(sa, slas=slas, now=now),
                forms=forms,
                panels=panels.get(sa.pk, []),
                fee=fee_standing(sa),
            )
        )
    return cards


def _combined(request: HttpRequest, uuid) -> CombinedApplication:
    return get_object_or_404(
        combined_application_tracking(organization=request.applicant), uuid=uuid
    )


@dataclass
class CommitmentRow:
    """A signed commitment on the tracking page: where it stands and, while the document can
    still be supplied, the upload form."""

    commitment: Commitment
    form: CommitmentUploadForm | None


def _commitment_rows(combined: CombinedApplication, bound: dict | None) -> list[CommitmentRow]:
    rows = []
    for commitment in combined.commitments.all():
        form = None
        if can_proceed(commitment.supply):
            form = (bound or {}).get(commitment.pk) or CommitmentUploadForm(
                prefix=f"k{commitment.pk}"
            )
        rows.append(CommitmentRow(commitment, form))
    return rows


def _body_context(request, combined, *, bound=None, error="", commitment_forms=None) -> dict:
    cards = _cards(request, combined, bound)
    commitment_rows = _commitment_rows(combined, commitment_forms)
    derived = combined_status(card.sa.status for card in cards)
    fees = [card.sa.fee_quote_cny for card in cards if card.sa.fee_quote_cny is not None]
    paid = sum((card.fee.paid_cny for card in cards if card.fee), Decimal("0.00"))
    outstanding = sum(
        (card.fee.outstanding_cny for card in cards if card.fee and card.fee.outstanding_cny),
        Decimal("0.00"),
    )
    return {
        "combined": combined,
        "cards": cards,
        "derived": derived,
        "derived_label": CombinedStatus(derived).label,
        "derived_tone": COMBINED_TONE[derived],
        "fee_total": sum(fees) if fees else None,
        "fee_paid": paid,
        "fee_outstanding": outstanding,
        "fee_cards": [card for card in cards if card.fee and card.fee.status != FeeStatus.NONE],
        "clock": combined_clock(card.clock for card in cards),
        "expected": request_expected_completion(card.expected for card in cards),
        "commitments": commitment_rows,
        "package_ready": package_ready(card.sa.status for card in cards),
        "packages": list(combined.decision_packages.all()),
        "can_withdraw_all": any("withdraw" in card.actions for card in cards),
        "error": error,
        "identity": company_verification(organization=request.applicant),
        "ServiceStatus": ServiceStatus,
        "PermitStatus": PermitStatus,
    }


def _part(request, combined, **body) -> dict:
    """What the page shows of the request: its title and its rendered body (HTML)."""
    html = render_to_string(
        "applications/_request_body.html", _body_context(request, combined, **body), request
    )
    return {"title": str(combined), "body": html}


def _page(request, part: dict, *, status=200, error_links=()) -> HttpResponse:
    """The page around its body: the layout, this reader's messages and the error summary."""
    context = {**part, "error_links": list(error_links)}
    return render(request, "applications/request_detail.html", context, status=status)


def _render(request, combined, *, bound=None, status=200, error="", commitment_forms=None):
    """The page with forms that came back or a service's message: rendered afresh."""
    part = _part(request, combined, bound=bound, error=error, commitment_forms=commitment_forms)
    # A form that came back, or input refused without one (200); a conflict (409) is no
    # error of the person's input.
    links = error_summary(
        *(form for forms in (bound or {}).values() for form in forms.values()),
        *(commitment_forms or {}).values(),
        messages=[error] if status == HTTPStatus.OK else [],
    )
    return _page(request, part, status=status, error_links=links)


@require_GET
@applicant_required
def request_detail(request: HttpRequest, uuid) -> HttpResponse:
    """Served whole from the cache while none of the rows it shows changed
    (core/page_cache.py): two queries then, beside signing in."""
    return cached_page(
        request,
        name="tracking",
        version=lambda: tracking_page_version(
            organization=request.applicant, user=request.user, uuid=uuid
        ),
        render=lambda: _page(request, _part(request, _combined(request, uuid))),
    )


def _service(combined: CombinedApplication, sa_uuid) -> ServiceApplication:
    for sa in combined.services.all():
        if str(sa.uuid) == str(sa_uuid):
            return sa
    raise Http404


def _error_page(request: HttpRequest, message: str, status: int, /, uuid, **kwargs) -> HttpResponse:
    """The request's page again, the service's message above the timeline."""
    return _render(request, _combined(request, uuid), status=status, error=message)


@require_POST
@applicant_required
@maps_domain_errors(_error_page)
def service_action(request: HttpRequest, uuid, sa_uuid, action: str) -> HttpResponse:
    """Confirm a plan and its fee, or withdraw one utility."""
    if action not in ("confirm_plan", "withdraw"):
        raise Http404
    combined = _combined(request, uuid)
    sa = _service(combined, sa_uuid)
    if action == "confirm_plan":
        form = CommentForm(request.POST, prefix=f"c{sa.pk}")
    else:
        form = WithdrawForm(request.POST, prefix=f"w{sa.pk}")
    if not form.is_valid():
        return _render(request, combined, bound={sa.pk: {action: form}})
    data = {"reason": form.cleaned_data["reason"]} if action == "withdraw" else {}
    try:
        service_application_transition(
            actor=request.user,
            service_application=sa,
            transition=action,
            data=data,
            comment=form.cleaned_data.get("comment", ""),
        )
    except ValidationError as exc:
        errors_to_form(form, exc)
        return _render(request, combined, bound={sa.pk: {action: form}})
    done = {
        "confirm_plan": _("Plan and fee confirmed for %(utility)s."),
        "withdraw": _("%(utility)s withdrawn."),
    }[action]
    messages.success(request, done % {"utility": sa.get_utility_display()})
    return redirect("applications:request_detail", uuid=combined.uuid)


@require_POST
@applicant_required
@maps_domain_errors(_error_page)
def commitment_upload(request: HttpRequest, uuid, commitment_uuid) -> HttpResponse:
    """The applicant supplies the document a commitment (承诺制) promised; it goes to the
    agency that verifies it."""
    combined = _combined(request, uuid)
    commitment = next(
        (c for c in combined.commitments.all() if str(c.uuid) == str(commitment_uuid)), None
    )
    if commitment is None:
        raise Http404
    form = CommitmentUploadForm(request.POST, request.FILES, prefix=f"k{commitment.pk}")
    if form.is_valid():
        try:
            commitment_supply(
                actor=request.user, commitment=commitment, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(document)s uploaded: the agency that issues it will now verify it.")
                % {"document": commitment.get_doc_type_display()},
            )
            return redirect("applications:request_detail", uuid=combined.uuid)
    # A form sent back with its errors is a page like any other (200).
    return _render(request, combined, commitment_forms={commitment.pk: form})


@require_POST
@applicant_required
@maps_domain_errors(_error_page)
def request_withdraw(request: HttpRequest, uuid) -> HttpResponse:
    combined = _combined(request, uuid)
    form = WithdrawForm(request.POST, prefix="all")
    if not form.is_valid():
        return _render(request, combined)
    withdrawn = combined_application_withdraw(
        actor=request.user, combined=combined, reason=form.cleaned_data["reason"]
    )
    count = len(withdrawn)
    messages.success(
        request,
        ngettext("%(n)s utility withdrawn.", "%(n)s utilities withdrawn.", count) % {"n": count},
    )
    return redirect("applications:request_detail", uuid=combined.uuid)


@require_POST
@applicant_required
@maps_domain_errors(_error_page)
def service_rate(request: HttpRequest, uuid, sa_uuid) -> HttpResponse:
    combined = _combined(request, uuid)
    sa = _service(combined, sa_uuid)
    form = RatingForm(request.POST, prefix=f"r{sa.pk}")
    if form.is_valid():
        try:
            service_application_rate(
                actor=request.user, service_application=sa, **form.cleaned_data
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Thank you for rating %(utility)s.") % {"utility": sa.get_utility_display()},
            )
            return redirect("applications:request_detail", uuid=combined.uuid)
    return _render(request, combined, bound={sa.pk: {"rate": form}})


@require_http_methods(["GET", "POST"])
@applicant_required
@maps_domain_errors()
def service_correct(request: HttpRequest, uuid, sa_uuid) -> HttpResponse:
    """补正: the reason, this utility's details and documents; resubmit only this utility."""
    combined = _combined(request, uuid)
    sa = _service(combined, sa_uuid)
    if sa.status != ServiceStatus.RETURNED:
        messages.info(request, _("This utility is not waiting for a correction."))
        return redirect("applications:request_detail", uuid=combined.uuid)
    spec = UTILITIES[sa.utility]
    form = CorrectionForm(request.POST or None)
    details = details_form(sa.utility, data=request.POST or None, initial=sa.details)
    current = {link.doc_type: link.document for link in sa.document_links.all()}
    doc_errors: dict[str, list[str]] = {}
    documents: dict = {}  # uploaded with this form, kept when it comes back with errors
    if request.method == "POST":
        valid = form.is_valid() & details.is_valid()
        kept = {
            doc_type: request.POST.get(f"kept-{doc_type}", "")
            for doc_type in spec.documents
            if request.POST.get(f"kept-{doc_type}") and not request.POST.get(f"remove-{doc_type}")
        }
        if kept:
            mine = documents_for_applicant(organization=request.applicant).filter(
                uuid__in=[u for u in kept.values() if _is_uuid(u)]
            )
            by_uuid = {str(d.uuid): d for d in mine}
            for doc_type, kept_uuid in kept.items():
                if kept_uuid in by_uuid and by_uuid[kept_uuid].doc_type == doc_type:
                    documents[doc_type] = by_uuid[kept_uuid]
        for doc_type in spec.documents:
            upload = request.FILES.get(f"file-{doc_type}")
            if upload is None:
                continue
            try:
                documents[doc_type] = document_store(
                    actor=request.user, owner=request.applicant, doc_type=doc_type, upload=upload
                )
            except ValidationError as exc:
                doc_errors[doc_type] = exc.messages
        if valid and not doc_errors:
            try:
                service_application_correct(
                    actor=request.user,
                    service_application=sa,
                    details=raw_details(request.POST, sa.utility),
                    documents=documents,
                    comment=form.cleaned_data["comment"],
                )
            except (ValidationError, IllegalTransition) as exc:
                rest = errors_to_form(details, exc, prefix="details.")
                for key, msgs in rest.items():
                    head, _dot, name = key.partition(".")
                    if head == "documents":
                        doc_errors[name] = msgs
                    else:
                        form.add_error(None, msgs)
            else:
                messages.success(
                    request,
                    _("%(utility)s resubmitted with your corrections.")
                    % {"utility": sa.get_utility_display()},
                )
                return redirect("applications:request_detail", uuid=combined.uuid)
    rows = document_rows(chosen=current, commitments=set(), library=[], only=list(spec.documents))
    links = error_links(form) + error_links(details)
    for row in rows:
        row.errors = doc_errors.get(row.doc_type, [])
        row.uploaded = documents.get(row.doc_type)
        links += [ErrorLink(labelled(row.label, e), f"#file-{row.doc_type}") for e in row.errors]
    context = {
        "combined": combined,
        "sa": sa,
        "form": form,
        "details": details,
        "rows": rows,
        "error_links": links,
        "max_bytes": settings.DOCUMENT_MAX_BYTES,
    }
    # A form sent back with its errors is a page like any other (200), not a failed request.
    return render(request, "applications/service_correct.html", context)


@require_GET
@applicant_required
def documents_library(request: HttpRequest) -> HttpResponse:
    documents = documents_for_applicant(organization=request.applicant)
    return render(request, "applications/documents.html", {"documents": documents})


def _is_uuid(value: str) -> bool:
    try:
        uuid_lib.UUID(value)
    except ValueError:
        return False
    return True
