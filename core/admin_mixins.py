"""Admin building blocks shared by every app's admin."""


class ViewOnlyAdminMixin:
    """Rows staff may look at but never add, edit or delete in the admin: records written only
    by services (audit trails, tokens, case rows changed through transitions)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
