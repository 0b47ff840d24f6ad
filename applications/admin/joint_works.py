"""Joint works plans (联合施工), their participants and history: read-only here; plans move on
the staff site and through the API (the workflow table), never as edited rows."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from ..models import JointWorksEvent, JointWorksParticipant, JointWorksPlan
from .base import ReadOnlyInline, ScopedAdmin


class JointWorksParticipantInline(ReadOnlyInline):
    model = JointWorksParticipant
    fields = (
        "service_application",
        "operator",
        "active",
        "joined_at",
        "confirmed_at",
        "left_at",
        "leave_reason",
        "installed_at",
        "installed_by",
    )
    readonly_fields = fields
    ordering = ("id",)
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("service_application__combined", "operator", "installed_by")
        )


class JointWorksEventInline(ReadOnlyInline):
    model = JointWorksEvent
    fields = (
        "at",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "actor_organization",
        "comment",
    )
    readonly_fields = fields
    ordering = ("at", "id")
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "actor_organization")


@admin.register(JointWorksPlan)
class JointWorksPlanAdmin(ScopedAdmin):
    """One shared trench: who takes part, its window, its permits' outcome and its history."""

    list_display = (
        "project",
        "road",
        "status",
        "lead_operator",
        "window_start",
        "window_end",
        "participant_count",
        "backfilled_at",
        "restored_on",
    )
    list_filter = ("status", ("lead_operator", admin.RelatedOnlyFieldListFilter))
    search_fields = ("project__code", "project__name", "road_name", "road_segment")
    list_select_related = ("project", "lead_operator")
    ordering = ("-updated_at", "-id")
    fields = (
        "uuid",
        "project",
        "status",
        "lead_operator",
        "road_name",
        "road_segment",
        "route_description",
        "route",
        "window_start",
        "window_working_days",
        "window_end",
        "proposed_by",
        "locked_at",
        "excavation_started_at",
        "backfilled_at",
        "restored_on",
        "reason",
        "warnings",
        "created_at",
    )
    readonly_fields = ("uuid",)
    inlines = (JointWorksParticipantInline, JointWorksEventInline)

    @admin.display(description=_("road"), ordering="road_name")
    def road(self, obj: JointWorksPlan) -> str:
        return f"{obj.road_name} {obj.road_segment}".strip()

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(taking_part=Count("participants", filter=Q(participants__active=True)))
        )

    @admin.display(description=_("participants"), ordering="taking_part")
    def participant_count(self, obj: JointWorksPlan) -> int:
        return obj.taking_part


@admin.register(JointWorksEvent)
class JointWorksEventAdmin(ScopedAdmin):
    """Append-only history of joint works plans."""

    list_display = ("at", "plan", "transition", "from_state", "to_state", "actor")
    list_filter = ("transition", "to_state")
    search_fields = ("plan__project__code", "plan__road_name", "comment")
    list_select_related = ("plan__project", "actor")
    ordering = ("-at", "-id")
    scope_model = JointWorksPlan
    scope_path = "plan"
