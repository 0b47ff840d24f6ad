"""Admin building blocks shared by every app's admin."""

from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.widgets import (
    AutocompleteMixin,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.core.exceptions import ValidationError


class ViewOnlyAdminMixin:
    """Rows staff may look at but never add, edit or delete in the admin: records written only
    by services (audit trails, tokens, case rows changed through transitions)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _CheckedValues(AutocompleteMixin):
    """Django's autocomplete widget looks the submitted value up to show it again beside the
    form's errors, with no check that it is one the column can hold: `10000-01-01` posted for
    an organisation's id was a server error instead of "Select a valid choice". Values the
    target column refuses are left out of that look-up (the field itself reports them)."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        kept = []
        for item in value:
            try:
                target.run_validators(target.to_python(item))
            except (ValidationError, TypeError, ValueError):
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class CheckedAutocompleteSelect(_CheckedValues, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(_CheckedValues, AutocompleteSelectMultiple):
    pass


class CheckedAutocompleteMixin(BaseModelAdmin):
    """For a ModelAdmin or inline with `autocomplete_fields`: the same widgets, safe with any
    posted value."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
