"""Permit requests (outside-line works) and their decisions."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from ..constants import PermitStatus
from ..models import (
    PermitRequest,
)
from ..services import (
    permit_decisions_available,
    permit_request_decide,
)
from ..transition_inputs import PERMIT_DECISIONS
from .base import PERMIT_DECISION_LABELS, ActionAdminMixin, ScopedAdmin, due_display
from .service_applications import StateChangeInline


class PermitHistoryInline(StateChangeInline):
    fk_name = "permit_request"


@admin.register(PermitRequest)
class PermitRequestAdmin(ActionAdminMixin, ScopedAdmin):
    change_form_template = "admin/applications/change_form_with_actions.html"
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

    def _decisions(self, request: HttpRequest, obj: PermitRequest) -> list[str]:
        return permit_decisions_available(actor=request.user, permit_request=obj)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/decide/<str:name>/",
                self.admin_site.admin_view(self.decide_view),
                name="{}_{}_decide".format(*info),
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["object_actions"] = [
                {
                    "name": name,
                    "label": PERMIT_DECISION_LABELS.get(name, name),
                    "url": reverse("admin:applications_permitrequest_decide", args=[obj.pk, name]),
                }
                for name in self._decisions(request, obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def decide_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        obj = self._object_or_404(request, object_id)
        data = request.POST if request.method == "POST" else None
        form_class = PERMIT_DECISIONS.get(name, PERMIT_DECISIONS["approve"])
        form = form_class(data=data)

        def perform() -> None:
            permit_request_decide(
                actor=request.user,
                permit_request=obj,
                decision=name,
                data={"reason": request.POST.get("reason", "")},
            )

        return self._run_action(
            request,
            obj=obj,
            action=name,
            label=PERMIT_DECISION_LABELS.get(name, name),
            available=lambda: self._decisions(request, obj),
            forms_=[form],
            perform=perform,
        )
