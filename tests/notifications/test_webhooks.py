"""Webhook endpoints are registered and removed only by their organisation, to safe URLs."""

import pytest

from core.errors import NotFound, PermissionDenied
from notifications.services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_deactivate,
    webhook_url_errors,
)
from tests.factories import staff_of
from workgroups.models import Organization


@pytest.mark.parametrize(
    ("url", "production", "development"),
    [
        ("https://dispatch.csg.example.cn/hooks/portal", True, True),
        ("https://203.0.113.9:8443/hooks", False, False),  # documentation range: not global
        ("https://8.8.8.8/hooks", True, True),
        ("http://dispatch.csg.example.cn/hooks", False, False),
        ("http://127.0.0.1:8000/hooks", False, True),
        ("http://localhost:8000/hooks", False, True),
        ("https://[::1]/hooks", False, True),
        ("https://192.168.1.10/hooks", False, False),
        ("https://100.64.0.1/hooks", False, False),  # carrier-grade NAT
        ("https://a:b@dispatch.csg.example.cn/hooks", False, False),
        ("https://dispatch.csg.example.cn/hooks#part", False, False),
        ("https://dispatch.csg.example.cn:99999/hooks", False, False),
        ("https://" + "a" * 500 + ".cn/", False, False),
    ],
)
def test_only_https_to_public_hosts_outside_development(settings, url, production, development):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    settings.DEBUG = False
    assert (webhook_url_errors(url) == []) is production
    settings.DEBUG = True
    assert (webhook_url_errors(url) == []) is development


def test_only_a_member_registers_or_removes_an_organisations_endpoint(reference):
    power = Organization.objects.get(code="csg-zhongshan")
    with pytest.raises(PermissionDenied):
        webhook_endpoint_create(
            actor=staff_of("zs-water"), organization=power, url="https://csg.example.cn/h"
        )
    endpoint, secret = webhook_endpoint_create(
        actor=staff_of("csg-zhongshan"), organization=power, url="https://csg.example.cn/h"
    )
    assert secret and endpoint.secret == secret
    with pytest.raises(NotFound):
        webhook_endpoint_deactivate(
            actor=staff_of("zs-water", username="water-2"), endpoint=endpoint
        )
    endpoint.refresh_from_db()
    assert endpoint.is_active is True
