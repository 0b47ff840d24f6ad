"""Shared admin machinery: scoping by object permission, read-only inlines, transition actions."""

from collections.abc import Callable
from operator import attrgetter

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from core.admin_mixins import ViewOnlyAdminMixin
from core.errors import DomainError, IllegalTransition, NotFound

from ..constants import TRANSITION_ACTION_LABELS

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


def object_checker(request: HttpRequest) -> ObjectPermissionChecker:
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


class ScopedAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
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
        return object_checker(request).has_perm(
            _view_perm(self._scope_model()), self._scope_object(obj)
        )


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


def due_display(due_at, *, running: bool) -> str:
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
