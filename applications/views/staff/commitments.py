"""The verifying agency's commitments queue (承诺制): documents fallen due or supplied, and the
agency's decision on each: accepted (the commitment kept) or the promise recorded broken."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ...constants import ServiceStatus
from ...models import Commitment
from ...selectors.commitments import (
    COMMITMENT_TABS,
    commitment_for_agency,
    commitments_for_agency,
)
from ...services import commitment_breach, commitment_verify
from ...workflow import COMMITMENT, input_max_length
from .common import _page, staff_errors, staff_required

_REASON_MAX_LENGTH = input_max_length(COMMITMENT, "reason") or 2000


@require_GET
@staff_required
def commitments(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "due")
    tab = tab if tab in COMMITMENT_TABS else "due"
    page = _page(request, commitments_for_agency(scope=request.staff_scope, tab=tab))
    return render(
        request,
        "staff/commitments.html",
        {
            "tab": tab,
            "tabs": [("due", _("Due or awaiting review")), ("decided", _("Decided"))],
            "page": page,
            "staff_section": "commitments",
            "status_labels": dict(ServiceStatus.choices),
            "verify_label": COMMITMENT["verify"].button,
            "breach_label": COMMITMENT["breach"].button,
        },
    )


def _commitment(request: HttpRequest, uuid) -> Commitment:
    commitment = commitment_for_agency(scope=request.staff_scope, uuid=uuid)
    if commitment is None:
        raise Http404
    return commitment


def _back(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("staff:commitments")


@require_POST
@staff_required
@staff_errors(back=_back)
def commitment_decide(request: HttpRequest, uuid, decision: str) -> HttpResponse:
    """Accept the supplied document, or record the commitment broken with a reason."""
    if decision not in ("verify", "breach"):
        raise Http404
    commitment = _commitment(request, uuid)
    reason = request.POST.get("reason", "")[:_REASON_MAX_LENGTH]
    if decision == "verify":
        commitment_verify(actor=request.user, commitment=commitment, reason=reason)
        messages.success(request, _("Document accepted: the commitment is kept."))
    else:
        commitment_breach(actor=request.user, commitment=commitment, reason=reason)
        messages.success(request, _("The commitment is recorded as broken."))
    return redirect("staff:commitments")
