"""Projects and combined requests."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from workgroups.access_log import AccessLoggedAdminMixin
from workgroups.constants import AccessKind

from ..constants import CLOCKED_STATES
from ..models import (
    CombinedApplication,
    Commitment,
    Project,
    ServiceApplication,
)
from ..services import (
    project_update,
)
from ..services.projects import EDITABLE_FIELDS
from .base import ReadOnlyInline, ScopedAdmin, due_display, object_checker


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
        return obj is not None and object_checker(request).has_perm("change_project", obj)

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
        return due_display(obj.due_at, running=obj.status in CLOCKED_STATES)


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
        '<div class="nowrap">{}: {}</div>',  # the admin's own class
        (
            (sa.get_utility_display(), sa.get_status_display())
            for sa in sorted(combined.services.all(), key=lambda sa: sa.pk)
        ),
    )


@admin.register(CombinedApplication)
class CombinedApplicationAdmin(AccessLoggedAdminMixin, ScopedAdmin):
    access_kind = AccessKind.CASE

    def access_read(self, obj):
        return [obj.uuid], [(obj.uuid, obj.reference)]

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
