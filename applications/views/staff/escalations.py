"""The escalations inbox: open, acknowledged, resolved."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import IllegalTransition

from ...constants import (
    EscalationStatus,
    ServiceStatus,
)
from ...selectors_staff import (
    escalation_for_staff,
    escalations_for_staff,
)
from ...services import (
    escalation_acknowledge,
    escalation_resolve,
)
from ...workflow import ESCALATION, input_max_length
from .common import _page, problem, staff_required

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


def _escalation_action(request: HttpRequest, uuid, action: Callable[..., object]) -> HttpResponse:
    escalation = escalation_for_staff(scope=request.staff_scope, uuid=uuid)
    if escalation is None:
        raise Http404
    back = reverse("staff:escalations") + f"?status={escalation.status}"
    try:
        action(escalation)
    except IllegalTransition as exc:
        return problem(request, exc.message, back=back, status=409)
    except ValidationError as exc:
        return problem(request, " ".join(exc.messages), back=back, status=400)
    return redirect(back)


@require_POST
@staff_required
def escalation_ack(request: HttpRequest, uuid) -> HttpResponse:
    def act(escalation):
        escalation_acknowledge(actor=request.user, escalation=escalation)
        messages.success(request, _("Escalation acknowledged."))

    return _escalation_action(request, uuid, act)


@require_POST
@staff_required
def escalation_res(request: HttpRequest, uuid) -> HttpResponse:
    def act(escalation):
        escalation_resolve(
            actor=request.user,
            escalation=escalation,
            note=request.POST.get("note", "")[:_NOTE_MAX_LENGTH],
        )
        messages.success(request, _("Escalation resolved."))

    return _escalation_action(request, uuid, act)
