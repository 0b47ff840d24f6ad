"""Admin for who is who: people, organisations, workgroups and the reference data staff edit.

Reference data stays editable only by superusers and holders of the global model permission
(Django's default). Memberships are always written through `membership_add`, so a person
joins their organisation's group, and new organisations through `organization_upsert`, which
creates the organisation's permission group.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_mixins import CheckedAutocompleteMixin, ViewOnlyAdminMixin

from .api_tokens import api_token_revoke
from .constants import ApiTokenChannel
from .models import (
    ApiToken,
    ApiTokenEvent,
    CompanyDispute,
    CompanyIdentity,
    CompanyIdentityEvent,
    CompanyRegistryRecord,
    EscalationTier,
    IdempotencyRecord,
    Membership,
    OperatorCoverage,
    Organization,
    PermitAuthority,
    SlaPolicy,
    Town,
    User,
    Workgroup,
    WorkgroupMembership,
)
from .services import (
    membership_add,
    membership_remove,
    organization_upsert,
)


class MembershipInlineForm(forms.ModelForm):
    """Only the role of an existing membership changes; who and where are fixed once saved."""

    class Meta:
        model = Membership
        fields = ("user", "organization", "role")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name in ("user", "organization"):
                if name in self.fields:
                    self.fields[name].disabled = True


class MembershipInline(CheckedAutocompleteMixin, admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    extra = 0
    # Leaving an organisation goes through `membership_remove` (the Membership admin's delete),
    # which also takes the person out of the organisation's group; an inline delete would not.
    can_delete = False
    readonly_fields = ("created_at",)


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    fields = ("organization", "role", "created_at")
    autocomplete_fields = ("organization",)


class OrganizationMembershipInline(MembershipInline):
    fk_name = "organization"
    fields = ("user", "role", "created_at")
    autocomplete_fields = ("user",)


class MembershipFormsetMixin:
    """Saves membership rows from an inline through `membership_add` (groups follow)."""

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        for membership in formset.save(commit=False):
            saved = membership_add(
                user=membership.user, organization=membership.organization, role=membership.role
            )
            membership.pk = saved.pk


@admin.register(User)
class UserAdmin(MembershipFormsetMixin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Portal"),
            {"fields": ("uuid", "mobile", "mobile_confirmed_at", "preferred_language")},
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Personal info"), {"fields": ("first_name", "email", "mobile")}),
    )
    readonly_fields = ("uuid", "mobile_confirmed_at", "last_login", "date_joined")
    list_display = (
        "username",
        "first_name",
        "email",
        "organisations",
        "is_staff",
        "is_active",
    )
    list_filter = (
        "is_staff",
        "is_superuser",
        "is_active",
        "memberships__organization__kind",
        "preferred_language",
    )
    search_fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "mobile",
        "memberships__organization__name_zh",
    )
    inlines = (UserMembershipInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__organization")

    @admin.display(description=_("organisations"))
    def organisations(self, obj: User) -> str:
        return ", ".join(str(m.organization) for m in obj.memberships.all())


class WorkgroupMembershipInline(CheckedAutocompleteMixin, admin.TabularInline):
    model = WorkgroupMembership
    extra = 0
    autocomplete_fields = ("organization",)


class OrganizationWorkgroupInline(admin.TabularInline):
    model = WorkgroupMembership
    extra = 0
    fields = ("workgroup", "role")


@admin.register(Organization)
class OrganizationAdmin(MembershipFormsetMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "kind",
        "unified_social_credit_code",
        "provides_data",
        "is_active",
    )
    list_filter = ("kind", "provides_data", "keeps_company_registry", "is_active")
    search_fields = ("code", "name_zh", "name_en", "unified_social_credit_code")
    readonly_fields = ("uuid", "group", "created_at")
    fields = (
        "code",
        "name_zh",
        "name_en",
        "kind",
        "unified_social_credit_code",
        "provides_data",
        "keeps_company_registry",
        "carrier",
        "is_active",
        "uuid",
        "group",
        "created_at",
    )
    inlines = (OrganizationMembershipInline, OrganizationWorkgroupInline)

    def get_readonly_fields(self, request, obj=None):
        # The code names the organisation's permission group: it never changes.
        if obj is not None:
            return (*self.readonly_fields, "code")
        return self.readonly_fields

    def save_model(self, request, obj: Organization, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = organization_upsert(
            code=obj.code,
            name_zh=obj.name_zh,
            name_en=obj.name_en,
            kind=obj.kind,
            unified_social_credit_code=obj.unified_social_credit_code,
            provides_data=obj.provides_data,
            carrier=obj.carrier,
            keeps_company_registry=obj.keeps_company_registry,
        )
        if saved.is_active != obj.is_active:
            saved.is_active = obj.is_active
            saved.save(update_fields=["is_active"])
        # The admin goes on with `obj` (log entry, inlines, redirect): make it the saved row.
        obj.__dict__.update(
            {k: v for k, v in saved.__dict__.items() if not k.startswith("_")},
        )
        obj._state.adding = False
        obj._state.db = saved._state.db


@admin.register(Membership)
class MembershipAdmin(CheckedAutocompleteMixin, admin.ModelAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", "organization__kind")
    search_fields = (
        "user__username",
        "user__first_name",
        "organization__name_zh",
        "organization__code",
    )
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user", "organization")
    readonly_fields = ("created_at",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "user", "organization")
        return self.readonly_fields

    def delete_model(self, request, obj: Membership) -> None:
        # Through the service, so the person also leaves the organisation's groups.
        membership_remove(user=obj.user, organization=obj.organization)

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset.select_related("user", "organization"):
            self.delete_model(request, membership)

    def save_model(self, request, obj: Membership, form, change: bool) -> None:
        saved = membership_add(user=obj.user, organization=obj.organization, role=obj.role)
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj._state.adding = False


class SlaPolicyInline(admin.TabularInline):
    model = SlaPolicy
    extra = 0


@admin.register(Workgroup)
class WorkgroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    search_fields = ("code", "name_zh", "name_en")
    inlines = (WorkgroupMembershipInline, SlaPolicyInline)


@admin.register(WorkgroupMembership)
class WorkgroupMembershipAdmin(CheckedAutocompleteMixin, admin.ModelAdmin):
    list_display = ("workgroup", "organization", "role")
    list_filter = ("workgroup", "role", "organization__kind")
    search_fields = ("organization__name_zh", "organization__name_en", "organization__code")
    list_select_related = ("workgroup", "organization")
    autocomplete_fields = ("organization",)


@admin.register(Town)
class TownAdmin(CheckedAutocompleteMixin, admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "governing_organization")
    search_fields = ("code", "name_zh", "name_en")
    list_select_related = ("governing_organization",)
    autocomplete_fields = ("governing_organization",)


@admin.register(OperatorCoverage)
class OperatorCoverageAdmin(admin.ModelAdmin):
    """The franchise map (gas by town): staff change which operator serves a town here."""

    list_display = ("utility", "town", "operator")
    list_display_links = ("utility",)
    list_editable = ("operator",)
    list_filter = ("utility", "town", "operator")
    search_fields = ("town__name_zh", "town__code", "operator__name_zh", "operator__code")
    list_select_related = ("operator", "town")
    ordering = ("utility", "town__code", "operator__code")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("workgroup", "stage", "variant", "working_days")
    list_editable = ("working_days",)
    list_filter = ("workgroup", "stage", "variant")
    list_select_related = ("workgroup",)


@admin.register(EscalationTier)
class EscalationTierAdmin(CheckedAutocompleteMixin, admin.ModelAdmin):
    list_display = ("level", "name_zh", "name_en", "organization", "climb_after_working_days")
    list_editable = ("climb_after_working_days",)
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)


@admin.register(PermitAuthority)
class PermitAuthorityAdmin(CheckedAutocompleteMixin, admin.ModelAdmin):
    list_display = ("permit_type", "agency", "working_days")
    list_editable = ("working_days",)
    list_select_related = ("agency",)
    autocomplete_fields = ("agency",)


@admin.register(ApiToken)
class ApiTokenAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Tokens are created by `api_token_create` (the plaintext is shown once, there); here
    staff see them, never their digest, and revoke them."""

    list_display = (
        "organization",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("organization__kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("organization__name_zh", "organization__code", "name", "prefix")
    list_select_related = ("organization",)
    fields = (
        "organization",
        "name",
        "prefix",
        "scopes",
        "user",
        "created_by",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
        "uuid",
    )
    readonly_fields = fields
    actions = ("revoke",)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["view"])
    def revoke(self, request, queryset) -> None:
        revoked = 0
        for token in queryset.select_related("organization"):
            try:
                api_token_revoke(actor=request.user, token=token, via=ApiTokenChannel.ADMIN)
            except PermissionDenied as exc:
                self.message_user(request, f"{token}: {exc}", messages.ERROR)
            else:
                revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS if revoked else messages.WARNING,
        )


@admin.register(ApiTokenEvent)
class ApiTokenEventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Who created, rotated or revoked which token, when: read-only, for administrators (an
    organisation's managers see their own on the staff site's API tokens page)."""

    list_display = ("at", "organization", "action", "token", "replaced", "actor", "via")
    list_filter = ("action", "via", "organization__kind")
    search_fields = ("organization__code", "organization__name_zh", "token__prefix")
    list_select_related = ("organization", "token", "replaced", "actor")
    date_hierarchy = "at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Replayed API responses: for superusers investigating a client's retries."""

    list_display = ("created_at", "scope", "method", "path", "status_code")
    list_filter = ("method", "status_code")
    search_fields = ("scope", "key", "path")
    ordering = ("-created_at",)

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser


class CompanyIdentityEventInline(admin.TabularInline):
    model = CompanyIdentityEvent
    extra = 0
    can_delete = False
    fields = ("at", "name", "from_state", "to_state", "credit_code", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CompanyIdentity)
class CompanyIdentityAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """A company's verification moves only through workgroups/identity.py (the registry's push,
    the staff site's review and dispute pages); here administrators read it and its history."""

    list_display = ("organization", "credit_code", "status", "verified_via", "verified_at")
    list_filter = ("status", "verified_via")
    search_fields = ("organization__name_zh", "credit_code")
    list_select_related = ("organization",)
    inlines = (CompanyIdentityEventInline,)


@admin.register(CompanyRegistryRecord)
class CompanyRegistryRecordAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("credit_code", "name", "legal_representative", "pushed_at")
    search_fields = ("credit_code", "name")


@admin.register(CompanyDispute)
class CompanyDisputeAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("credit_code", "holder", "claimant", "status", "decided_for", "opened_at")
    list_filter = ("status", "decided_for")
    search_fields = ("credit_code", "holder__name_zh", "claimant__name_zh")
    list_select_related = ("holder", "claimant")
