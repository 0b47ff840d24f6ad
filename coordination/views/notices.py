"""Policy notices (政策推送): the public page (/notices/) and the lead agency's staff pages
(/staff/notices/). Files are served only through these views; a notice's video answers byte
ranges so a browser can seek in it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.constants import BusinessType, ProjectKind, ServiceStatus
from applications.templatetags.applicant_extras import localname
from applications.views.documents import private_file_response
from applications.views.staff.common import staff_errors
from core.errors import ValidationError
from core.ranges import ranged_file_response
from core.web import errors_to_form
from workgroups.models import Town, Workgroup

from ..constants import CompanyType, NoticeStatus, Utility
from ..forms import NoticeForm
from ..models import PolicyNotice
from ..selectors.notices import (
    awareness,
    lead_workgroup_ids,
    notice_for_staff,
    notices_for_staff,
    notices_read_by,
    published_notice,
    published_notices,
)
from ..services import (
    policy_notice_create,
    policy_notice_edit,
    policy_notice_read,
    policy_notice_transition,
)
from ..workflow import NOTICE, NOTICE_STAFF_ACTIONS

PAGE_SIZE = 20


# Public pages.


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = list(published_notices()[:100])
    read = notices_read_by(user=request.user) if request.user.is_authenticated else frozenset()
    return render(request, "coordination/notices.html", {"notices": notices, "read": read})


@require_GET
def notice_detail(request: HttpRequest, uuid) -> HttpResponse:
    notice = published_notice(uuid=uuid)
    if notice is None:
        raise Http404
    if request.user.is_authenticated:
        policy_notice_read(user=request.user, notice=notice)
    return render(request, "coordination/notice.html", {"notice": notice})


def _visible(request: HttpRequest, uuid) -> PolicyNotice:
    """Published, or (a preview) a notice of a workgroup the caller leads."""
    notice = published_notice(uuid=uuid)
    if notice is None and request.user.is_authenticated:
        notice = notice_for_staff(user=request.user, uuid=uuid)
    if notice is None:
        raise Http404
    return notice


def _image_response(notice: PolicyNotice) -> FileResponse:
    try:
        handle = notice.infographic.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=notice.infographic_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def notice_infographic(request: HttpRequest, uuid) -> FileResponse:
    notice = _visible(request, uuid)
    if not notice.infographic:
        raise Http404
    return _image_response(notice)


@require_http_methods(["GET", "HEAD"])
def notice_video(request: HttpRequest, uuid) -> HttpResponseBase:
    notice = _visible(request, uuid)
    if not notice.video:
        raise Http404
    try:
        handle = notice.video.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = ranged_file_response(
        request, handle, size=notice.video.size, content_type=notice.video_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def notice_attachment(request: HttpRequest, uuid, attachment_uuid) -> FileResponse:
    notice = _visible(request, uuid)
    attachment = next((a for a in notice.attachments.all() if a.uuid == attachment_uuid), None)
    if attachment is None:
        raise Http404
    return private_file_response(attachment, inline=False)


# Staff pages.


def notice_staff_required(view: Callable) -> Callable:
    """Signed in and working for the lead agency of at least one workgroup."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        workgroups = lead_workgroup_ids(user=request.user)
        if not workgroups:
            return render(request, "staff/not_staff.html", status=403)
        request.notice_workgroups = workgroups
        return view(request, *args, **kwargs)

    return wrapper


def _back(request: HttpRequest, uuid=None, **_kwargs) -> str:
    if uuid is not None:
        return reverse("staff:notice", args=[uuid])
    return reverse("staff:notices")


def _staff_notice(request: HttpRequest, uuid) -> PolicyNotice:
    notice = notice_for_staff(user=request.user, uuid=uuid)
    if notice is None:
        raise Http404
    return notice


@require_GET
@notice_staff_required
def notice_staff_list(request: HttpRequest) -> HttpResponse:
    notices = list(notices_for_staff(user=request.user)[:200])
    for notice in notices:
        notice.awareness = awareness(notice.read_count, notice.targeted_count)
    return render(request, "staff/notices.html", {"notices": notices, "staff_section": "notices"})


def _form_page(request: HttpRequest, form: NoticeForm, notice: PolicyNotice | None) -> HttpResponse:
    return render(
        request,
        "staff/notice_form.html",
        {"form": form, "notice": notice, "staff_section": "notices"},
    )


def _workgroups(request: HttpRequest):
    return Workgroup.objects.filter(pk__in=request.notice_workgroups).order_by("pk")


@require_http_methods(["GET", "POST"])
@notice_staff_required
@staff_errors(_back)
def notice_new(request: HttpRequest) -> HttpResponse:
    form = NoticeForm(request.POST or None, request.FILES or None, workgroups=_workgroups(request))
    if request.method == "POST" and form.is_valid():
        try:
            notice = policy_notice_create(actor=request.user, data=form.to_input(workgroup_id=0))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("The notice is saved as a draft."))
            return redirect("staff:notice", uuid=notice.uuid)
    return _form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@notice_staff_required
@staff_errors(_back)
def notice_edit(request: HttpRequest, uuid) -> HttpResponse:
    notice = _staff_notice(request, uuid)
    published = notice.status != NoticeStatus.DRAFT and notice.status != NoticeStatus.SCHEDULED
    initial = {
        "workgroup": notice.workgroup,
        "title": notice.title,
        "body_html": notice.body_html,
        "video_url": notice.video_url,
        "utilities": notice.utilities,
        "business_types": notice.business_types,
        "project_kinds": notice.project_kinds,
        "towns": Town.objects.filter(code__in=notice.towns),
        "company_types": notice.company_types,
        "case_states": notice.case_states,
    }
    form = NoticeForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        workgroups=_workgroups(request),
        published=published,
    )
    if request.method == "POST" and form.is_valid():
        try:
            policy_notice_edit(
                actor=request.user,
                notice=notice,
                data=form.to_input(workgroup_id=notice.workgroup_id),
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("The notice is saved."))
            return redirect("staff:notice", uuid=notice.uuid)
    return _form_page(request, form, notice)


@require_GET
@notice_staff_required
def notice_staff_page(request: HttpRequest, uuid) -> HttpResponse:
    notice = _staff_notice(request, uuid)
    return _staff_page(request, notice, NOTICE.form("schedule", notice))


def _audience(notice: PolicyNotice) -> list[tuple[str, str]]:
    """The notice's filters, each with its values' labels in the page's language."""
    towns = {t.code: localname(t) for t in Town.objects.filter(code__in=notice.towns)}
    rows = [
        (_("Utilities"), Utility, notice.utilities),
        (_("Business types"), BusinessType, notice.business_types),
        (_("Project kinds"), ProjectKind, notice.project_kinds),
        (_("Company types"), CompanyType, notice.company_types),
        (_("Stage of the company's cases"), ServiceStatus, notice.case_states),
    ]
    shown = [
        (label, ", ".join(str(choices(v).label) for v in values if v in choices.values))
        for label, choices, values in rows
        if values
    ]
    if notice.towns:
        shown.append((_("Towns"), ", ".join(towns.get(code, code) for code in notice.towns)))
    return shown


DONE = {
    "publish": gettext_lazy("The notice is published."),
    "schedule": gettext_lazy("The notice will be published at the time set."),
    "unschedule": gettext_lazy("The schedule is cancelled: the notice is a draft again."),
    "withdraw": gettext_lazy("The notice is withdrawn."),
}


def _staff_page(request: HttpRequest, notice: PolicyNotice, schedule_form) -> HttpResponse:
    actions = NOTICE.available(request.user, notice)
    return render(
        request,
        "staff/notice.html",
        {
            "notice": notice,
            "actions": [(name, NOTICE[name].button) for name in actions if name != "schedule"],
            "may_schedule": "schedule" in actions,
            "audience": _audience(notice),
            "awareness": awareness(notice.read_count, notice.targeted_count),
            "schedule_form": schedule_form,
            "revisions": list(notice.revisions.order_by("number")),
            "staff_section": "notices",
        },
    )


@require_POST
@notice_staff_required
@staff_errors(_back)
def notice_act(request: HttpRequest, uuid, action: str) -> HttpResponse:
    if action not in NOTICE_STAFF_ACTIONS:
        raise Http404
    notice = _staff_notice(request, uuid)
    try:
        policy_notice_transition(actor=request.user, notice=notice, name=action, data=request.POST)
    except ValidationError as exc:
        form = NOTICE.form("schedule", notice, data=request.POST)
        if form is not None:
            errors_to_form(form, exc)
        return _staff_page(request, notice, form)
    messages.success(request, str(DONE[action]))
    return redirect("staff:notice", uuid=notice.uuid)
