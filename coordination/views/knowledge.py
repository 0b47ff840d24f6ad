"""Staff pages of the service guides' prose (/staff/guides/), the knowledge base
(/staff/knowledge/) and the training records (/staff/training/), and the "related know-how"
box the staff case page shows under each utility."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from applications.constants import BusinessType
from applications.models import ServiceApplication
from applications.registry import UTILITIES
from applications.views.staff.common import _page
from core.errors import ValidationError
from core.web import errors_to_form
from workgroups.constants import OrganizationKind
from workgroups.models import Organization, Workgroup

from ..forms_knowledge import (
    ArticleForm,
    ArticleSearchForm,
    AttendanceForm,
    GuideTextForm,
    TrainingForm,
)
from ..guides import guide_business_types, guide_index
from ..models import Meeting
from ..selectors.guides import (
    guide_editable_utilities,
    guide_text_current,
    guide_text_latest_versions,
    guide_text_versions,
)
from ..selectors.knowledge import (
    article_for_staff,
    article_search,
    knowledge_scope,
    related_articles,
    training_attendance_of,
    training_session_for_staff,
    training_sessions,
)
from ..services.guides import GuideTextInput, guide_text_save
from ..services.knowledge import (
    ArticleInput,
    TrainingInput,
    article_create,
    article_update,
    training_attendance_record,
    training_session_create,
)


def knowledge_staff_required(view: Callable) -> Callable:
    """Signed in (else the sign-in page) and a member of a staff organisation; to anyone else
    the pages do not exist (404)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        scope = knowledge_scope(user=request.user)
        if not scope.is_staff:
            raise Http404
        request.knowledge_scope = scope
        return view(request, *args, **kwargs)

    return wrapper


def _writable_workgroups(scope):
    workgroups = Workgroup.objects.order_by("pk")
    return workgroups if scope.superuser else workgroups.filter(pk__in=scope.workgroup_ids)


# --- service guides' prose ------------------------------------------------------------------


def _known(utility: str, business_type: str) -> None:
    if utility not in UTILITIES or business_type not in BusinessType.values:
        raise Http404


def _editable(request: HttpRequest, utility: str, business_type: str) -> None:
    _known(utility, business_type)
    if utility not in guide_editable_utilities(user=request.user):
        raise Http404


@require_GET
@knowledge_staff_required
def guide_text_list(request: HttpRequest) -> HttpResponse:
    """Every guide with its version in force (staff read them all); the lead agencies edit
    their own."""
    editable = guide_editable_utilities(user=request.user)
    latest = guide_text_latest_versions()
    business_types = guide_business_types()
    rows = [
        (
            code,
            label,
            code in editable,
            [(bt, latest.get((code, bt), 0)) for bt, _label in business_types],
        )
        for code, label in guide_index()
    ]
    return render(
        request,
        "staff/guide_texts.html",
        {
            "rows": rows,
            "leads_any": bool(editable),
            "business_types": business_types,
            "staff_section": "guides",
        },
    )


@require_http_methods(["GET", "POST"])
@knowledge_staff_required
def guide_text_edit(request: HttpRequest, utility: str, business_type: str) -> HttpResponse:
    _editable(request, utility, business_type)
    current = guide_text_current(utility=utility, business_type=business_type)
    initial = (
        {name: getattr(current, name) for name in GuideTextForm.base_fields} if current else {}
    )
    form = GuideTextForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            text = guide_text_save(
                actor=request.user,
                utility=utility,
                business_type=business_type,
                data=GuideTextInput(**form.cleaned_data),
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Version %(n)s of the guide is published.") % {"n": text.version},
            )
            return redirect("staff:guide_text_edit", utility=utility, business_type=business_type)
    return render(
        request,
        "staff/guide_text_edit.html",
        {
            "form": form,
            "utility": utility,
            "utility_label": dict(guide_index())[utility],
            "business_type": business_type,
            "business_type_label": BusinessType(business_type).label,
            "versions": guide_text_versions(utility=utility, business_type=business_type),
            "staff_section": "guides",
        },
    )


@require_GET
@knowledge_staff_required
def guide_text_version(
    request: HttpRequest, utility: str, business_type: str, version: int
) -> HttpResponse:
    """One version of a guide's prose, for any staff member (earlier versions included)."""
    _known(utility, business_type)
    versions = list(guide_text_versions(utility=utility, business_type=business_type))
    text = next((v for v in versions if v.version == version), None)
    if text is None:
        raise Http404
    return render(
        request,
        "staff/guide_text_version.html",
        {
            "text": text,
            "versions": versions,
            "may_edit": utility in guide_editable_utilities(user=request.user),
            "utility": utility,
            "utility_label": dict(guide_index())[utility],
            "business_type": business_type,
            "business_type_label": BusinessType(business_type).label,
            "staff_section": "guides",
        },
    )


# --- knowledge base -------------------------------------------------------------------------


@require_GET
@knowledge_staff_required
def article_list(request: HttpRequest) -> HttpResponse:
    form = ArticleSearchForm(request.GET or None)
    query, workgroup, kind = "", None, ""
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"]
        workgroup = form.cleaned_data["workgroup"]
        kind = form.cleaned_data["kind"]
    articles = article_search(
        scope=request.knowledge_scope,
        query=query,
        workgroup_id=workgroup.pk if workgroup else None,
        kind=kind,
    )
    page = _page(request, articles)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "staff/knowledge.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "querystring": params.urlencode(),
            "may_write": bool(_writable_workgroups(request.knowledge_scope).exists()),
            "staff_section": "knowledge",
        },
    )


def _article_form(request: HttpRequest, data=None, initial=None) -> ArticleForm:
    workgroups = _writable_workgroups(request.knowledge_scope)
    meetings = Meeting.objects.filter(workgroup__in=workgroups).order_by("-starts_at")
    return ArticleForm(data, initial=initial, workgroups=workgroups, meetings=meetings)


def _article_input(form: ArticleForm) -> ArticleInput:
    data = form.cleaned_data
    return ArticleInput(
        workgroup=data["workgroup"],
        kind=data["kind"],
        stage=data["stage"] or "",
        title=data["title"],
        body=data["body"],
        meeting=data["meeting"],
    )


@require_http_methods(["GET", "POST"])
@knowledge_staff_required
def article_new(request: HttpRequest) -> HttpResponse:
    if not _writable_workgroups(request.knowledge_scope).exists():
        raise Http404
    form = _article_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            article = article_create(actor=request.user, data=_article_input(form))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("The article is saved."))
            return redirect("staff:article", uuid=article.uuid)
    return render(
        request,
        "staff/article_form.html",
        {"form": form, "article": None, "staff_section": "knowledge"},
    )


@require_GET
@knowledge_staff_required
def article_page(request: HttpRequest, uuid) -> HttpResponse:
    article = article_for_staff(scope=request.knowledge_scope, uuid=uuid)
    if article is None:
        raise Http404
    scope = request.knowledge_scope
    return render(
        request,
        "staff/article.html",
        {
            "article": article,
            "may_edit": scope.superuser or article.workgroup_id in scope.workgroup_ids,
            "staff_section": "knowledge",
        },
    )


@require_http_methods(["GET", "POST"])
@knowledge_staff_required
def article_edit(request: HttpRequest, uuid) -> HttpResponse:
    scope = request.knowledge_scope
    article = article_for_staff(scope=scope, uuid=uuid)
    if article is None or not (scope.superuser or article.workgroup_id in scope.workgroup_ids):
        raise Http404
    initial = {
        "workgroup": article.workgroup_id,
        "kind": article.kind,
        "stage": article.stage,
        "title": article.title,
        "body": article.body,
        "meeting": article.meeting_id,
    }
    form = _article_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article_update(actor=request.user, article=article, data=_article_input(form))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("The article is saved."))
            return redirect("staff:article", uuid=article.uuid)
    return render(
        request,
        "staff/article_form.html",
        {"form": form, "article": article, "staff_section": "knowledge"},
    )


def know_how_panels(request: HttpRequest, services: list[ServiceApplication]) -> dict[int, str]:
    """The case page's "related know-how" box per utility: the workgroup's articles on the
    case's stage, then its general ones. One query whatever the number of utilities."""
    if not services:
        return {}
    codes = sorted({sa.utility for sa in services})
    stages = sorted({sa.status for sa in services})
    found = related_articles(workgroup_codes=codes, stages=stages)
    panels = {}
    for sa in services:
        articles = found.get((sa.utility, sa.status), [])
        panels[sa.pk] = render_to_string(
            "staff/_know_how.html", {"sa": sa, "articles": articles}, request=request
        )
    return panels


# --- training -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@knowledge_staff_required
def training_list(request: HttpRequest) -> HttpResponse:
    scope = request.knowledge_scope
    workgroups = _writable_workgroups(scope)
    may_write = workgroups.exists()
    form = TrainingForm(request.POST or None, workgroups=workgroups) if may_write else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                session = training_session_create(
                    actor=request.user, data=TrainingInput(**form.cleaned_data)
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("The training session is recorded."))
                return redirect("staff:training_session", uuid=session.uuid)
    page = _page(request, training_sessions(scope=scope))
    return render(
        request,
        "staff/training.html",
        {"form": form, "page": page, "querystring": "", "staff_section": "training"},
    )


def _staff_organizations():
    return Organization.objects.exclude(kind=OrganizationKind.APPLICANT_COMPANY).order_by("code")


@require_http_methods(["GET", "POST"])
@knowledge_staff_required
def training_session_page(request: HttpRequest, uuid) -> HttpResponse:
    scope = request.knowledge_scope
    session = training_session_for_staff(scope=scope, uuid=uuid)
    if session is None:
        raise Http404
    may_write = scope.superuser or session.workgroup_id in scope.workgroup_ids
    form = (
        AttendanceForm(request.POST or None, organizations=_staff_organizations())
        if may_write
        else None
    )
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                training_attendance_record(
                    actor=request.user,
                    session=session,
                    organization=form.cleaned_data["organization"],
                    people=form.cleaned_data["people"].splitlines(),
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("The attendance is recorded."))
                return redirect("staff:training_session", uuid=session.uuid)
    return render(
        request,
        "staff/training_session.html",
        {
            "session": session,
            "attendance": training_attendance_of(session),
            "form": form,
            "staff_section": "training",
        },
    )
