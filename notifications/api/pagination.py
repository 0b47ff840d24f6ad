"""Cursor pages in creation order (these rows have no `updated_at`)."""

from applications.api.pagination import UpdatedCursorPagination


class CreatedCursorPagination(UpdatedCursorPagination):
    """Oldest first: an inbox is worked through like a queue, and new rows go to the end."""

    ordering = ("created_at", "id")
