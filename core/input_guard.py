"""NUL characters are refused at the door: one check of every request's input, before any view.

PostgreSQL cannot store a NUL character in text or JSON, and psycopg refuses to send one, so a
NUL that reaches a query or a save is a server error. Django's CharField refuses NUL, but much
input never passes one: choice and model-choice lookups, raw query parameters, the admin's
changelist filters, JSON values kept as typed (drafts). No person types a NUL; so rather than
guard each of those paths, every request is read once here and one holding a NUL anywhere
(the path, a query parameter's or form field's name or value, a JSON key or value) is answered
400 naming each field: under /api/ in the one JSON error shape, elsewhere as a page.
"""

import json
from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.shortcuts import render
from django.utils.translation import gettext as _

from .api.parsers import max_body_bytes
from .api.problems import problem, summary

__all__ = ["NullCharacterGuardMiddleware", "null_character_fields"]

NUL = "\x00"
API_PREFIX = "/api/"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _multi(data) -> Iterator[tuple[str, list]]:
    for key in data:
        yield key, data.getlist(key)


def _json_paths(value, path: str = "") -> Iterator[str]:
    """The path (`details.capacity_kva`, `documents.0`) of every key or string holding NUL."""
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield name
            else:
                yield from _json_paths(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_paths(item, f"{path}.{index}" if path else str(index))
    elif isinstance(value, str) and NUL in value:
        yield path or "non_field_errors"


def _json_body(request: HttpRequest):
    """The JSON body, when there is one small enough to read (a larger one is the API's
    parser's to refuse, with its own status) and it parses (else the parser says so)."""
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        return None
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < declared <= max_body_bytes():
        return None
    try:
        return json.loads(request.body.decode(request.encoding or "utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def null_character_fields(request: HttpRequest) -> list[str]:
    """Names of the request's fields that hold a NUL character (in the name or a value)."""
    found: list[str] = []
    if NUL in request.path:  # a URL parameter (%00) reaches lookups like a query value
        found.append("path")
    for key, values in _multi(request.GET):
        if NUL in key or any(NUL in value for value in values):
            found.append(key)
    if request.method not in _BODY_METHODS:
        return found
    body = _json_body(request)
    if body is not None:
        found += _json_paths(body)
    elif request.content_type in _FORM_TYPES and not request.path.startswith(API_PREFIX):
        # The API reads its one multipart upload with its own parser and limit: its text
        # fields are serializer fields, which refuse NUL themselves.
        # (An uploaded file's name needs no check: Django drops unprintable characters.)
        try:
            fields = list(_multi(request.POST))
        except UnreadablePostError:
            return found  # the view meets the same error
        for key, values in fields:
            if NUL in key or any(NUL in value for value in values):
                found.append(key)
    return list(dict.fromkeys(found))


def _shown(name: str) -> str:
    return name.replace(NUL, "\ufffd")


class NullCharacterGuardMiddleware:
    """Answers 400 to a request holding a NUL character anywhere in its input, naming each
    field, before any view (or the admin, or the API) reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields = null_character_fields(request)
        if not fields:
            return self.get_response(request)
        # Django's own message, translated here too: its Chinese says "empty string".
        message = _("Null characters are not allowed.")
        errors = {_shown(name): [message] for name in fields}
        if request.path.startswith(API_PREFIX):
            body = problem(400, "validation_error", summary(errors), errors, _("Invalid input"))
            return JsonResponse(body, status=400)
        return render(request, "core/refused_input.html", {"errors": errors}, status=400)
