"""`Idempotency-Key` on every POST: a retry gets the first response and changes nothing twice.

The record is inserted first, in the same transaction as the work the request does, and the
response is written into it before that transaction commits. So the change and its recorded
response commit together or not at all, and a concurrent retry with the same key waits on the
unique index until the first commits, then replays its response. Server errors roll back both
(the record too), so the client may simply retry. Every other response, 4xx included, is kept:
the same key always gives the same answer.
"""

import hashlib
import json
import re
from functools import wraps

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.api.schema import IDEMPOTENCY_KEY_PATTERN

from ..models import IdempotencyRecord
from .auth import principal_of

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_reused"


def _scope(request) -> tuple[str, object]:
    principal = principal_of(request)
    if principal.token is not None:
        return principal.idempotency_scope, principal.organization
    return f"user:{request.user.uuid}", principal.organization


def _jsonable(value) -> str:
    if isinstance(value, UploadedFile):  # multipart: the file's content, not just its name
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return f"file:{value.name}:{digest.hexdigest()}"
    return str(value)


def _request_hash(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    return Response(
        record.response_body, status=record.status_code, headers={REPLAYED_HEADER: "true"}
    )


def idempotent(handler):
    """Decorate a POST handler of an APIView/viewset (runs after authentication)."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _KEY.match(key):
            raise ValidationError(
                {HEADER: [_("Use 1 to 255 visible ASCII characters, e.g. a UUID.")]}
            )
        scope, organization = _scope(request)
        request_hash = _request_hash(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        scope=scope,
                        key=key,
                        organization=organization,
                        method=request.method,
                        path=request.path[:500],
                        request_hash=request_hash,
                    )
            except IntegrityError:
                # Committed by an earlier (or just finished concurrent) request.
                earlier = IdempotencyRecord.objects.get(scope=scope, key=key)
                if earlier.request_hash != request_hash:
                    raise IdempotencyKeyReused(
                        _("This Idempotency-Key was already used with a different request.")
                    ) from None
                return _replay(earlier)
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - rendered by the one exception handler
                response = view.handle_exception(exc)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            # A view may keep a secret out of the replay store (a claim code shown once):
            # it sets `replay_data`, what a retry gets instead of the first answer's data.
            stored = getattr(response, "replay_data", response.data)
            record.response_body = json.loads(JSONRenderer().render(stored) or b"null")
            record.save(update_fields=["status_code", "response_body"])
            return response

    wrapper.idempotent = True
    return wrapper
