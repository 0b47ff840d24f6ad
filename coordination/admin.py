"""Demands and their escalations in the admin, read-only and scoped by the object permissions
(the work itself happens on the staff site)."""

from django.contrib import admin

from applications.admin.base import ReadOnlyInline, ScopedAdmin
from workgroups.access_log import AccessLoggedAdminMixin
from workgroups.constants import AccessKind

from .models import (
    Demand,
    DemandHistory,
    ItemEscalation,
    ItemEscalationEvent,
    PolicyNotice,
    PolicyNoticeEvent,
    PolicyNoticeRevision,
)


class DemandHistoryInline(ReadOnlyInline):
    model = DemandHistory
    fields = ("at", "transition", "from_state", "to_state", "actor", "actor_label", "comment")
    readonly_fields = fields
    ordering = ("at", "id")
    show_change_link = False


@admin.register(Demand)
class DemandAdmin(AccessLoggedAdminMixin, ScopedAdmin):
    """Demands and suggestions; acknowledged, answered and closed on the staff site."""

    access_kind = AccessKind.DEMAND_CONTACT

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


class PolicyNoticeRevisionInline(ReadOnlyInline):
    model = PolicyNoticeRevision
    fields = ("number", "at", "actor", "title")
    readonly_fields = fields
    ordering = ("number",)
    show_change_link = False


class PolicyNoticeEventInline(ReadOnlyInline):
    model = PolicyNoticeEvent
    fields = ("at", "kind", "actor", "data")
    readonly_fields = fields
    ordering = ("at", "id")
    show_change_link = False


@admin.register(PolicyNotice)
class PolicyNoticeAdmin(ScopedAdmin):
    """Policy notices, read-only for administrators; written and published on the staff site."""

    list_display = ("title", "workgroup", "status", "publish_at", "published_at", "revision")
    list_filter = ("status", "workgroup")
    search_fields = ("title",)
    list_select_related = ("workgroup",)
    ordering = ("-created_at", "-id")
    inlines = (PolicyNoticeRevisionInline, PolicyNoticeEventInline)
