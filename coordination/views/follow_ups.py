"""Follow-ups of bad ratings (回访): the workgroup's queue and one follow-up's page on the staff
site (record the call, then the cause and the fix), and the applicant's second rating from the
tracking page (the panel is added to that page through applications.extensions)."""

from __future__ import annotations

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications.models import ServiceApplication
from applications.selectors.applicant import combined_application_tracking
from applications.views.common import applicant_required
from applications.views.staff.common import staff_errors
from core.errors import DomainError, ValidationError
from core.forms import error_summary
from core.web import errors_to_form, maps_domain_errors

from ..clock import working_days_left
from ..constants import FollowUpStatus
from ..models import FollowUp
from ..registry import FOLLOW_UP_LIMITS
from ..selectors.staff import follow_up_for_staff, follow_up_queue
from ..services import follow_up_transition
from ..workflow import (
    COMMENT_MAX_LENGTH,
    FOLLOW_UP,
    FOLLOW_UP_STAFF_ACTIONS,
    TierHolding,
    follow_up_history_label,
)
from .staff import _escalation_moves, _page, _prefixed, demand_staff_required

STATES = ("open", "closed", "all")


@require_GET
@demand_staff_required
def follow_up_queue_page(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    state = state if state in STATES else "open"
    now = timezone.now()
    page = _page(request, follow_up_queue(scope=request.demand_scope, state=state))
    return render(
        request,
        "staff/follow_ups.html",
        {
            "page": page,
            "rows": [(f, working_days_left(f.due_at, now=now)) for f in page],
            "state": state,
            "querystring": f"state={state}",
            "read_only": request.demand_scope.oversight,
            "staff_section": "follow_ups",
        },
    )


def _follow_up(request: HttpRequest, uuid) -> FollowUp:
    follow_up = follow_up_for_staff(scope=request.demand_scope, uuid=uuid)
    if follow_up is None:
        raise Http404
    return follow_up


def _render(
    request: HttpRequest,
    follow_up: FollowUp,
    *,
    failed: tuple[str, Form] | None = None,
) -> HttpResponse:
    actions = []
    for name in FOLLOW_UP.available(request.user, follow_up):
        if name not in FOLLOW_UP_STAFF_ACTIONS:
            continue
        form = (
            failed[1]
            if failed and failed[0] == name
            else FOLLOW_UP.form(name, follow_up, prefix=name)
        )
        actions.append((name, FOLLOW_UP[name].button, form))
    holding = TierHolding(request.user)
    limit = FOLLOW_UP_LIMITS.get(follow_up.status)
    return render(
        request,
        "staff/follow_up.html",
        {
            "follow_up": follow_up,
            "sa": follow_up.service_application,
            "history": [(e, follow_up_history_label(e)) for e in follow_up.history.all()],
            "actions": actions,
            "escalations": [
                (e, _escalation_moves(request, e, holding)) for e in follow_up.escalations.all()
            ],
            "deadline_for": limit.what if limit else "",
            "days_left": working_days_left(follow_up.due_at, now=timezone.now()),
            "comment_max_length": COMMENT_MAX_LENGTH,
            "back": "",
            "staff_section": "follow_ups",
            "error_links": error_summary(failed[1] if failed else None),
        },
    )


@require_GET
@demand_staff_required
def follow_up_page(request: HttpRequest, uuid) -> HttpResponse:
    return _render(request, _follow_up(request, uuid))


def _back(request: HttpRequest, uuid, **kwargs) -> str:
    return reverse("staff:follow_up", args=[uuid])


@require_POST
@demand_staff_required
@staff_errors(back=_back)
def follow_up_act(request: HttpRequest, uuid, name: str) -> HttpResponse:
    follow_up = _follow_up(request, uuid)
    if name not in FOLLOW_UP_STAFF_ACTIONS:
        raise Http404
    try:
        follow_up_transition(
            actor=request.user,
            follow_up=follow_up,
            transition=name,
            data=_prefixed(request.POST, name),
        )
    except ValidationError as exc:
        form = FOLLOW_UP.form(name, follow_up, data=request.POST, prefix=name)
        if form is not None and form.is_valid():
            errors_to_form(form, exc)
        return _render(request, follow_up, failed=(name, form))  # type: ignore[arg-type]
    messages.success(request, _("%(action)s: done.") % {"action": FOLLOW_UP[name].button})
    return redirect("staff:follow_up", uuid=uuid)


# --- The applicant ------------------------------------------------------------------------------


def tracking_panels(request: HttpRequest, services: list[ServiceApplication]) -> dict[int, str]:
    """The follow-up of each rated utility on the applicant's tracking page: what the workgroup
    found and fixed, and the form to rate again while it waits for that."""
    found = FollowUp.objects.filter(
        service_application__in=services,
        organization_id=getattr(request, "applicant", None) and request.applicant.pk,
    ).exclude(status=FollowUpStatus.OPEN)
    panels = {}
    for follow_up in found:
        may_rate = FOLLOW_UP.may(request.user, "re_rate", follow_up) and (
            follow_up.status == FollowUpStatus.ANSWERED
        )
        panels[follow_up.service_application_id] = render_to_string(
            "coordination/_follow_up_panel.html",
            {
                "follow_up": follow_up,
                "form": FOLLOW_UP.form("re_rate", follow_up, prefix="rerate") if may_rate else None,
                "combined_uuid": services[0].combined.uuid if services else "",
            },
            request=request,
        )
    return panels


@require_POST
@applicant_required
@maps_domain_errors()
def follow_up_rate_again(request: HttpRequest, uuid, follow_up_uuid) -> HttpResponse:
    combined = get_object_or_404(
        combined_application_tracking(organization=request.applicant), uuid=uuid
    )
    follow_up = get_object_or_404(
        FollowUp,
        uuid=follow_up_uuid,
        organization=request.applicant,
        service_application__combined=combined,
    )
    data = _prefixed(request.POST, "rerate")
    try:
        follow_up_transition(
            actor=request.user, follow_up=follow_up, transition="re_rate", data=data
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("applications:request_detail", uuid=combined.uuid)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("applications:request_detail", uuid=combined.uuid)
    messages.success(request, _("Thank you: your second rating was recorded."))
    return redirect("applications:request_detail", uuid=combined.uuid)
