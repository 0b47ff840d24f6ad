"""Coordination meetings (联动协调会议) on the staff site: the list, scheduling with the pre-filled
agenda, one meeting's page (agenda editing, minutes, action items, the moves the caller may
make, the minutes as PDF and Word), and the action items' queue and pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.views.staff.common import staff_errors
from core.errors import ValidationError
from core.forms import error_summary
from core.web import errors_to_form
from workgroups.models import Workgroup

from ..clock import working_days_left
from ..constants import AGENDA_EDITABLE, MeetingStatus
from ..exports import minutes_docx, minutes_pdf
from ..forms import ActionItemForm, AgendaAddForm, MeetingForm
from ..models import ActionItem, Meeting
from ..selectors.meetings import (
    action_item_for_staff,
    action_item_queue,
    invitable_organizations,
    managed_meeting_ids,
    meeting_for_staff,
    meeting_list,
    meeting_scope,
)
from ..services import (
    ActionItemInput,
    MeetingInput,
    action_item_add,
    action_item_transition,
    meeting_agenda_edit,
    meeting_schedule,
    meeting_transition,
)
from ..services.meetings import AGENDA_ACTIONS
from ..workflow import (
    ACTION_ITEM,
    COMMENT_MAX_LENGTH,
    MEETING,
    TierHolding,
    action_item_history_label,
    meeting_history_label,
)
from .staff import _escalation_moves, _page, _prefixed

MEETING_STATES = ("upcoming", "past", "all")
ACTION_STATES = ("open", "mine", "referred", "closed", "all")


def meeting_staff_required(view: Callable) -> Callable:
    """Signed in and a member of an organisation other than an applicant company (agencies,
    operators, towns and the leadership bodies: each sees the meetings it is invited to)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        scope = meeting_scope(user=request.user)
        if not scope.is_staff:
            return render(request, "staff/not_staff.html", status=403)
        request.meeting_scope = scope
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@meeting_staff_required
def meeting_list_page(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "upcoming")
    state = state if state in MEETING_STATES else "upcoming"
    page = _page(request, meeting_list(user=request.user, scope=request.meeting_scope, state=state))
    managed = managed_meeting_ids(user=request.user, meeting_ids=[m.pk for m in page])
    return render(
        request,
        "staff/meetings.html",
        {
            "page": page,
            "rows": [(m, m.pk in managed) for m in page],
            "state": state,
            "states": MEETING_STATES,
            "querystring": f"state={state}",
            "may_convene": request.meeting_scope.may_convene,
            "staff_section": "meetings",
        },
    )


def _convenable(scope) -> tuple:
    workgroups = Workgroup.objects.order_by("pk")
    if not (scope.office_ids or scope.superuser):
        workgroups = workgroups.filter(pk__in=scope.lead_workgroup_ids)
    return workgroups, bool(scope.office_ids or scope.superuser)


@require_http_methods(["GET", "POST"])
@meeting_staff_required
@staff_errors(back=lambda request, **kw: reverse("staff:meetings"))
def meeting_new(request: HttpRequest) -> HttpResponse:
    scope = request.meeting_scope
    if not scope.may_convene:
        return render(request, "staff/not_staff.html", status=403)
    workgroups, across = _convenable(scope)
    form = MeetingForm(
        request.POST or None,
        workgroups=workgroups,
        organizations=invitable_organizations(),
        across=across,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = meeting_schedule(
                actor=request.user,
                data=MeetingInput(
                    title=data["title"],
                    starts_at=data["starts_at"],
                    place=data["place"],
                    workgroup=data["workgroup"],
                    invited=list(data["invited"]),
                ),
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("The meeting is scheduled; its agenda is pre-filled."))
            return redirect("staff:meeting", uuid=meeting.uuid)
    return render(
        request,
        "staff/meeting_new.html",
        {"form": form, "staff_section": "meetings", "error_links": error_summary(form)},
    )


def _meeting(request: HttpRequest, uuid) -> Meeting:
    meeting = meeting_for_staff(user=request.user, scope=request.meeting_scope, uuid=uuid)
    if meeting is None:
        raise Http404
    return meeting


def _action_form(meeting: Meeting, data=None) -> ActionItemForm:
    return ActionItemForm(
        data,
        prefix="action",
        organizations=invitable_organizations(),
        workgroups=Workgroup.objects.order_by("pk"),
    )


def _render_meeting(
    request: HttpRequest,
    meeting: Meeting,
    *,
    failed: tuple[str, Form] | None = None,
) -> HttpResponse:
    manages = bool(managed_meeting_ids(user=request.user, meeting_ids=[meeting.pk]))
    actions = []
    for name in MEETING.available(request.user, meeting):
        form = (
            failed[1] if failed and failed[0] == name else MEETING.form(name, meeting, prefix=name)
        )
        if name == "hold" and form is not None and not form.is_bound:
            form.initial = {"minutes": meeting.minutes, "decisions": meeting.decisions}
        actions.append((name, MEETING[name].button, form))
    now = timezone.now()
    return render(
        request,
        "staff/meeting.html",
        {
            "meeting": meeting,
            "manages": manages,
            "agenda_editable": manages and meeting.status in AGENDA_EDITABLE,
            "agenda_form": failed[1] if failed and failed[0] == "agenda" else AgendaAddForm(),
            "actions": actions,
            "action_form": (
                failed[1] if failed and failed[0] == "action_item" else _action_form(meeting)
            )
            if manages and meeting.status == MeetingStatus.HELD
            else None,
            "action_items": [
                (item, working_days_left(item.due_at, now=now))
                for item in meeting.action_items.all()
            ],
            "decisions": [d for d in meeting.decisions.splitlines() if d.strip()],
            "history": [(e, meeting_history_label(e)) for e in meeting.history.all()],
            "staff_section": "meetings",
            "error_links": error_summary(failed[1] if failed else None),
        },
    )


@require_GET
@meeting_staff_required
def meeting_page(request: HttpRequest, uuid) -> HttpResponse:
    return _render_meeting(request, _meeting(request, uuid))


def _meeting_url(request: HttpRequest, uuid, **kwargs) -> str:
    return reverse("staff:meeting", args=[uuid])


@require_POST
@meeting_staff_required
@staff_errors(back=_meeting_url)
def meeting_act(request: HttpRequest, uuid, name: str) -> HttpResponse:
    meeting = _meeting(request, uuid)
    if name not in MEETING:
        raise Http404
    try:
        meeting_transition(
            actor=request.user, meeting=meeting, transition=name, data=_prefixed(request.POST, name)
        )
    except ValidationError as exc:
        form = MEETING.form(name, meeting, data=request.POST, prefix=name)
        if form is not None and form.is_valid():
            errors_to_form(form, exc)
        return _render_meeting(request, meeting, failed=(name, form))  # type: ignore[arg-type]
    messages.success(request, _("%(action)s: done.") % {"action": MEETING[name].button})
    return redirect("staff:meeting", uuid=uuid)


@require_POST
@meeting_staff_required
@staff_errors(back=_meeting_url)
def meeting_agenda(request: HttpRequest, uuid, action: str) -> HttpResponse:
    meeting = _meeting(request, uuid)
    if action not in AGENDA_ACTIONS:
        raise Http404
    try:
        item_id = int(request.POST.get("item", "0") or 0)
    except ValueError:
        item_id = 0
    form = AgendaAddForm(request.POST if action == "add" else None)
    if action == "add" and not form.is_valid():
        return _render_meeting(request, meeting, failed=("agenda", form))
    try:
        meeting_agenda_edit(
            actor=request.user,
            meeting=meeting,
            action=action,
            item_id=item_id,
            text=form.cleaned_data["text"] if action == "add" else "",
        )
    except ValidationError as exc:
        errors_to_form(form, exc)
        return _render_meeting(request, meeting, failed=("agenda", form))
    return redirect(reverse("staff:meeting", args=[uuid]) + "#agenda")


@require_POST
@meeting_staff_required
@staff_errors(back=_meeting_url)
def meeting_action_item_add(request: HttpRequest, uuid) -> HttpResponse:
    meeting = _meeting(request, uuid)
    form = _action_form(meeting, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            action_item_add(
                actor=request.user,
                meeting=meeting,
                data=ActionItemInput(
                    description=data["description"],
                    owner=data["owner"],
                    due_day=data["due_day"],
                    workgroup=data["workgroup"],
                ),
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("The action item is recorded and its owner told."))
            return redirect(reverse("staff:meeting", args=[uuid]) + "#action-items")
    return _render_meeting(request, meeting, failed=("action_item", form))


@require_GET
@meeting_staff_required
def meeting_minutes(request: HttpRequest, uuid, fmt: str) -> HttpResponse:
    meeting = _meeting(request, uuid)
    stem = f"minutes-{meeting.starts_at:%Y%m%d}-{str(meeting.uuid)[:8]}"
    if fmt == "pdf":
        response = HttpResponse(minutes_pdf(meeting), content_type="application/pdf")
    elif fmt == "docx":
        response = HttpResponse(
            minutes_docx(meeting),
            content_type=(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            ),
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


# --- Action items --------------------------------------------------------------------------------


@require_GET
@meeting_staff_required
def action_item_queue_page(request: HttpRequest) -> HttpResponse:
    scope = request.meeting_scope
    state = request.GET.get("state", "open")
    state = state if state in ACTION_STATES else "open"
    now = timezone.now()
    page = _page(request, action_item_queue(user=request.user, scope=scope, state=state))
    return render(
        request,
        "staff/action_items.html",
        {
            "page": page,
            "rows": [(item, working_days_left(item.due_at, now=now)) for item in page],
            "state": state,
            "querystring": f"state={state}",
            "read_only": scope.oversight,
            "staff_section": "meetings",
        },
    )


def _action_item(request: HttpRequest, uuid) -> ActionItem:
    item = action_item_for_staff(user=request.user, scope=request.meeting_scope, uuid=uuid)
    if item is None:
        raise Http404
    return item


def _render_action_item(
    request: HttpRequest,
    item: ActionItem,
    *,
    failed: tuple[str, Form] | None = None,
) -> HttpResponse:
    actions = []
    for name in ACTION_ITEM.available(request.user, item):
        form = (
            failed[1] if failed and failed[0] == name else ACTION_ITEM.form(name, item, prefix=name)
        )
        actions.append((name, ACTION_ITEM[name].button, form))
    holding = TierHolding(request.user)
    return render(
        request,
        "staff/action_item.html",
        {
            "item": item,
            "actions": actions,
            "history": [(e, action_item_history_label(e)) for e in item.history.all()],
            "escalations": [
                (e, _escalation_moves(request, e, holding)) for e in item.escalations.all()
            ],
            "days_left": working_days_left(item.due_at, now=timezone.now()),
            "comment_max_length": COMMENT_MAX_LENGTH,
            "staff_section": "meetings",
            "error_links": error_summary(failed[1] if failed else None),
        },
    )


@require_GET
@meeting_staff_required
def action_item_page(request: HttpRequest, uuid) -> HttpResponse:
    return _render_action_item(request, _action_item(request, uuid))


def _action_item_url(request: HttpRequest, uuid, **kwargs) -> str:
    return reverse("staff:action_item", args=[uuid])


@require_POST
@meeting_staff_required
@staff_errors(back=_action_item_url)
def action_item_act(request: HttpRequest, uuid, name: str) -> HttpResponse:
    item = _action_item(request, uuid)
    if name not in ACTION_ITEM:
        raise Http404
    try:
        action_item_transition(
            actor=request.user,
            action_item=item,
            transition=name,
            data=_prefixed(request.POST, name),
        )
    except ValidationError as exc:
        form = ACTION_ITEM.form(name, item, data=request.POST, prefix=name)
        if form is not None and form.is_valid():
            errors_to_form(form, exc)
        return _render_action_item(request, item, failed=(name, form))  # type: ignore[arg-type]
    messages.success(request, _("%(action)s: done.") % {"action": ACTION_ITEM[name].button})
    return redirect("staff:action_item", uuid=uuid)
