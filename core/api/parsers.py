"""JSON bodies only, and small ones: a large body is an error. (The one file upload,
project_documents.py, has its own multipart parser and limit.)"""

import codecs
import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

DEFAULT_MAX_BODY_BYTES = 256 * 1024


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "Send the body with a Content-Length header."
    default_code = "length_required"


def refuse_unmeasured_body(request) -> None:
    """A body sent without Content-Length (`Transfer-Encoding: chunked`) is refused with 411:
    Django reads such a body as empty, so the request would otherwise run without its body
    (a 3 MB JSON read as `{}`) instead of being checked against the limit."""
    if "HTTP_TRANSFER_ENCODING" in request.META and not request.META.get("CONTENT_LENGTH"):
        raise LengthRequired(
            _("Send the body with a Content-Length header; chunked bodies are not accepted.")
        )


def max_body_bytes() -> int:
    return getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)


class LimitedJSONParser(JSONParser):
    """Refuse a body over the limit before reading it (declared length) or while reading it."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        too_large = PayloadTooLarge(
            _("The request body is larger than %(kb)s KB.") % {"kb": limit // 1024}
        )
        try:
            if declared and int(declared) > limit:
                raise too_large
        except ValueError as exc:
            raise ParseError(_("Invalid Content-Length header.")) from exc
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large
        charset = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, charset)
            return json.loads(text, parse_constant=_reject_constant)
        except (ValueError, LookupError, RecursionError) as exc:
            raise ParseError(_("The body is not valid JSON: %s") % exc) from exc


def _reject_constant(name: str):
    # NaN and Infinity are not JSON; Python's parser would accept them.
    raise ValueError(f"{name} is not allowed")
