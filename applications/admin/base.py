"""Shared admin machinery: scoping by object permission, read-only inlines. Case work
(transitions, returns, permit decisions) happens on the staff site only; the admin reads."""

from operator import attrgetter

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from core.admin_mixins import ViewOnlyAdminMixin

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
            '<span class="overdue">{} ⚠ {}</span>',  # portal/static/portal/admin.css
            text,
            gettext("overdue"),
        )
    return text
