"""Cursor pagination: stable under inserts, and the cursor never exposes an integer id.

A cursor is signed (django.core.signing, with SECRET_KEY): the portal reads back only positions
it wrote itself. A cursor that was damaged, built by hand or signed with another key is a 400
naming `cursor`, never a 404, a 500 or a page from some other position.
"""

from collections.abc import Callable
from typing import cast

from django.core import signing
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.utils.urls import replace_query_param

_CURSOR_SALT = "core.api.pagination.cursor"


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

    def paginate_forward(
        self, request, fetch: Callable[[str | None, int, int], list[dict]]
    ) -> list[dict] | None:
        """`paginate_queryset` for a walk forward (the first page, or a `next` cursor) whose
        rows come from `fetch(position, offset, limit)`: at most `limit` rows in this
        ordering whose first ordering field is beyond `position` (None: from the start),
        skipping `offset`. The same page, links and errors as `paginate_queryset` over a
        queryset of those rows, without building one. None for a `previous` cursor: the
        caller pages its queryset instead."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        if self.cursor is not None and self.cursor.reverse:
            return None
        offset, position = 0, None
        if self.cursor is not None:
            # The stubs say int; the position is the text decode_cursor read back.
            offset, position = self.cursor.offset, cast("str | None", self.cursor.position)
        results = fetch(position, offset, self.page_size + 1)
        # From here on DRF's paginate_queryset for a forward cursor, as it is.
        self.page = list(results[: self.page_size])
        self.has_next = len(results) > len(self.page)
        self.next_position = (
            self._get_position_from_instance(results[-1], self.ordering) if self.has_next else None
        )
        self.has_previous = position is not None or offset > 0
        self.previous_position = position
        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True
        return self.page

    def encode_cursor(self, cursor: Cursor) -> str:
        tokens: dict[str, object] = {}
        if cursor.offset:
            tokens["o"] = cursor.offset
        if cursor.reverse:
            tokens["r"] = 1
        if cursor.position is not None:
            tokens["p"] = str(cursor.position)
        signed = signing.Signer(salt=_CURSOR_SALT).sign_object(tokens, compress=True)
        return replace_query_param(self.base_url or "", self.cursor_query_param, signed)

    def decode_cursor(self, request) -> Cursor | None:
        values = request.query_params.getlist(self.cursor_query_param)
        if not values:
            return None
        try:
            if len(values) > 1:
                raise ValueError("several cursors")
            tokens = signing.Signer(salt=_CURSOR_SALT).unsign_object(values[0])
            offset, reverse, position = tokens.get("o", 0), tokens.get("r", 0), tokens.get("p")
            if not isinstance(offset, int) or not 0 <= offset <= self.offset_cutoff:
                raise ValueError("offset")
            if reverse not in (0, 1) or not (position is None or isinstance(position, str)):
                raise ValueError("reverse or position")
        except (signing.BadSignature, ValueError, TypeError, AttributeError) as exc:
            raise ValidationError({self.cursor_query_param: [_("Invalid cursor.")]}) from exc
        # The stubs say int; DRF keeps the position as the text it encoded, as here.
        return Cursor(offset=offset, reverse=bool(reverse), position=position)  # type: ignore[arg-type]

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
