"""An operator registers a webhook over the API and receives signed demand notices there."""

import datetime as dt
import json

import pytest

from notifications.constants import Channel, DeliveryStatus
from notifications.models import Delivery, WebhookEndpoint
from notifications.services import delivery_attempt, webhook_circuit_record
from tests.receiver import Receiver, running
from tests.webhook_addresses import NON_PUBLIC, PUBLIC
from workgroups.models import IdempotencyRecord

HOOK = "https://dispatch.csg.example.cn/hooks/portal"
SIGNAL = {
    "kind": "project_approval",
    "title": "石岐区总部经济大楼立项",
    "town": "shiqi",
    "expected_utilities": ["electricity"],
}


def _register(api, **body):
    return api.post("/api/v1/webhooks/", {"url": HOOK, **body}, format="json")


@pytest.fixture
def provider_api(make_token, bearer):
    return bearer(make_token("investment"))


def test_a_generated_secret_is_shown_once_and_never_listed(operator_api):
    created = _register(operator_api)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) >= 40
    assert body["is_active"] is True
    assert WebhookEndpoint.objects.get(uuid=body["uuid"]).secret == body["secret"]

    listed = operator_api.get("/api/v1/webhooks/").json()["results"]
    assert [row["uuid"] for row in listed] == [body["uuid"]]
    assert "secret" not in listed[0]
    assert "secret" not in operator_api.get(f"/api/v1/webhooks/{body['uuid']}/").json()


def test_a_secret_of_your_own_is_never_echoed(operator_api):
    created = _register(operator_api, secret="our-own-shared-secret-0123456789")
    assert created.status_code == 201, created.json()
    assert "secret" not in created.json()
    short = _register(operator_api, url=HOOK + "/2", secret="too-short")
    assert short.status_code == 400
    assert list(short.json()["errors"]) == ["secret"]


@pytest.mark.parametrize(
    "url",
    [
        "http://dispatch.csg.example.cn/hooks",  # plain http
        "https://10.20.30.40/hooks",  # private network
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://localhost/hooks",
        "http://127.0.0.1:9000/hooks",
        "https://user:password@dispatch.csg.example.cn/hooks",
        "ftp://dispatch.csg.example.cn/hooks",
        "not a url",
    ],
)
def test_production_accepts_only_https_to_a_public_host(operator_api, settings, url):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = operator_api.post("/api/v1/webhooks/", {"url": url}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_url_is_registered_once_and_at_most_five_are_active(operator_api):
    assert _register(operator_api).status_code == 201
    twice = _register(operator_api)
    assert twice.status_code == 400 and list(twice.json()["errors"]) == ["url"]
    for n in range(2, 6):
        assert _register(operator_api, url=f"{HOOK}/{n}").status_code == 201
    sixth = _register(operator_api, url=f"{HOOK}/6")
    assert sixth.status_code == 400
    assert list(sixth.json()["errors"]) == ["non_field_errors"]


def test_a_registered_receiver_gets_signed_notices_until_it_is_removed(
    operator_api, provider_api, settings
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True  # the test's own receiver on 127.0.0.1
    with running(Receiver(secret="")) as receiver:
        created = _register(operator_api, url=receiver.url).json()
        receiver.secret = created["secret"]
        assert (
            provider_api.post("/api/v1/demand-signals/", SIGNAL, format="json").status_code == 201
        )
        hooks = Delivery.objects.filter(channel=Channel.WEBHOOK, endpoint__uuid=created["uuid"])
        for delivery in hooks:
            assert delivery_attempt(delivery_id=delivery.pk) == "sent"
        [request] = receiver.requests
        assert request["valid_signature"] is True
        notice = operator_api.get("/api/v1/demand-notices/").json()["results"][0]
        assert request["json"]["type"] == "demand_notice.created"
        assert request["json"]["data"]["notice"] == notice["uuid"]
        assert request["event_id"] == notice["uuid"]

        # A second signal is written for the endpoint; removing it parks that event.
        provider_api.post("/api/v1/demand-signals/", {**SIGNAL, "title": "二期"}, format="json")
        assert hooks.filter(status=DeliveryStatus.PENDING).count() == 1
        removed = operator_api.delete(f"/api/v1/webhooks/{created['uuid']}/")
        assert removed.status_code == 200
        assert removed.json()["is_active"] is False
        assert hooks.filter(status=DeliveryStatus.PENDING).count() == 0
        assert hooks.filter(status=DeliveryStatus.FAILED).count() == 1
        assert operator_api.delete(f"/api/v1/webhooks/{created['uuid']}/").status_code == 200

        provider_api.post("/api/v1/demand-signals/", {**SIGNAL, "title": "三期"}, format="json")
        assert hooks.all().count() == 2  # nothing more written for a removed endpoint


def test_a_lost_registration_answer_is_replayed_without_the_secret_kept_at_rest(operator_api):
    def register():
        return operator_api.post(
            "/api/v1/webhooks/", {"url": HOOK}, format="json", HTTP_IDEMPOTENCY_KEY="hook-1"
        )

    first = register()
    assert first.status_code == 201
    secret = first.json()["secret"]
    assert secret.startswith("whsec_") and "secret_redacted" not in first.json()
    # The replay store keeps the answer, not the secret: a copy of the database, a backup or
    # the staff site's view of the record does not hand out a signing secret.
    record = IdempotencyRecord.objects.get(key="hook-1")
    assert secret not in json.dumps(record.response_body)
    assert (record.response_body["secret"], record.response_body["secret_redacted"]) == (None, True)

    again = register()
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["uuid"] == first.json()["uuid"]
    assert (again.json()["secret"], again.json()["secret_redacted"]) == (None, True)
    assert WebhookEndpoint.objects.count() == 1
    assert WebhookEndpoint.objects.get().secret == secret  # the endpoint itself still signs


def test_a_registration_with_its_own_secret_is_replayed_unchanged(operator_api):
    body = {"url": HOOK, "secret": "our-own-shared-secret-0123456789"}
    first, again = (
        operator_api.post("/api/v1/webhooks/", body, format="json", HTTP_IDEMPOTENCY_KEY="own-1")
        for _ in range(2)
    )
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert "secret" not in again.json() and "secret_redacted" not in again.json()


@pytest.mark.parametrize(("host", "address"), NON_PUBLIC)
def test_every_spelling_of_a_non_public_address_is_refused(operator_api, settings, host, address):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = operator_api.post(
        "/api/v1/webhooks/", {"url": f"https://{host}/hooks"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and list(body["errors"]) == ["url"]
    [message] = body["errors"]["url"]
    assert address in message  # the guard's refusal naming the address, not a format error
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_are_accepted_in_any_spelling(operator_api, settings, host):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = operator_api.post(
        "/api/v1/webhooks/", {"url": f"https://{host}/hooks"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert WebhookEndpoint.objects.get().url == f"https://{host}/hooks"


def test_registering_and_removing_are_audited_with_the_token_used(operator_api, reference):
    from notifications.models import WebhookEndpointEvent
    from workgroups.models import ApiToken

    created = _register(operator_api).json()
    endpoint = WebhookEndpoint.objects.get(uuid=created["uuid"])
    token = ApiToken.objects.get(organization__code="csg-zhongshan")
    assert operator_api.delete(f"/api/v1/webhooks/{created['uuid']}/").status_code == 200
    assert operator_api.delete(f"/api/v1/webhooks/{created['uuid']}/").status_code == 200

    events = list(WebhookEndpointEvent.objects.filter(endpoint=endpoint).order_by("at", "id"))
    assert [e.action for e in events] == ["registered", "deactivated"]  # not twice
    assert all(e.api_token == token and e.actor == token.user for e in events)
    assert all(e.url == HOOK and e.organization.code == "csg-zhongshan" for e in events)
    assert events[0].at <= events[1].at


def test_an_operator_sees_when_its_endpoint_is_paused_and_until_when(operator_api, settings):
    settings.NOTIFICATIONS_CIRCUIT_FAILURES = 1
    body = _register(operator_api).json()
    endpoint = WebhookEndpoint.objects.get(uuid=body["uuid"])
    assert (body["delivery_state"], body["paused_at"]) == ("delivering", None)

    webhook_circuit_record(
        endpoint_id=endpoint.pk, delivered=False, probe=False, error="TimeoutError: timed out"
    )

    shown = operator_api.get(f"/api/v1/webhooks/{body['uuid']}/").json()
    endpoint.refresh_from_db()
    assert shown["delivery_state"] == "paused"
    assert shown["last_failure"] == "TimeoutError: timed out"
    assert dt.datetime.fromisoformat(shown["next_probe_at"]) == endpoint.probe_after
