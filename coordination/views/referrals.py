"""Referral up of cases on the staff site: the panel the case page shows under each utility
(its referrals with their history, and the form to refer it up for the workgroup's lead
agency), and the form's view. The receiver handles a referral on /staff/referrals/."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.models import ServiceApplication
from applications.selectors.staff import visible_service_applications
from applications.views.staff.common import staff_errors, staff_required
from workgroups.constants import WorkgroupRole
from workgroups.models import WorkgroupMembership

from ..constants import EscalationStatus
from ..selectors.staff import case_referrals
from ..services import case_refer_up
from ..workflow import COMMENT_MAX_LENGTH, ReferInput, TierHolding
from .staff import _escalation_moves


def _lead_workgroups(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    return frozenset(
        WorkgroupMembership.objects.filter(
            role=WorkgroupRole.LEAD, organization__memberships__user=user
        ).values_list("workgroup_id", flat=True)
    )


def case_panels(request: HttpRequest, services: list[ServiceApplication]) -> dict[int, str]:
    """Per utility of the case page: its referrals up (every reader of the case sees them,
    the operator included), the moves the caller's tier may make on them, and the form to
    refer it up for the lead agency. A fixed number of queries whatever the utilities."""
    referrals = list(case_referrals(service_ids=[sa.pk for sa in services]))
    by_sa: dict[int, list] = {}
    holding = TierHolding(request.user) if referrals else None
    for referral in referrals:
        moves = _escalation_moves(request, referral, holding) if holding else []
        by_sa.setdefault(referral.service_application_id, []).append((referral, moves))
    leads = frozenset() if request.user.is_superuser else _lead_workgroups(request.user)
    panels = {}
    for sa in services:
        rows = by_sa.get(sa.pk, [])
        referred = any(r.status != EscalationStatus.RESOLVED for r, _m in rows)
        may_refer = not referred and (request.user.is_superuser or sa.workgroup_id in leads)
        if not rows and not may_refer:
            continue
        panels[sa.pk] = render_to_string(
            "staff/_case_referrals.html",
            {
                "sa": sa,
                "rows": rows,
                "form": ReferInput(prefix=f"r{sa.pk}") if may_refer else None,
                "comment_max_length": COMMENT_MAX_LENGTH,
            },
            request=request,
        )
    return panels


def _case_back(request: HttpRequest, sa_uuid, **kwargs) -> str:
    combined = (
        visible_service_applications(user=request.user, scope=request.staff_scope)
        .filter(uuid=sa_uuid)
        .values_list("combined__uuid", flat=True)
        .first()
    )
    return reverse("staff:case", args=[combined]) if combined else reverse("staff:queue")


@require_POST
@staff_required
@staff_errors(back=_case_back)
def case_refer_up_view(request: HttpRequest, sa_uuid) -> HttpResponse:
    sa = (
        visible_service_applications(user=request.user, scope=request.staff_scope)
        .filter(uuid=sa_uuid)
        .select_related("combined")
        .first()
    )
    if sa is None:
        raise Http404
    case_refer_up(
        actor=request.user,
        service_application=sa,
        reason=request.POST.get(f"r{sa.pk}-reason", ""),
    )
    messages.success(
        request,
        _("%(utility)s: referred to the leadership office.")
        % {"utility": sa.get_utility_display()},
    )
    return redirect(reverse("staff:case", args=[sa.combined.uuid]) + f"#u-{sa.uuid}")


__all__ = ["case_panels", "case_refer_up_view"]
