"""Rendered parts of signed-in pages, kept while the rows they show are unchanged.

A page asks for its part with the version of its data (core/fingerprint.py) and a function
that renders it. The key also holds who reads it, in which language, on which day (working
days and deadlines count from today), and a digest of the reader's CSRF secret: the forms in a
cached part carry tokens of that secret, so a new sign-in (a new secret) renders afresh, and a
visit without the CSRF cookie yet is rendered and not kept. The
secret itself never leaves the process. Entries live `PAGE_CACHE_SECONDS` at most, which also
bounds how long a change of reference data (an SLA, a holiday, a renamed operator) waits.

While Redis does not answer, every read misses and the part is rendered (cache_guard).
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation

from .cache_guard import GuardedCache

page_cache = GuardedCache("pages", fallback=None)


def cached_part(
    request: HttpRequest,
    *,
    name: str,
    version: Callable[[], str | None],
    render: Callable[[], Any],
) -> Any:
    """`render()`'s value for this reader and the data's `version()`, from the cache when it
    has it. A version of None (no digest on this database) always renders."""
    secret = request.META.get("CSRF_COOKIE")  # from the reader's cookie (CsrfViewMiddleware)
    if not secret or not settings.PAGE_CACHE_SECONDS:
        # No cookie yet (a first visit): the forms get a new secret, sent with this answer.
        return render()
    digest = version()
    if digest is None:
        return render()
    parts = (
        name,
        digest,
        str(request.user.pk),
        translation.get_language() or "",
        timezone.localdate().isoformat(),
        hashlib.sha256(secret.encode()).hexdigest(),
    )
    key = "page:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()
    found = page_cache.get(key)
    if found is not None:
        return found
    value = render()
    page_cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return value
