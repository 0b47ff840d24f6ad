"""Escalations, fee payments, ratings, drafts, decision packages and API bookkeeping
(read-only here)."""

from django.contrib import admin

from ..models import (
    CombinedApplication,
    DecisionPackage,
    Draft,
    Escalation,
    EscalationEvent,
    FeePayment,
    Project,
    Rating,
    ServiceApplication,
    WorkItemLease,
)
from .base import ReadOnlyInline, ScopedAdmin


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


@admin.register(FeePayment)
class FeePaymentAdmin(ScopedAdmin):
    """Append-only payments of connection fees, under the operator's receipt numbers."""

    list_display = (
        "receipt_number",
        "service_application",
        "amount_cny",
        "paid_on",
        "source",
        "recorded_at",
    )
    list_filter = ("source", "service_application__utility")
    search_fields = ("receipt_number", "service_application__combined__reference")
    list_select_related = ("service_application__combined",)
    ordering = ("-recorded_at", "-id")
    scope_model = ServiceApplication
    scope_path = "service_application"


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


@admin.register(DecisionPackage)
class DecisionPackageAdmin(ScopedAdmin):
    """Issued decision packages (统一出件); the signed PDF is downloaded by the applicant and
    verified publicly at /verify/<code>/."""

    list_display = ("combined", "number", "short_code", "issued_at", "superseded_at")
    search_fields = ("short_code", "combined__reference", "combined__project__code")
    list_select_related = ("combined",)
    ordering = ("-issued_at", "-id")
    scope_model = CombinedApplication
    scope_path = "combined"
