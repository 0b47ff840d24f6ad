"""Cursor pagination: stable under inserts, and the cursor never exposes an integer id."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class UpdatedCursorPagination(CursorPagination):
    """Oldest change first, so `updated_after` plus the cursor make an incremental sync.

    Unlike DRF's default, a bad `page_size` or `cursor` is a 400 naming the parameter, not a
    silent fallback or a 404: a sync client should hear that it sent something wrong.
    """

    ordering = ("updated_at", "id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        try:
            size = int(raw[-1])
        except ValueError:
            size = 0
        if len(raw) > 1 or not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 to %s.") % self.max_page_size
                    ]
                }
            )
        return size

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [_("Invalid cursor.")]}) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = _(
                    "Opaque position from the `next` or `previous` link; do not build it."
                )
        return parameters


class CreatedCursorPagination(UpdatedCursorPagination):
    """Oldest first, for rows without `updated_at`: an inbox is worked through like a queue,
    and new rows go to the end."""

    ordering = ("created_at", "id")
