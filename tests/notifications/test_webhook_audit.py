"""Who registered or removed which webhook endpoint, and when: an append-only trail that the
endpoint organisation's staff and platform administrators read in the staff site."""

import pytest
from django.urls import reverse

from notifications.models import WebhookEndpoint, WebhookEndpointEvent
from notifications.services.webhooks import webhook_endpoint_create, webhook_endpoint_deactivate
from tests.factories import UserFactory, staff_of
from workgroups.models import Organization

CHANGELIST = "admin:notifications_webhookendpointevent_changelist"


@pytest.fixture
def trail(reference):
    """csg-zhongshan registers and removes an endpoint; zs-water registers one."""
    power_staff = staff_of("csg-zhongshan", username="csg-dispatch", is_staff=True)
    power, _secret = webhook_endpoint_create(
        actor=power_staff,
        organization=Organization.objects.get(code="csg-zhongshan"),
        url="https://dispatch.csg.example.cn/hooks",
    )
    webhook_endpoint_deactivate(actor=power_staff, endpoint=power)
    water, _secret = webhook_endpoint_create(
        actor=staff_of("zs-water", username="water-dispatch"),
        organization=Organization.objects.get(code="zs-water"),
        url="https://hooks.water.example.cn/portal",
    )
    return power, water


def test_each_registration_and_removal_is_recorded_with_who_and_when(trail):
    power, _water = trail
    events = WebhookEndpointEvent.objects.filter(endpoint=power).order_by("at", "id")
    assert [(e.action, e.actor.username) for e in events] == [
        ("registered", "csg-dispatch"),
        ("deactivated", "csg-dispatch"),
    ]
    assert events[1].detail == "0 pending deliveries parked as failed"
    assert events[0].api_token is None  # not through an API token


def test_the_trail_cannot_be_changed_or_deleted(trail):
    event = WebhookEndpointEvent.objects.first()
    with pytest.raises(TypeError):
        WebhookEndpointEvent.objects.update(detail="edited")
    with pytest.raises(TypeError):
        WebhookEndpointEvent.objects.all().delete()
    event.detail = "edited"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()


def test_an_organisations_staff_read_only_their_own_trail(client, trail):
    power, water = trail
    client.force_login(staff_of("csg-zhongshan", username="csg-lead", is_staff=True))
    listing = client.get(reverse(CHANGELIST))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "dispatch.csg.example.cn" in html and "hooks.water.example.cn" not in html
    mine = WebhookEndpointEvent.objects.filter(endpoint=power).first()
    theirs = WebhookEndpointEvent.objects.get(endpoint=water)
    page = client.get(reverse("admin:notifications_webhookendpointevent_change", args=[mine.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read-only
    other = client.get(reverse("admin:notifications_webhookendpointevent_change", args=[theirs.pk]))
    assert other.status_code == 302  # "does not exist", like a missing row
    edit = client.post(
        reverse("admin:notifications_webhookendpointevent_change", args=[mine.pk]),
        {"detail": "edited"},
    )
    assert edit.status_code == 403
    assert client.get(reverse("admin:notifications_webhookendpointevent_add")).status_code == 403
    delete = reverse("admin:notifications_webhookendpointevent_delete", args=[mine.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert WebhookEndpointEvent.objects.count() == 3


def test_people_who_are_not_staff_of_an_organisation_see_nothing(client, trail):
    client.force_login(UserFactory(username="stranger", is_staff=True))
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_administrators_see_every_trail_and_their_own_edits_are_recorded(client, trail):
    power, water = trail
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert "dispatch.csg.example.cn" in html and "hooks.water.example.cn" in html

    change = reverse("admin:notifications_webhookendpoint_change", args=[water.pk])
    response = client.post(
        change,
        {"organization": water.organization_id, "url": water.url, "secret": ""},  # inactive
    )
    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(pk=water.pk).is_active is False
    latest = WebhookEndpointEvent.objects.filter(endpoint=water).order_by("-at", "-id").first()
    assert (latest.action, latest.actor.username) == ("deactivated", "root")
    assert latest.detail == "staff site: is_active"
