"""The escalations inbox: open, acknowledged, resolved."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ...constants import (
    EscalationStatus,
    ServiceStatus,
)
from ...models import Escalation
from ...selectors.staff import (
    escalation_for_staff,
    escalations_for_staff,
)
from ...services import (
    escalation_acknowledge,
    escalation_resolve,
)
from ...workflow import ESCALATION, input_max_length
from .common import _page, staff_errors, staff_required

_NOTE_MAX_LENGTH = input_max_length(ESCALATION, "note")

ESCALATION_TABS = (
    (EscalationStatus.OPEN, EscalationStatus.OPEN.label),
    (EscalationStatus.ACKNOWLEDGED, EscalationStatus.ACKNOWLEDGED.label),
    (EscalationStatus.RESOLVED, EscalationStatus.RESOLVED.label),
)


@require_GET
@staff_required
def escalations(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("status", EscalationStatus.OPEN)
    if tab not in EscalationStatus.values:
        tab = EscalationStatus.OPEN
    page = _page(request, escalations_for_staff(scope=request.staff_scope, status=tab))
    return render(
        request,
        "staff/escalations.html",
        {
            "tab": tab,
            "tabs": ESCALATION_TABS,
            "page": page,
            "staff_section": "escalations",
            "status_labels": dict(ServiceStatus.choices),
        },
    )


def _escalation(request: HttpRequest, uuid) -> Escalation:
    escalation = escalation_for_staff(scope=request.staff_scope, uuid=uuid)
    if escalation is None:
        raise Http404
    return escalation


def _tab_url(escalation: Escalation) -> str:
    """The inbox tab the escalation is listed on."""
    return reverse("staff:escalations") + f"?status={escalation.status}"


def _escalation_url(request: HttpRequest, uuid, **kwargs) -> str:
    return _tab_url(_escalation(request, uuid))


@require_POST
@staff_required
@staff_errors(back=_escalation_url)
def escalation_ack(request: HttpRequest, uuid) -> HttpResponse:
    escalation = _escalation(request, uuid)
    back = _tab_url(escalation)
    escalation_acknowledge(actor=request.user, escalation=escalation)
    messages.success(request, _("Escalation acknowledged."))
    return redirect(back)


@require_POST
@staff_required
@staff_errors(back=_escalation_url)
def escalation_res(request: HttpRequest, uuid) -> HttpResponse:
    escalation = _escalation(request, uuid)
    back = _tab_url(escalation)
    escalation_resolve(
        actor=request.user,
        escalation=escalation,
        note=request.POST.get("note", "")[:_NOTE_MAX_LENGTH],
    )
    messages.success(request, _("Escalation resolved."))
    return redirect(back)
