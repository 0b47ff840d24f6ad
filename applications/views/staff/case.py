"""The case page: the utilities side by side and the transitions the caller may perform."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.forms import error_summary
from core.web import errors_to_form
from workgroups.access_log import record_access
from workgroups.constants import AccessKind

from ...case_clock import CaseClock, permit_working_days, service_clock
from ...clock import working_days_left, working_days_used
from ...constants import Party, PaymentSource, PermitStatus, ServiceStatus
from ...extensions import case_panels
from ...models import ServiceApplication
from ...registry import UTILITIES
from ...selectors.common import FeeStanding, combined_status, fee_standing, payment_allowed
from ...selectors.joint_works import joint_works_candidates_for_project, joint_works_for_case
from ...selectors.staff import (
    case_documents_open,
    case_for_staff,
    permit_for_agency,
    service_for_staff,
)
from ...services import fee_payment_record, permit_request_decide, service_application_transition
from ...transition_inputs import PaymentInput
from ...workflow import (
    COMMENT_MAX_LENGTH,
    COUNTER_VISIT,
    LEAD_REVIEW,
    PERMIT,
    PERMIT_DECISIONS,
    SERVICE,
    permissions_of,
    transitions_available,
)
from .common import IMAGE_TYPES, staff_errors, staff_required


@dataclass
class Column:
    """One utility of the case, as the case page shows it."""

    sa: ServiceApplication
    working_days: int
    clock: CaseClock
    days_left: int | None = None
    permit_days: dict[int, int] = field(default_factory=dict)
    details: list[tuple[str, str]] = field(default_factory=list)
    documents_open: bool = False
    actions: list[tuple[str, str, Form | None]] = field(default_factory=list)
    # Recording a counter visit is rare (zero by design): offered apart from the moves.
    visit: tuple[str, str, Form | None] | None = None
    # What the layers above show for this utility (its referrals up: coordination).
    panels: list = field(default_factory=list)
    fee: FeeStanding | None = None
    # Marking the fee paid from the operator's receipt (the operator's staff only).
    payment_form: Form | None = None

    @property
    def days_overdue(self) -> int:
        """Working days past the deadline (0 when not overdue or no clock runs)."""
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def _details_display(sa: ServiceApplication) -> list[tuple[str, str]]:
    """What the applicant stated, with the registry form's labels and choice names."""
    fields = UTILITIES[sa.utility].details_form().fields
    rows = []
    for name, value in sa.details.items():
        form_field = fields.get(name)
        if form_field is None:
            continue
        choices = dict(getattr(form_field, "choices", ()) or ())
        values = value if isinstance(value, list) else [value]
        if isinstance(value, bool):
            shown = _("Yes") if value else _("No")
        else:
            shown = ", ".join(str(choices.get(v, v)) for v in values)
        rows.append((str(form_field.label), shown))
    return rows


def _transition_form(sa: ServiceApplication, name: str, data=None) -> Form | None:
    return SERVICE.form(name, sa, data=data, prefix=f"t{sa.pk}-{name}")


def _render_case(
    request: HttpRequest,
    uuid,
    *,
    failed: tuple[int, str, Form] | None = None,
    error: str = "",
    status: int = 200,
    payment: tuple[int, Form] | None = None,
) -> HttpResponse:
    combined = case_for_staff(user=request.user, scope=request.staff_scope, uuid=uuid)
    if combined is None:
        raise Http404
    services = list(combined.services.all())
    # The page shows the applicant's contact and every utility's details: one read of each.
    record_access(
        request,
        kind=AccessKind.CASE,
        subjects=[sa.uuid for sa in services],
        cases=[(combined.uuid, combined.reference or "")],
    )
    perms = permissions_of(request.user, services)
    documents_open = case_documents_open(
        user=request.user, services=services, scope=request.staff_scope, perms=perms
    )
    now = timezone.now()
    panels = case_panels(request, services)
    columns = []
    for sa in services:
        column = Column(
            sa=sa,
            working_days=working_days_used(sa, now=now),
            clock=service_clock(sa, sa.history.all(), now=now),
            days_left=working_days_left(sa, now=now),
            permit_days={p.pk: permit_working_days(p, now=now) for p in sa.permits.all()},
            details=_details_display(sa),
            documents_open=sa.pk in documents_open,
            panels=panels.get(sa.pk, []),
            fee=fee_standing(sa),
        )
        if payment_allowed(sa, perms):
            column.payment_form = (
                payment[1]
                if payment and payment[0] == sa.pk
                else PaymentInput(prefix=_payment_prefix(sa))
            )
        for name in transitions_available(actor=request.user, obj=sa, perms=perms):
            if failed and failed[0] == sa.pk and failed[1] == name:
                form = failed[2]
            else:
                form = _transition_form(sa, name)
            if name == COUNTER_VISIT:
                column.visit = (name, SERVICE[name].button, form)
            else:
                column.actions.append((name, SERVICE[name].button, form))
        columns.append(column)
    escalations = sorted(
        (e for sa in services for e in sa.escalations.all()),
        key=lambda e: e.opened_at,
        reverse=True,
    )
    joint_works = joint_works_for_case(user=request.user, services=services)
    may_propose = any(perms.has(LEAD_REVIEW, sa) for sa in services)
    return render(
        request,
        "staff/case.html",
        {
            "joint_works": joint_works,
            "joint_works_offer": may_propose
            and len(joint_works_candidates_for_project(project=combined.project)) >= 2,
            "combined": combined,
            "derived": combined_status(sa.status for sa in services),
            "columns": columns,
            "escalations": escalations,
            "commitments": list(combined.commitments.all()),
            "image_types": IMAGE_TYPES,
            "error": error,
            "error_links": error_summary(failed[2] if failed else None, messages=[error]),
            "staff_section": "queue",
            # Permit states share the history column with the application's states.
            "status_labels": {**dict(PermitStatus.choices), **dict(ServiceStatus.choices)},
            "party_labels": dict(Party.choices),
        },
    )


@require_GET
@staff_required
def case(request: HttpRequest, uuid) -> HttpResponse:
    return _render_case(request, uuid)


def _unprefixed(post: QueryDict, prefix: str) -> QueryDict:
    data = QueryDict(mutable=True)
    for key in post:
        if key.startswith(prefix + "-"):
            data.setlist(key[len(prefix) + 1 :], post.getlist(key))
    return data


def _case_url(request: HttpRequest, uuid, **kwargs) -> str:
    return reverse("staff:case", args=[uuid])


def _permits_url(request: HttpRequest, **kwargs) -> str:
    return reverse("staff:queue") + "?tab=permits"


@require_POST
@staff_required
@staff_errors(back=_case_url)
def case_transition(request: HttpRequest, uuid, sa_uuid, name: str) -> HttpResponse:
    sa = service_for_staff(
        user=request.user, scope=request.staff_scope, combined_uuid=uuid, uuid=sa_uuid
    )
    if sa is None or name not in SERVICE or SERVICE[name].system_only:
        raise Http404  # no such button on this page
    prefix = f"t{sa.pk}-{name}"
    try:
        service_application_transition(
            actor=request.user,
            service_application=sa,
            transition=name,
            data=_unprefixed(request.POST, prefix),
            comment=request.POST.get(f"{prefix}-comment", "")[:COMMENT_MAX_LENGTH],
        )
    except ValidationError as exc:
        form = _transition_form(sa, name, data=request.POST)
        if form is None:
            return _render_case(
                request,
                uuid,
                error=" ".join(exc.messages),
            )
        # Errors the form itself finds are shown by it; the service's others go beside it.
        rest = errors_to_form(form, exc) if form.is_valid() else {}
        error = " ".join(message for messages in rest.values() for message in messages)
        return _render_case(
            request,
            uuid,
            failed=(sa.pk, name, form),
            error=error,
        )
    messages.success(
        request,
        _("%(action)s: done for %(utility)s.")
        % {"action": SERVICE[name].button, "utility": sa.get_utility_display()},
    )
    return redirect("staff:case", uuid=uuid)


def _payment_prefix(sa: ServiceApplication) -> str:
    return f"pay{sa.pk}"


@require_POST
@staff_required
@staff_errors(back=_case_url)
def case_payment(request: HttpRequest, uuid, sa_uuid) -> HttpResponse:
    """Mark the fee (partly) paid from the operator's receipt."""
    sa = service_for_staff(
        user=request.user, scope=request.staff_scope, combined_uuid=uuid, uuid=sa_uuid
    )
    if sa is None:
        raise Http404
    prefix = _payment_prefix(sa)
    try:
        result = fee_payment_record(
            actor=request.user,
            service_application=sa,
            data=_unprefixed(request.POST, prefix),
            source=PaymentSource.STAFF,
        )
    except ValidationError as exc:
        form = PaymentInput(request.POST, prefix=prefix)
        errors_to_form(form, exc)
        return _render_case(request, uuid, payment=(sa.pk, form))
    done = (
        _("Payment recorded for %(utility)s (receipt %(receipt)s).")
        if result.created
        else _("Receipt %(receipt)s was already recorded for %(utility)s.")
    )
    messages.success(
        request,
        done % {"utility": sa.get_utility_display(), "receipt": result.payment.receipt_number},
    )
    return redirect("staff:case", uuid=uuid)


@require_POST
@staff_required
@staff_errors(back=_permits_url)
def permit_decide(request: HttpRequest, uuid, decision: str) -> HttpResponse:
    permit = permit_for_agency(scope=request.staff_scope, uuid=uuid)
    if permit is None or decision not in PERMIT_DECISIONS:
        raise Http404
    permit_request_decide(
        actor=request.user,
        permit_request=permit,
        decision=decision,
        data={"reason": request.POST.get("reason", "")},
    )
    messages.success(
        request,
        _("%(decision)s: %(permit)s.")
        % {
            "decision": PERMIT[decision].button,
            "permit": permit.get_permit_type_display(),
        },
    )
    return redirect(_permits_url(request))
