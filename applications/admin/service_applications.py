"""Service applications: one per utility, read-only (case work is on the staff site)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from workgroups.access_log import AccessLoggedAdminMixin
from workgroups.constants import AccessKind

from ..constants import CLOCKED_STATES, PermitStatus
from ..models import (
    DocumentLink,
    PermitRequest,
    Project,
    ServiceApplication,
    StateChange,
)
from .base import (
    ReadOnlyInline,
    ScopedAdmin,
    due_display,
)


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
        return due_display(obj.due_at, running=obj.status == PermitStatus.PENDING)


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
class ServiceApplicationAdmin(AccessLoggedAdminMixin, ScopedAdmin):
    access_kind = AccessKind.CASE

    def access_read(self, obj):
        return [obj.uuid], [(obj.combined.uuid, obj.combined.reference)]

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
        return due_display(obj.due_at, running=obj.status in CLOCKED_STATES)
