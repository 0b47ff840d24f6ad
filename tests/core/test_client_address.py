"""The client's address: REMOTE_ADDR unless trusted proxies are configured, then the entry of
X-Forwarded-For that the outermost trusted proxy wrote."""

import pytest
from django.test import RequestFactory

from core.client_address import client_address


def _request(remote: str = "10.0.0.2", forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # No proxy: the header is the client's own writing and is never read.
        (0, None, "10.0.0.2"),
        (0, "203.0.113.9", "10.0.0.2"),
        # One proxy: the last entry is the address it saw; entries to its left are ignored.
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (1, " 198.51.100.1 ,203.0.113.9 ", "203.0.113.9"),
        # Two proxies: the second entry from the right (what the outer one saw).
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (1, "2001:db8::1", "2001:db8::1"),
        # A header shorter than the proxies configured, or none, or nonsense: the peer.
        (2, "203.0.113.9", "10.0.0.2"),
        (1, None, "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "unknown", "10.0.0.2"),
    ],
)
def test_the_client_address_follows_the_trusted_proxy_count(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_address(_request(forwarded=forwarded)) == expected


def test_an_unreadable_peer_address_is_no_address(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(_request(remote="")) == ""
