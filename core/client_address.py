"""The address a request comes from: the one rule behind every per-client limit.

The sign-in limiter (django-axes, `AXES_CLIENT_IP_CALLABLE`), the password-reset limit and the
API's anonymous rate limit all key on `client_address(request)`, so they can never disagree on
who the client is.

`TRUSTED_PROXY_COUNT` says how many reverse proxies stand in front of the application (0: none,
the client talks to it directly). Each proxy appends the address it saw to `X-Forwarded-For`, so
only the last `TRUSTED_PROXY_COUNT` entries of that header were written by a proxy; anything to
their left came from the client and is ignored. With N proxies the client is the N-th entry from
the right (the address the outermost trusted proxy saw). With 0 the header is never read: a
client could write anything in it.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str:
    """`address` if it spells an IP address, else "" (a limiter then sees no address rather
    than a made-up one)."""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""


def client_address(request: HttpRequest) -> str:
    """The client's IP address as the configured trusted proxies saw it; "" if unknown."""
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < proxies:
        # The request did not pass through every proxy we were told about.
        return remote
    return _valid(forwarded[-proxies]) or remote
