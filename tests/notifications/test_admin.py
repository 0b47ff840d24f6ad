"""Staff site for messages: parked deliveries are retried, secrets stay hidden, signals fan out."""

import uuid

import pytest
from django.urls import reverse

from notifications.constants import Channel, DeliveryStatus, EventType
from notifications.models import Delivery, DeliveryRetry, DemandSignal, WebhookEndpoint
from tests.factories import UserFactory, staff_of
from tests.webhook_addresses import NON_PUBLIC, PUBLIC
from workgroups.models import Organization, Town

SECRET = "whsec-admin-test-7d1c2b"


@pytest.fixture
def admin_client(client, reference):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def endpoint(reference):
    return WebhookEndpoint.objects.create(
        organization=Organization.objects.get(code="csg-zhongshan"),
        url="https://dispatch.example.cn/hooks",
        secret=SECRET,
    )


def _delivery(endpoint, status):
    return Delivery.objects.create(
        event_id=uuid.uuid4(),
        event_type=EventType.WORK_ITEM_ASSIGNED,
        channel=Channel.WEBHOOK,
        idempotency_key=f"test:{uuid.uuid4()}",
        recipient_organization=endpoint.organization,
        endpoint=endpoint,
        subject="新工单",
        status=status,
        attempts=8 if status == DeliveryStatus.FAILED else 1,
        last_error="HTTP 503 from https://dispatch.example.cn/hooks",
    )


def test_staff_see_the_last_error_and_retry_only_parked_deliveries(admin_client, endpoint):
    parked = _delivery(endpoint, DeliveryStatus.FAILED)
    sent = _delivery(endpoint, DeliveryStatus.SENT)
    listing = admin_client.get(reverse("admin:notifications_delivery_changelist"))
    assert listing.status_code == 200
    page = admin_client.get(reverse("admin:notifications_delivery_change", args=[parked.pk]))
    assert "HTTP 503" in page.content.decode()
    response = admin_client.post(
        reverse("admin:notifications_delivery_changelist"),
        {"action": "retry_failed", "_selected_action": [parked.pk, sent.pk]},
    )
    assert response.status_code == 302
    parked.refresh_from_db()
    sent.refresh_from_db()
    assert (parked.status, parked.attempts) == (DeliveryStatus.PENDING, 0)
    assert sent.status == DeliveryStatus.SENT


def test_staff_filter_parked_deliveries_by_endpoint_and_organisation_and_retry_them_in_bulk(
    admin_client, endpoint
):
    other = WebhookEndpoint.objects.create(
        organization=Organization.objects.get(code="zs-water"),
        url="https://hooks.water.example.cn/portal",
        secret=SECRET,
    )
    parked = [_delivery(endpoint, DeliveryStatus.FAILED) for _ in range(3)]
    elsewhere = _delivery(other, DeliveryStatus.FAILED)
    delivered = _delivery(endpoint, DeliveryStatus.SENT)
    changelist = reverse("admin:notifications_delivery_changelist")
    filters = f"?endpoint={endpoint.pk}&status__exact=failed"

    listing = admin_client.get(changelist + filters)
    assert listing.status_code == 200
    assert {d.pk for d in listing.context["cl"].result_list} == {d.pk for d in parked}
    by_org = admin_client.get(changelist + f"?organization={other.organization_id}")
    assert {d.pk for d in by_org.context["cl"].result_list} == {elsewhere.pk}
    assert str(other) in listing.content.decode()  # offered as a filter

    # "Select all" on the filtered list: every parked row of that endpoint, not the others.
    response = admin_client.post(
        changelist + filters,
        {"action": "retry_failed", "select_across": "1", "_selected_action": [parked[0].pk]},
    )
    assert response.status_code == 302
    assert set(Delivery.objects.filter(status="pending").values_list("pk", flat=True)) == {
        d.pk for d in parked
    }
    assert Delivery.objects.get(pk=elsewhere.pk).status == DeliveryStatus.FAILED
    assert Delivery.objects.get(pk=delivered.pk).status == DeliveryStatus.SENT
    retries = DeliveryRetry.objects.filter(delivery__in=parked)
    assert {(r.actor.username, r.attempts_before) for r in retries} == {("root", 8)}
    page = admin_client.get(reverse("admin:notifications_delivery_change", args=[parked[0].pk]))
    assert "root" in page.content.decode()


def test_staff_without_the_delivery_permission_can_neither_list_nor_retry(client, endpoint):
    parked = _delivery(endpoint, DeliveryStatus.FAILED)
    client.force_login(staff_of("csg-zhongshan", username="csg-lead", is_staff=True))
    changelist = reverse("admin:notifications_delivery_changelist")
    assert client.get(changelist).status_code == 403
    response = client.post(changelist, {"action": "retry_failed", "_selected_action": [parked.pk]})
    assert response.status_code == 403
    parked.refresh_from_db()
    assert parked.status == DeliveryStatus.FAILED


def test_webhook_secret_is_never_shown_and_kept_when_left_empty(admin_client, endpoint):
    url = reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    response = admin_client.post(
        url,
        {
            "organization": endpoint.organization_id,
            "url": "https://dispatch.example.cn/hooks/v2",
            "secret": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.secret) == ("https://dispatch.example.cn/hooks/v2", SECRET)


ADD_ENDPOINT = "admin:notifications_webhookendpoint_add"
GOOD_SECRET = "staff-chosen-secret-0123456789"


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    return settings


def _add_endpoint(client, *, url: str, secret: str = GOOD_SECRET):
    return client.post(
        reverse(ADD_ENDPOINT),
        {
            "organization": Organization.objects.get(code="csg-zhongshan").pk,
            "url": url,
            "secret": secret,
            "is_active": "on",
        },
    )


def _form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200  # the form again, with its errors
    return dict(response.context["adminform"].form.errors)


@pytest.mark.parametrize(("host", "address"), NON_PUBLIC)
def test_the_staff_site_refuses_every_spelling_of_a_non_public_address(
    admin_client, production, host, address
):
    errors = _form_errors(_add_endpoint(admin_client, url=f"https://{host}/hooks"))
    assert list(errors) == ["url"]
    [message] = errors["url"]
    assert address in message
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("host", PUBLIC)
def test_the_staff_site_accepts_public_addresses(admin_client, production, host):
    response = _add_endpoint(admin_client, url=f"https://{host}/hooks")
    assert response.status_code == 302
    assert WebhookEndpoint.objects.get().url == f"https://{host}/hooks"


@pytest.mark.parametrize(
    "secret",
    [
        "sixteen-chars-ok",  # the API wants 24 at least
        "a" * 23,
        "a" * 129,
        "twenty four chars with spaces",
        "密钥" * 12,
    ],
)
def test_the_staff_site_applies_the_apis_secret_rules(admin_client, production, secret):
    errors = _form_errors(_add_endpoint(admin_client, url="https://8.8.8.8/hooks", secret=secret))
    assert list(errors) == ["secret"]
    assert not WebhookEndpoint.objects.exists()
    accepted = _add_endpoint(admin_client, url="https://8.8.8.8/hooks", secret="a" * 24)
    assert accepted.status_code == 302


def test_the_staff_site_refuses_moving_an_endpoint_inside_but_may_switch_it_off(
    admin_client, production, endpoint
):
    change = reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk])
    form = {"organization": endpoint.organization_id, "secret": "", "is_active": "on"}
    moved = admin_client.post(change, {**form, "url": "https://[64:ff9b::a9fe:a9fe]/latest"})
    assert list(_form_errors(moved)) == ["url"]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://dispatch.example.cn/hooks"

    # An endpoint whose address is refused now (written before the guard knew the spelling)
    # can still be switched off, but not on again.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="https://[::ffff:10.0.0.1]/h")
    off = {**form, "url": "https://[::ffff:10.0.0.1]/h"}
    del off["is_active"]
    assert admin_client.post(change, off).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert list(_form_errors(admin_client.post(change, {**off, "is_active": "on"}))) == ["url"]
    endpoint.refresh_from_db()
    assert endpoint.is_active is False


def test_a_signal_recorded_in_the_staff_site_reaches_the_operators(admin_client):
    response = admin_client.post(
        reverse("admin:notifications_demandsignal_add"),
        {
            "kind": "investment",
            "source_organization": Organization.objects.get(code="investment").pk,
            "title": "三乡镇新能源电池项目签约",
            "town": Town.objects.get(code="sanxiang").pk,
            "location": "三乡镇工业园",
            "expected_utilities": ["electricity", "water"],
            "expected_date": "2027-06-01",
            "notices-TOTAL_FORMS": "0",
            "notices-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    signal = DemandSignal.objects.get()
    assert sorted(signal.notices.values_list("operator__code", flat=True)) == [
        "csg-zhongshan",
        "zs-water",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("parameter", ["endpoint", "organization"])
def test_a_filter_value_that_is_no_number_lists_everything(admin_client, endpoint, parameter):
    """`"²".isdigit()` is true but `int("²")` fails: that was a server error."""
    _delivery(endpoint, DeliveryStatus.FAILED)
    changelist = reverse("admin:notifications_delivery_changelist")
    response = admin_client.get(changelist, {parameter: "²"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
