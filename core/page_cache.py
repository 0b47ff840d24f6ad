"""Signed-in pages kept whole while the rows they show are unchanged.

A view asks for its page with the version of its data (core/fingerprint.py) and a function
that renders it. The version covers the page's own rows and the layout's (`layout_reads`: who
is signed in, for which organisation, how many messages are unread), which the layers above
register here. The key also holds who reads it, in which language, on which day (working
days and deadlines count from today), the path, and a digest of the reader's CSRF secret: the
forms in a kept page carry tokens of that secret, so a new sign-in (a new secret) renders
afresh, and a visit without the CSRF cookie yet is rendered and not kept. The secret itself
never leaves the process. A visit with messages waiting (a flash after an action) is rendered,
so that it shows them. Entries live `PAGE_CACHE_SECONDS` at most, which also bounds how long a
change of reference data (an SLA, a holiday, a renamed operator) waits.

While Redis does not answer, every read misses and the page is rendered (cache_guard).
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from .cache_guard import GuardedCache

page_cache = GuardedCache("pages", fallback=None)

# (the reader's user id) -> querysets of the rows the signed-in layout shows of them.
LayoutReads = Callable[[int], list[QuerySet]]
_layout_reads: list[LayoutReads] = []


def register_layout_reads(reads: LayoutReads) -> LayoutReads:
    if reads not in _layout_reads:
        _layout_reads.append(reads)
    return reads


def layout_reads(user: int) -> list[QuerySet]:
    """The rows the header of every signed-in page shows: part of each cached page's version."""
    return [qs for reads in _layout_reads for qs in reads(user)]


def _kept(request: HttpRequest) -> bool:
    secret = request.META.get("CSRF_COOKIE")  # from the reader's cookie (CsrfViewMiddleware)
    # No cookie yet (a first visit): the forms get a new secret, sent with this answer.
    return bool(secret and settings.PAGE_CACHE_SECONDS and not len(get_messages(request)))


def cached_page(
    request: HttpRequest,
    *,
    name: str,
    version: Callable[[], str | None],
    render: Callable[[], HttpResponse],
) -> HttpResponse:
    """`render()`'s page for this reader and the data's `version()`, from the cache when it
    has it. A version of None (no digest on this database) always renders; only a 200 is
    kept."""
    if not _kept(request):
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
        request.get_full_path(),
        hashlib.sha256(request.META["CSRF_COOKIE"].encode()).hexdigest(),
    )
    key = "page:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()
    found = page_cache.get(key)
    if found is not None:
        content, content_type = found
        return HttpResponse(content, content_type=content_type)
    response = render()
    if response.status_code == 200 and not response.streaming:
        value = (response.content, response["Content-Type"])
        page_cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return response
