"""Admin for the cases: read-only views scoped by object permission, and transitions.

A superuser sees every case. Any other staff user sees only the rows their organisation holds a
guardian object permission on (global model permissions do not widen a case list), so operator
and agency staff can use the admin without global permissions. Cases are never edited as
rows: every change of state is a button that calls the service, so the buttons shown are
exactly the transitions the service allows, and its errors map to 409 / 403 / 400.
"""

from collections.abc import Callable
from operator import attrgetter

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from .constants import CLOCKED_STATES, TRANSITION_ACTION_LABELS, PermitStatus
from .errors import DomainError, IllegalTransition, NotFound
from .models import (
    CombinedApplication,
    Commitment,
    Document,
    DocumentLink,
    Draft,
    Escalation,
    EscalationEvent,
    IdempotencyRecord,
    PermitRequest,
    Project,
    Rating,
    ServiceApplication,
    StateChange,
    WorkItemLease,
)
from .services import (
    permit_decisions_available,
    permit_request_decide,
    project_update,
    service_application_transition,
    transitions_available,
)
from .services.projects import EDITABLE_FIELDS
from .transition_inputs import PERMIT_DECISIONS, TRANSITION_INPUTS, ConnectInput

TRANSITION_LABELS = TRANSITION_ACTION_LABELS
PERMIT_DECISION_LABELS = {
    "approve": _("Approve"),
    "return_to_applicant": _("Return to applicant"),
    "reject": _("Reject"),
}
ACTION_TEMPLATE = "admin/applications/serviceapplication/transition.html"


# --- Scoping by object permission -------------------------------------------------------------


def _view_perm(model: type[Model]) -> str:
    return f"{model._meta.app_label}.view_{model._meta.model_name}"


def scope_queryset(qs: QuerySet, user, scope_model: type[Model], scope_path: str) -> QuerySet:
    """Rows of `qs` whose `scope_path` object `user` may view through an object permission."""
    if user.is_superuser:
        return qs
    options = {"accept_global_perms": False, "with_superuser": False}
    if scope_path == "pk":
        return get_objects_for_user(user, _view_perm(scope_model), klass=qs, **options)
    permitted = get_objects_for_user(user, _view_perm(scope_model), klass=scope_model, **options)
    return qs.filter(**{f"{scope_path}__in": permitted.values("pk")})


def _checker(request: HttpRequest) -> ObjectPermissionChecker:
    """One permission checker per request, so repeated checks of one object cost nothing."""
    if not hasattr(request, "_object_permission_checker"):
        request._object_permission_checker = ObjectPermissionChecker(request.user)
    return request._object_permission_checker


def _has_any_object_permission(request: HttpRequest, model: type[Model]) -> bool:
    cache = request.__dict__.setdefault("_object_permission_models", {})
    if model not in cache:
        user = request.user
        cache[model] = (
            get_group_obj_perms_model(model).objects.filter(group__user=user).exists()
            or get_user_obj_perms_model(model).objects.filter(user=user).exists()
        )
    return cache[model]


class ScopedAdmin(admin.ModelAdmin):
    """A read-only case admin: rows and pages follow the object permissions on `scope_model`
    (this admin's model, or the model reached through `scope_path`)."""

    scope_model: type[Model] | None = None
    scope_path = "pk"

    def _scope_model(self) -> type[Model]:
        return self.scope_model or self.model

    def _scope_object(self, obj: Model) -> Model:
        if self.scope_path == "pk":
            return obj
        return attrgetter(self.scope_path.replace("__", "."))(obj)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return scope_queryset(qs, request.user, self._scope_model(), self.scope_path)

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) or self.has_view_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return False  # e.g. the login page lists apps for an anonymous visitor
        if user.is_superuser:
            return True
        if obj is None:
            return _has_any_object_permission(request, self._scope_model())
        return _checker(request).has_perm(_view_perm(self._scope_model()), self._scope_object(obj))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on a case page the user may already see, narrowed by their permissions."""

    extra = 0
    can_delete = False
    show_change_link = True
    scope_model: type[Model] | None = None
    scope_path = "pk"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.scope_model is None:
            return qs
        return scope_queryset(qs, request.user, self.scope_model, self.scope_path)

    def has_view_permission(self, request, obj=None) -> bool:
        return True  # the parent page has checked the object permission

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Display helpers ------------------------------------------------------------------------------


def _due(due_at, *, running: bool) -> str:
    if due_at is None:
        return "-"
    text = date_format(timezone.localtime(due_at), "SHORT_DATETIME_FORMAT")
    if running and due_at < timezone.now():
        return format_html(
            '<span class="overdue" style="color:#ba2121;font-weight:bold">{} ⚠ {}</span>',
            text,
            gettext("overdue"),
        )
    return text


# --- Actions (transitions and permit decisions) ---------------------------------------------------


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


def _attach_errors(forms_: list[forms.Form], exc: ValidationError) -> None:
    """Show a service's ValidationError on the fields it names (others as form errors)."""
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
    for field, field_messages in items:
        form = next((f for f in forms_ if field in f.fields), None)
        if form is None:
            form, field = forms_[0], None
        if field is None or field not in form.errors:
            form.add_error(field, list(field_messages))


class ActionAdminMixin:
    """An admin view per state-machine action: a form on GET, the service on POST."""

    def _action_response(
        self,
        request: HttpRequest,
        *,
        obj: Model,
        action: str,
        label: str,
        forms_: list[forms.Form],
        status: int = 200,
    ) -> HttpResponse:
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "original": obj,
            "title": label,
            "action": action,
            "forms": forms_,
            "media": self.media + sum((f.media for f in forms_), forms.Media()),
            "change_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, ACTION_TEMPLATE, context, status=status)

    def _run_action(
        self,
        request: HttpRequest,
        *,
        obj: Model,
        action: str,
        label: str,
        available: Callable[[], list[str]],
        forms_: list[forms.Form],
        perform: Callable[[], None],
    ) -> HttpResponse:
        """GET shows the form if the action is available now; POST calls `perform` and maps
        the service's errors: illegal now 409, not permitted 403, bad input 400."""
        change_url = reverse(
            f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change",
            args=[obj.pk],
        )
        if request.method != "POST":
            if action not in available():
                messages.warning(request, gettext("This action is not available now."))
                return HttpResponseRedirect(change_url)
            return self._action_response(
                request, obj=obj, action=action, label=label, forms_=forms_
            )
        try:
            perform()
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except IllegalTransition as exc:
            messages.error(request, exc.message)
            status = 409
        except PermissionDenied as exc:
            messages.error(request, str(exc) or gettext("You may not perform this action."))
            status = 403
        except ValidationError as exc:
            _attach_errors(forms_, exc)
            messages.error(request, gettext("Please correct the errors below."))
            status = 400
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status_code
        else:
            messages.success(request, gettext("%(action)s: done.") % {"action": label})
            return HttpResponseRedirect(change_url)
        return self._action_response(
            request, obj=obj, action=action, label=label, forms_=forms_, status=status
        )

    def _object_or_404(self, request: HttpRequest, object_id: str) -> Model:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404(gettext("No such object."))
        return obj


# --- Projects and combined requests ---------------------------------------------------------------


class CombinedApplicationInline(ReadOnlyInline):
    model = CombinedApplication
    fields = ("reference", "business_type", "applicant", "submitted_at")
    readonly_fields = fields
    scope_model = CombinedApplication


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    list_display = ("code", "name", "town", "owner", "kind", "works_type", "source", "created_at")
    list_filter = ("town", "kind", "works_type", "source")
    search_fields = ("code", "name", "address", "owner__name_zh")
    list_select_related = ("town", "owner")
    fields = (
        "code",
        "name",
        "kind",
        "works_type",
        "address",
        "town",
        "floor_area_m2",
        "planned_start",
        "owner",
        "source",
        "source_organization",
        "created_by",
        "uuid",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "code",
        "owner",
        "source",
        "source_organization",
        "created_by",
        "uuid",
        "created_at",
        "updated_at",
    )
    inlines = (CombinedApplicationInline,)

    def has_change_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        return obj is not None and _checker(request).has_perm("change_project", obj)

    def save_model(self, request, obj: Project, form, change: bool) -> None:
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        project_update(
            actor=request.user,
            project=obj,
            **{name: value for name, value in changed.items() if name in EDITABLE_FIELDS},
        )


class ServiceApplicationInline(ReadOnlyInline):
    model = ServiceApplication
    fields = ("utility", "operator", "status", "due", "updated_at")
    readonly_fields = fields
    scope_model = ServiceApplication

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("combined", "operator")

    @admin.display(description=_("due at"))
    def due(self, obj: ServiceApplication) -> str:
        return _due(obj.due_at, running=obj.status in CLOCKED_STATES)


class CommitmentInline(ReadOnlyInline):
    model = Commitment
    fields = ("doc_type", "statement", "signed_by", "signed_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("combined", "signed_by")


def _services_summary(combined: CombinedApplication) -> str:
    """The request's status, derived from its applications (never stored twice)."""
    return format_html_join(
        "",
        '<div style="white-space:nowrap">{}: {}</div>',
        (
            (sa.get_utility_display(), sa.get_status_display())
            for sa in sorted(combined.services.all(), key=lambda sa: sa.pk)
        ),
    )


@admin.register(CombinedApplication)
class CombinedApplicationAdmin(ScopedAdmin):
    list_display = (
        "reference",
        "project",
        "applicant",
        "business_type",
        "derived_status",
        "submitted_at",
    )
    list_filter = ("business_type", "joint_outside_works", "project__town")
    search_fields = ("reference", "project__code", "project__name", "applicant__name_zh")
    list_select_related = ("project", "applicant")
    fields = (
        "reference",
        "project",
        "applicant",
        "business_type",
        "joint_outside_works",
        "submitted_by",
        "submitted_at",
        "derived_status",
        "uuid",
    )
    readonly_fields = ("derived_status", "uuid")
    inlines = (ServiceApplicationInline, CommitmentInline)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("services")

    @admin.display(description=_("status by utility"))
    def derived_status(self, obj: CombinedApplication) -> str:
        return _services_summary(obj)


# --- Service applications ----------------------------------------------------------------------


class StateChangeInline(ReadOnlyInline):
    model = StateChange
    fields = (
        "at",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "actor_organization",
        "comment",
        "clock_event",
        "due_at",
    )
    readonly_fields = fields
    ordering = ("at", "id")
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "service_application__combined", "permit_request", "actor", "actor_organization"
            )
        )


class PermitRequestInline(ReadOnlyInline):
    model = PermitRequest
    fields = ("permit_type", "agency", "round", "status", "due", "decided_at", "reason")
    readonly_fields = fields
    scope_model = PermitRequest

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("service_application__combined", "agency")
        )

    @admin.display(description=_("due at"))
    def due(self, obj: PermitRequest) -> str:
        return _due(obj.due_at, running=obj.status == PermitStatus.PENDING)


class DocumentLinkInline(ReadOnlyInline):
    model = DocumentLink
    fields = ("doc_type", "document", "size", "sha256")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("service_application__combined", "document")
        )

    @admin.display(description=_("size (bytes)"))
    def size(self, obj: DocumentLink) -> int:
        return obj.document.size_bytes

    @admin.display(description=_("SHA-256"))
    def sha256(self, obj: DocumentLink) -> str:
        return obj.document.sha256


@admin.register(ServiceApplication)
class ServiceApplicationAdmin(ActionAdminMixin, ScopedAdmin):
    change_form_template = "admin/applications/change_form_with_actions.html"
    list_display = ("reference", "utility", "operator", "status", "due", "updated_at")
    list_filter = (
        "utility",
        "status",
        ("operator", admin.RelatedOnlyFieldListFilter),
        "workgroup",
        "combined__business_type",
        "combined__project__town",
    )
    search_fields = (
        "combined__reference",
        "combined__project__code",
        "combined__project__name",
        "combined__applicant__name_zh",
    )
    list_select_related = ("combined", "operator")
    ordering = ("-updated_at", "-id")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "combined",
                    "project",
                    "utility",
                    "workgroup",
                    "operator",
                    "status",
                    "due",
                )
            },
        ),
        (_("Application"), {"fields": ("details", "fast_track", "needs_inspection")}),
        (
            _("Stage data"),
            {
                "fields": (
                    "survey_result",
                    "plan",
                    "fee_quote_cny",
                    "required_permits",
                    "inspection_result",
                    "last_reason",
                    "returned_from",
                )
            },
        ),
        (
            _("Working-day clock"),
            {
                "fields": (
                    "sla_variant",
                    "submitted_at",
                    "stage_entered_at",
                    "paused_since",
                    "paused_working_days",
                    "connected_at",
                    "updated_at",
                    "uuid",
                )
            },
        ),
    )
    readonly_fields = ("project", "due", "uuid")
    inlines = (PermitRequestInline, DocumentLinkInline, StateChangeInline)

    def get_queryset(self, request):
        # Also what the changelist needs: with select_related set here, Django skips
        # list_select_related.
        return (
            super()
            .get_queryset(request)
            .select_related("combined__project", "workgroup", "operator")
        )

    @admin.display(description=_("reference number"), ordering="combined__reference")
    def reference(self, obj: ServiceApplication) -> str:
        return obj.combined.reference or "-"

    @admin.display(description=_("project"))
    def project(self, obj: ServiceApplication) -> Project:
        return obj.combined.project

    @admin.display(description=_("due at"), ordering="due_at")
    def due(self, obj: ServiceApplication) -> str:
        return _due(obj.due_at, running=obj.status in CLOCKED_STATES)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["object_actions"] = [
                {
                    "name": name,
                    "label": TRANSITION_LABELS.get(name, name),
                    "url": reverse(
                        "admin:applications_serviceapplication_transition", args=[obj.pk, name]
                    ),
                }
                for name in transitions_available(actor=request.user, service_application=obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        obj = self._object_or_404(request, object_id)
        data = request.POST if request.method == "POST" else None
        forms_: list[forms.Form] = []
        stage_form = TRANSITION_INPUTS.get(name)
        if stage_form is not None:
            kwargs = {"status": obj.status} if stage_form is ConnectInput else {}
            forms_.append(stage_form(data=data, **kwargs))
        comment_form = CommentForm(data=data)
        forms_.append(comment_form)

        def perform() -> None:
            if not comment_form.is_valid():
                raise ValidationError(comment_form.errors.as_data())
            service_application_transition(
                actor=request.user,
                service_application=obj,
                transition=name,
                data=data,
                comment=comment_form.cleaned_data["comment"],
            )

        return self._run_action(
            request,
            obj=obj,
            action=name,
            label=TRANSITION_LABELS.get(name, name),
            available=lambda: transitions_available(actor=request.user, service_application=obj),
            forms_=forms_,
            perform=perform,
        )


# --- Permits ---------------------------------------------------------------------------------


class PermitHistoryInline(StateChangeInline):
    fk_name = "permit_request"


@admin.register(PermitRequest)
class PermitRequestAdmin(ActionAdminMixin, ScopedAdmin):
    change_form_template = "admin/applications/change_form_with_actions.html"
    list_display = (
        "reference",
        "utility",
        "permit_type",
        "agency",
        "round",
        "status",
        "due",
        "decided_at",
    )
    list_filter = ("permit_type", "status", ("agency", admin.RelatedOnlyFieldListFilter))
    search_fields = (
        "service_application__combined__reference",
        "service_application__combined__project__code",
        "service_application__combined__project__name",
    )
    list_select_related = ("service_application__combined", "agency")
    ordering = ("-updated_at", "-id")
    fields = (
        "service_application",
        "permit_type",
        "agency",
        "round",
        "status",
        "issued_at",
        "due",
        "decided_at",
        "decided_by",
        "reason",
        "uuid",
    )
    readonly_fields = ("due", "uuid")
    inlines = (PermitHistoryInline,)

    @admin.display(description=_("reference number"))
    def reference(self, obj: PermitRequest) -> str:
        return obj.service_application.combined.reference or "-"

    @admin.display(description=_("utility"))
    def utility(self, obj: PermitRequest) -> str:
        return obj.service_application.get_utility_display()

    @admin.display(description=_("due at"), ordering="due_at")
    def due(self, obj: PermitRequest) -> str:
        return _due(obj.due_at, running=obj.status == PermitStatus.PENDING)

    def _decisions(self, request: HttpRequest, obj: PermitRequest) -> list[str]:
        return permit_decisions_available(actor=request.user, permit_request=obj)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/decide/<str:name>/",
                self.admin_site.admin_view(self.decide_view),
                name="{}_{}_decide".format(*info),
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["object_actions"] = [
                {
                    "name": name,
                    "label": PERMIT_DECISION_LABELS.get(name, name),
                    "url": reverse("admin:applications_permitrequest_decide", args=[obj.pk, name]),
                }
                for name in self._decisions(request, obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def decide_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        obj = self._object_or_404(request, object_id)
        data = request.POST if request.method == "POST" else None
        form_class = PERMIT_DECISIONS.get(name, PERMIT_DECISIONS["approve"])
        form = form_class(data=data)

        def perform() -> None:
            permit_request_decide(
                actor=request.user,
                permit_request=obj,
                decision=name,
                data={"reason": request.POST.get("reason", "")},
            )

        return self._run_action(
            request,
            obj=obj,
            action=name,
            label=PERMIT_DECISION_LABELS.get(name, name),
            available=lambda: self._decisions(request, obj),
            forms_=[form],
            perform=perform,
        )


# --- Documents, commitments and the audit trail ---------------------------------------------------


class DocumentUsageInline(ReadOnlyInline):
    model = DocumentLink
    fk_name = "document"
    fields = ("service_application", "doc_type")
    readonly_fields = fields
    scope_model = ServiceApplication
    scope_path = "service_application"
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("service_application__combined", "document")
        )


@admin.register(Document)
class DocumentAdmin(ScopedAdmin):
    """Metadata only: documents are private and never get a public media link here."""

    list_display = (
        "original_name",
        "doc_type",
        "owner",
        "content_type",
        "size_bytes",
        "short_sha256",
        "source",
        "created_at",
    )
    list_filter = ("doc_type", "source", "content_type")
    search_fields = ("original_name", "sha256", "owner__name_zh")
    list_select_related = ("owner",)
    fields = (
        "original_name",
        "doc_type",
        "owner",
        "content_type",
        "extension",
        "size_bytes",
        "sha256",
        "source",
        "source_organization",
        "uploaded_by",
        "created_at",
        "uuid",
    )
    readonly_fields = fields
    inlines = (DocumentUsageInline,)

    @admin.display(description=_("SHA-256"), ordering="sha256")
    def short_sha256(self, obj: Document) -> str:
        return obj.sha256[:16]


@admin.register(DocumentLink)
class DocumentLinkAdmin(ScopedAdmin):
    list_display = ("service_application", "doc_type", "document")
    list_filter = ("doc_type",)
    search_fields = ("service_application__combined__reference", "document__sha256")
    list_select_related = ("service_application__combined", "document")
    fields = ("service_application", "doc_type", "document")
    scope_model = ServiceApplication
    scope_path = "service_application"


@admin.register(Commitment)
class CommitmentAdmin(ScopedAdmin):
    list_display = ("combined", "doc_type", "signed_by", "signed_at")
    list_filter = ("doc_type",)
    search_fields = ("combined__reference", "statement")
    list_select_related = ("combined", "signed_by")
    fields = ("combined", "doc_type", "statement", "signed_by", "signed_at")
    scope_model = CombinedApplication
    scope_path = "combined"


@admin.register(StateChange)
class StateChangeAdmin(ScopedAdmin):
    """The append-only audit trail: nobody adds, changes or deletes a row here."""

    list_display = (
        "at",
        "service_application",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "actor_organization",
        "clock_event",
    )
    list_filter = ("transition", "to_state", "clock_event", "service_application__utility")
    search_fields = ("service_application__combined__reference", "comment", "actor__username")
    list_select_related = ("service_application__combined", "actor", "actor_organization")
    ordering = ("-at", "-id")
    fields = (
        "service_application",
        "permit_request",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "actor_organization",
        "at",
        "comment",
        "data",
        "clock_event",
        "paused_working_days",
        "due_at",
        "uuid",
    )
    scope_model = ServiceApplication
    scope_path = "service_application"


# --- Escalations, ratings, drafts and API bookkeeping (read-only here) ---------------------------


class EscalationEventInline(ReadOnlyInline):
    model = EscalationEvent
    fields = ("at", "kind", "tier", "actor", "note")
    readonly_fields = fields
    ordering = ("at", "id")
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("escalation__service_application__combined", "actor")
        )


@admin.register(Escalation)
class EscalationAdmin(ScopedAdmin):
    """Missed deadlines by tier; they are acknowledged and resolved in the staff dashboard."""

    list_display = (
        "service_application",
        "stage",
        "tier",
        "status",
        "breached_due_at",
        "opened_at",
        "resolved_at",
    )
    list_filter = ("tier", "status", "stage", "service_application__utility")
    search_fields = ("service_application__combined__reference", "resolution_note")
    list_select_related = ("service_application__combined",)
    ordering = ("-opened_at", "-id")
    inlines = (EscalationEventInline,)
    scope_model = ServiceApplication
    scope_path = "service_application"


@admin.register(EscalationEvent)
class EscalationEventAdmin(ScopedAdmin):
    """Append-only facts of escalations."""

    list_display = ("at", "escalation", "kind", "tier", "actor")
    list_filter = ("kind", "tier")
    search_fields = ("escalation__service_application__combined__reference", "note")
    list_select_related = ("escalation__service_application__combined", "actor")
    ordering = ("-at", "-id")
    scope_model = ServiceApplication
    scope_path = "escalation__service_application"


@admin.register(Rating)
class RatingAdmin(ScopedAdmin):
    list_display = ("service_application", "level", "organization", "created_at")
    list_filter = ("level", "service_application__utility")
    search_fields = ("service_application__combined__reference", "comment")
    list_select_related = ("service_application__combined", "organization")
    ordering = ("-created_at", "-id")
    scope_model = ServiceApplication
    scope_path = "service_application"


@admin.register(Draft)
class DraftAdmin(ScopedAdmin):
    list_display = ("project", "owner", "combined", "updated_at")
    search_fields = ("project__code", "project__name", "owner__name_zh")
    list_select_related = ("project", "owner", "combined")
    scope_model = Project
    scope_path = "project"


@admin.register(WorkItemLease)
class WorkItemLeaseAdmin(ScopedAdmin):
    list_display = ("service_application", "holder", "leased_at", "leased_until")
    search_fields = ("service_application__combined__reference", "holder")
    list_select_related = ("service_application__combined",)
    scope_model = ServiceApplication
    scope_path = "service_application"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Replayed API responses: for superusers investigating a client's retries."""

    list_display = ("created_at", "scope", "method", "path", "status_code")
    list_filter = ("method", "status_code")
    search_fields = ("scope", "key", "path")
    ordering = ("-created_at",)

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
