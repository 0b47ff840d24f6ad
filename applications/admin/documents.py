"""Documents, commitments and the audit trail."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import (
    CombinedApplication,
    Commitment,
    Document,
    DocumentLink,
    ServiceApplication,
    StateChange,
)
from .base import ReadOnlyInline, ScopedAdmin


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
