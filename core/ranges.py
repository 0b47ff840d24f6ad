"""Serving a stored file with HTTP byte ranges (RFC 9110 section 14), which Django's
FileResponse does not do: browsers need them to seek in a <video> and Safari will not play one
without them. One range per request; a request with several is answered with the whole file
(which the RFC allows), an unsatisfiable one with 416."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) inclusive for a single satisfiable range; None when the header is absent,
    malformed or asks for several ranges (serve the whole file); False when unsatisfiable."""
    match = _RANGE.match(header.strip().replace(" ", "")) if header else None
    if match is None:
        return None
    start, end = match.groups()
    if not start and not end:
        return None
    if not start:  # the last N bytes
        length = int(end)
        if length == 0 or size == 0:
            return False
        return max(size - length, 0), size - 1
    first = int(start)
    if first >= size:
        return False
    last = int(end) if end else size - 1
    if last < first:
        return None
    return first, min(last, size - 1)


def _stream(handle: IO[bytes], first: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(first)
        left = length
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def ranged_file_response(
    request: HttpRequest, handle: IO[bytes], *, size: int, content_type: str
) -> HttpResponseBase:
    """The file (open in binary mode; closed when sent) whole (200) or the requested range
    (206 with Content-Range), or 416 when the range lies past its end."""
    wanted = parse_range(request.headers.get("Range", ""), size)
    response: HttpResponseBase
    if wanted is False:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is None or request.method == "HEAD":
        response = StreamingHttpResponse(_stream(handle, 0, size), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        first, last = wanted  # type: ignore[misc]
        length = last - first + 1
        response = StreamingHttpResponse(
            _stream(handle, first, length), status=206, content_type=content_type
        )
        response["Content-Length"] = str(length)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response
