"""Demands and their escalations in the admin, read-only and scoped by the object permissions
(the work itself happens on the staff site)."""

from django.contrib import admin

from applications.admin.base import ReadOnlyInline, ScopedAdmin

from .models import Demand, DemandHistory, ItemEscalation, ItemEscalationEvent


class DemandHistoryInline(ReadOnlyInline):
    model = DemandHistory
    fields = ("at", "transition", "from_state", "to_state", "actor", "actor_label", "comment")
    readonly_fields = fields
    ordering = ("at", "id")
    show_change_link = False


@admin.register(Demand)
class DemandAdmin(ScopedAdmin):
    """Demands and suggestions; acknowledged, answered and closed on the staff site."""

    list_display = ("reference", "title", "utility", "town", "status", "submitted_at", "due_at")
    list_filter = ("status", "utility", "kind", "theme")
    search_fields = ("reference", "title", "contact_name")
    list_select_related = ("town",)
    ordering = ("-submitted_at", "-id")
    exclude = ("access_nonce",)
    inlines = (DemandHistoryInline,)


@admin.register(ItemEscalation)
class ItemEscalationAdmin(ScopedAdmin):
    """Missed deadlines of demands by tier; acknowledged and resolved on the staff site."""

    list_display = ("demand", "stage", "tier", "status", "breached_due_at", "opened_at")
    list_filter = ("tier", "status", "item_kind")
    list_select_related = ("demand",)
    ordering = ("-opened_at", "-id")
    scope_model = Demand
    scope_path = "demand"


@admin.register(ItemEscalationEvent)
class ItemEscalationEventAdmin(ScopedAdmin):
    """Append-only facts of those escalations."""

    list_display = ("at", "escalation", "kind", "tier", "actor")
    list_filter = ("kind", "tier")
    ordering = ("-at", "-id")
    scope_model = Demand
    scope_path = "escalation__demand"
