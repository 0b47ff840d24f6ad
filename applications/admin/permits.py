"""Permit requests (outside-line works) and their decisions."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..constants import PermitStatus
from ..models import (
    PermitRequest,
)
from .base import ScopedAdmin, due_display
from .service_applications import StateChangeInline


class PermitHistoryInline(StateChangeInline):
    fk_name = "permit_request"


@admin.register(PermitRequest)
class PermitRequestAdmin(ScopedAdmin):
    list_display = (
        "reference",
        "utility",
        "permit_type",
        "agency",
        "round",
        "status",
        "due",
        "decided_at",
    )
    list_filter = ("permit_type", "status", ("agency", admin.RelatedOnlyFieldListFilter))
    search_fields = (
        "service_application__combined__reference",
        "service_application__combined__project__code",
        "service_application__combined__project__name",
    )
    list_select_related = ("service_application__combined", "agency")
    ordering = ("-updated_at", "-id")
    fields = (
        "service_application",
        "permit_type",
        "agency",
        "round",
        "status",
        "issued_at",
        "due",
        "decided_at",
        "decided_by",
        "reason",
        "uuid",
    )
    readonly_fields = ("due", "uuid")
    inlines = (PermitHistoryInline,)

    @admin.display(description=_("reference number"))
    def reference(self, obj: PermitRequest) -> str:
        return obj.service_application.combined.reference or "-"

    @admin.display(description=_("utility"))
    def utility(self, obj: PermitRequest) -> str:
        return obj.service_application.get_utility_display()

    @admin.display(description=_("due at"), ordering="due_at")
    def due(self, obj: PermitRequest) -> str:
        return due_display(obj.due_at, running=obj.status == PermitStatus.PENDING)
