"""Staff views of the outbox: what was sent to whom, each attempt and why it failed, retries,
and the webhook endpoints with their circuit breaker."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from applications.constants import Utility
from core.admin_mixins import ViewOnlyAdminMixin
from workgroups.models import Organization

from .constants import CircuitState
from .models import (
    Delivery,
    DeliveryAttempt,
    DeliveryRetry,
    DemandNotice,
    DemandSignal,
    FactCursor,
    WebhookEndpoint,
    WebhookEndpointEvent,
)
from .selectors import (
    delivery_filter_endpoints,
    delivery_filter_organizations,
    webhook_endpoints_with_parked,
)
from .services import deliveries_retry, demand_signal_record, webhook_endpoint_probe_now
from .services.webhooks import (
    URL_MAX_LENGTH,
    webhook_endpoint_staff_saved,
    webhook_secret_errors,
    webhook_url_errors,
)


class EndpointFilter(admin.SimpleListFilter):
    """Deliveries of one webhook endpoint (paused ones are marked)."""

    title = _("webhook endpoint")
    parameter_name = "endpoint"

    def lookups(self, request, model_admin):
        choices = []
        for endpoint in delivery_filter_endpoints():
            label = str(endpoint)
            if endpoint.circuit != CircuitState.DELIVERING:
                label += f" ({endpoint.get_circuit_display()})"
            choices.append((str(endpoint.pk), label))
        return choices

    def queryset(self, request, queryset):
        if self.value() and self.value().isdecimal():  # "²" is a digit int() refuses
            return queryset.filter(endpoint_id=int(self.value()))
        return queryset


class OrganizationFilter(admin.SimpleListFilter):
    """Deliveries to one organisation: those with webhook endpoints or parked deliveries."""

    title = _("recipient organisation")
    parameter_name = "organization"

    def lookups(self, request, model_admin):
        return [(str(org.pk), str(org)) for org in delivery_filter_organizations()]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdecimal():  # "²" is a digit int() refuses
            return queryset.filter(recipient_organization_id=int(self.value()))
        return queryset


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("at", "target", "outcome", "status_code", "duration_ms", "probe", "error")
    readonly_fields = fields
    verbose_name_plural = _("attempts")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveryRetryInline(admin.TabularInline):
    model = DeliveryRetry
    extra = 0
    can_delete = False
    fields = ("at", "actor", "attempts_before", "error_before")
    readonly_fields = fields
    verbose_name_plural = _("retried by staff")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "subject",
        "event_type",
        "channel",
        "recipient_organization",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "channel", "event_type", EndpointFilter, OrganizationFilter)
    search_fields = ("subject", "idempotency_key", "event_id", "recipient_organization__name_zh")
    list_select_related = ("recipient_organization", "endpoint__organization")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [DeliveryAttemptInline, DeliveryRetryInline]
    actions = ["retry_failed"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry the selected failed deliveries"))
    def retry_failed(self, request, queryset: QuerySet[Delivery]) -> None:
        # "Select all" on a filtered list (an endpoint, an organisation) retries them all.
        retried = deliveries_retry(actor=request.user, deliveries=queryset)
        self.message_user(
            request, _("%(count)d deliveries queued again.") % {"count": retried}, messages.SUCCESS
        )


class DemandNoticeInline(admin.TabularInline):
    model = DemandNotice
    extra = 0
    can_delete = False
    fields = ("operator", "utilities", "status", "acknowledged_at", "reminded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class DemandSignalForm(forms.ModelForm):
    """Staff record a department's early word of a project; it fans out on save."""

    expected_utilities = forms.MultipleChoiceField(
        label=_("expected utilities"),
        choices=Utility.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = DemandSignal
        fields = (
            "kind",
            "source_organization",
            "title",
            "town",
            "location",
            "expected_utilities",
            "expected_date",
        )


@admin.register(DemandSignal)
class DemandSignalAdmin(admin.ModelAdmin):
    form = DemandSignalForm
    list_display = ("title", "kind", "town", "source_organization", "expected_date", "created_at")
    list_filter = ("kind", "town")
    search_fields = ("title", "location", "project__code")
    list_select_related = ("town", "source_organization")
    inlines = [DemandNoticeInline]
    readonly_fields = ("created_at",)

    def has_change_permission(self, request, obj=None):
        return False  # a signal is a fact; a correction is a new signal

    def save_model(self, request, obj, form, change: bool) -> None:
        # Through the service, which writes one notice and its messages per operator.
        recorded = demand_signal_record(**form.cleaned_data)
        obj.pk, obj.uuid, obj.created_at = recorded.pk, recorded.uuid, recorded.created_at
        obj._state.adding = False


@admin.register(DemandNotice)
class DemandNoticeAdmin(admin.ModelAdmin):
    list_display = ("signal", "operator", "status", "created_at", "acknowledged_at")
    list_filter = ("status", "operator")
    search_fields = ("signal__title",)
    list_select_related = ("signal", "operator")
    readonly_fields = [f.name for f in DemandNotice._meta.fields]

    def has_add_permission(self, request):
        return False


class WebhookEndpointForm(forms.ModelForm):
    """The signing secret is write-only: never shown again, kept when left empty. The URL and
    the secret obey the same rules as a registration through the API (services/webhooks.py)."""

    url = forms.URLField(label=_("URL"), max_length=URL_MAX_LENGTH, assume_scheme="https")
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current secret."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("organization", "url", "secret", "is_active")

    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("url")
        # Judged when it could start sending somewhere new: a new endpoint, a changed URL or a
        # reactivation. Staff can always deactivate an endpoint whose name now points inside.
        reactivated = "is_active" in self.changed_data and cleaned.get("is_active")
        if url and (not self.instance.pk or "url" in self.changed_data or reactivated):
            for error in webhook_url_errors(url):
                self.add_error("url", error)
        return cleaned

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"]
        if not secret and not self.instance.pk:
            raise forms.ValidationError(_("A new endpoint needs a secret."))
        if secret and (errors := webhook_secret_errors(secret)):
            raise forms.ValidationError(errors)
        return secret or self.instance.secret


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = (
        "organization",
        "url",
        "is_active",
        "circuit",
        "consecutive_failures",
        "probe_after",
        "parked",
        "created_at",
    )
    list_filter = ("is_active", "circuit")
    search_fields = ("organization__name_zh", "url")
    list_select_related = ("organization",)
    # The circuit breaker's state is the system's to change (services/circuit.py).
    readonly_fields = (
        "circuit",
        "consecutive_failures",
        "paused_at",
        "probe_after",
        "circuit_error",
    )
    actions = ["probe_now"]

    def get_queryset(self, request):
        return webhook_endpoints_with_parked(queryset=super().get_queryset(request))

    @admin.display(description=_("parked deliveries"), ordering="parked")
    def parked(self, endpoint: WebhookEndpoint) -> int:
        return endpoint.parked

    @admin.action(description=_("Probe the selected paused endpoints now"))
    def probe_now(self, request, queryset: QuerySet[WebhookEndpoint]) -> None:
        probed = 0
        for endpoint in queryset.filter(circuit=CircuitState.PAUSED):
            webhook_endpoint_probe_now(actor=request.user, endpoint=endpoint)
            probed += 1
        self.message_user(
            request,
            _("%(count)d endpoints will be probed at the next dispatch.") % {"count": probed},
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change: bool) -> None:
        was_active = bool(form.initial.get("is_active", True)) if change else True
        if change:
            # Only what the form edits: the circuit breaker may have moved meanwhile.
            obj.save(update_fields=list(WebhookEndpointForm.Meta.fields))
        else:
            super().save_model(request, obj, form, change)
        # In the admin's transaction: the change and its audit row commit together.
        webhook_endpoint_staff_saved(
            actor=request.user,
            endpoint=obj,
            adding=not change,
            was_active=was_active,
            changed=[
                name
                for name in form.changed_data
                # An empty secret field keeps the secret: not a change.
                if name != "secret" or form.cleaned_data["secret"] != form.initial.get("secret")
            ],
        )


@admin.register(WebhookEndpointEvent)
class WebhookEndpointEventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Who registered, deactivated or changed which webhook endpoint, and when: read-only,
    to the endpoint organisation's staff and to platform administrators."""

    list_display = ("at", "organization", "action", "url", "actor", "api_token", "detail")
    list_filter = ("action",)
    search_fields = ("url", "actor__username", "organization__name_zh")
    list_select_related = ("organization", "actor", "api_token")
    date_hierarchy = "at"
    fields = ("at", "organization", "endpoint", "action", "url", "actor", "api_token", "detail")
    readonly_fields = fields

    def _organizations(self, request):
        return Organization.objects.filter(memberships__user=request.user)

    def get_queryset(self, request):
        events = super().get_queryset(request)
        if request.user.is_superuser:
            return events
        return events.filter(organization__in=self._organizations(request))

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        mine = self._organizations(request)
        return mine.filter(pk=obj.organization_id).exists() if obj else mine.exists()


@admin.register(FactCursor)
class FactCursorAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "updated_at")
    readonly_fields = ("name", "position", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
