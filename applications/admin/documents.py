"""Documents, commitments and the audit trail."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from workgroups.access_log import AccessLoggedAdminMixin
from workgroups.constants import AccessKind

from ..models import (
    CombinedApplication,
    Commitment,
    CommitmentText,
    Document,
    DocumentLink,
    ServiceApplication,
    StateChange,
)
from ..services import commitment_text_publish
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
class DocumentAdmin(AccessLoggedAdminMixin, ScopedAdmin):
    """Metadata only: documents are private and never get a public media link here."""

    access_kind = AccessKind.DOCUMENT

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
    list_display = (
        "combined",
        "doc_type",
        "status",
        "verifier",
        "due_on",
        "wording",
        "signed_by",
        "signed_at",
    )
    list_filter = ("doc_type", "status")
    search_fields = ("combined__reference", "statement")
    list_select_related = ("combined", "signed_by", "wording", "verifier")
    fields = (
        "combined",
        "doc_type",
        "statement",
        "wording",
        "signed_by",
        "signed_at",
        "status",
        "due_stage",
        "due_on",
        "verifier",
        "on_breach",
        "fell_due_at",
        "document",
        "submitted_at",
        "decided_at",
        "decided_by",
        "breach_reason",
    )
    scope_model = CombinedApplication
    scope_path = "combined"


WORDING_FIELDS = (
    "code",
    "text_zh",
    "text_en",
    "due_point_zh",
    "due_point_en",
    "consequences_zh",
    "consequences_en",
    "effective_from",
)


@admin.register(CommitmentText)
class CommitmentTextAdmin(admin.ModelAdmin):
    """The commitment wording (承诺制): a new wording is added as the next version; a version
    under which anyone has signed is never changed or deleted."""

    list_display = ("code", "version", "effective_from", "due_point_zh")
    list_filter = ("code",)
    readonly_fields = ("version",)
    fields = ("code", "version", *WORDING_FIELDS[1:])

    def _signed(self, obj) -> bool:
        return obj is not None and obj.commitments.exists()

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not self._signed(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not self._signed(obj)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = commitment_text_publish(
            **{name: form.cleaned_data[name] for name in WORDING_FIELDS}
        )
        obj.pk, obj.version = created.pk, created.version


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
