"""`Idempotency-Key`: a retried POST gets the first answer and changes nothing twice."""

import threading

import pytest
from django.db import connection

from applications.constants import ServiceStatus as S
from applications.models import Project, ServiceApplication, StateChange
from tests.api.test_permissions import _push_body
from workgroups.models import IdempotencyRecord


def _accept(api, sa, key, **extra):
    return api.post(
        f"/api/v1/work-items/{sa.uuid}/transitions/",
        {"transition": "accept", **extra},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_retried_transition_replays_the_first_answer(submit, operator_api):
    sa = submit(["electricity"]).services.get()

    first = _accept(operator_api, sa, "7b1c2f9e-accept")
    again = _accept(operator_api, sa, "7b1c2f9e-accept")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert StateChange.objects.filter(service_application=sa, transition="accept").count() == 1
    # Without the key the second call is a new request, and accepting twice is illegal.
    assert _accept(operator_api, sa, "another-key").status_code == 409


def test_the_same_key_with_another_body_is_422(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    assert _accept(operator_api, sa, "key-1").status_code == 200

    response = _accept(operator_api, sa, "key-1", comment="changed my mind")

    assert response.status_code == 422
    assert response.json()["type"] == "idempotency_key_reused"


def test_an_error_answer_is_replayed_too(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    first = operator_api.post(
        f"/api/v1/work-items/{sa.uuid}/transitions/",
        {"transition": "reject"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="reject-1",
    )
    again = operator_api.post(
        f"/api/v1/work-items/{sa.uuid}/transitions/",
        {"transition": "reject"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="reject-1",
    )
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert ServiceApplication.objects.get(pk=sa.pk).status == S.SUBMITTED


def test_keys_belong_to_the_organisation(submit, make_token, bearer):
    """Two tokens of one operator share keys (one dispatch system); another operator's key
    of the same text is its own."""
    sa = submit(["electricity", "water"]).services.get(utility="electricity")
    first = bearer(make_token("csg-zhongshan", name="worker-1"))
    second = bearer(make_token("csg-zhongshan", name="worker-2"))
    water = bearer(make_token("zs-water"))

    assert _accept(first, sa, "shared").status_code == 200
    assert _accept(second, sa, "shared")["Idempotent-Replayed"] == "true"
    assert _accept(water, sa, "shared").status_code == 404  # not replayed: its own key space


def test_a_pushed_project_is_created_once(world, clients):
    body = _push_body("provider")
    first = clients["provider"].post(
        "/api/v1/projects/", body, format="json", HTTP_IDEMPOTENCY_KEY="push-1"
    )
    again = clients["provider"].post(
        "/api/v1/projects/", body, format="json", HTTP_IDEMPOTENCY_KEY="push-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json()["uuid"] == first.json()["uuid"]
    assert Project.objects.filter(code=body["code"]).count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "中文"])
def test_a_malformed_key_is_refused(submit, operator_api, key):
    sa = submit(["electricity"]).services.get()
    response = operator_api.post(
        f"/api/v1/work-items/{sa.uuid}/transitions/",
        {"transition": "accept"},
        format="json",
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert ServiceApplication.objects.get(pk=sa.pk).status == S.SUBMITTED


def test_a_server_error_keeps_no_record_so_the_retry_runs(submit, operator_api, monkeypatch):
    import applications.api.work_items as views

    sa = submit(["electricity"]).services.get()
    real = views.service_application_transition

    def broken(**kwargs):
        real(**kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(views, "service_application_transition", broken)
    assert _accept(operator_api, sa, "retry-me").status_code == 500
    assert ServiceApplication.objects.get(pk=sa.pk).status == S.SUBMITTED  # rolled back
    assert not IdempotencyRecord.objects.filter(key="retry-me").exists()

    monkeypatch.setattr(views, "service_application_transition", real)
    assert _accept(operator_api, sa, "retry-me").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_two_concurrent_retries_move_the_case_once(
    reference, applicant_org, applicant, project, make_token, bearer
):
    from tests.factories import make_service

    assert connection.vendor == "postgresql"
    sa = make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    plaintext = make_token("csg-zhongshan")
    barrier = threading.Barrier(2)
    answers = []

    def call():
        try:
            barrier.wait()
            response = _accept(bearer(plaintext), sa, "same-moment")
            answers.append((response.status_code, response.json()["status"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == [(200, S.ACCEPTED), (200, S.ACCEPTED)]
    assert StateChange.objects.filter(service_application=sa, transition="accept").count() == 1


def test_old_keys_are_forgotten(submit, operator_api):
    import datetime as dt

    from workgroups.services import idempotency_records_purge

    sa = submit(["electricity"]).services.get()
    _accept(operator_api, sa, "old-key")
    IdempotencyRecord.objects.update(
        created_at=IdempotencyRecord.objects.get().created_at - dt.timedelta(days=8)
    )
    assert idempotency_records_purge() == 1
    assert not IdempotencyRecord.objects.exists()


def test_the_migration_redacts_secrets_already_kept_for_replay(db):
    from importlib import import_module

    from django.apps import apps

    redact = import_module("workgroups.migrations.0008_redact_replayed_secrets")
    hook = {"uuid": "9d9f125d-b2d3-4a8f-a108-c185e48c8a80", "url": "https://h.example.cn/"}
    kept = IdempotencyRecord.objects.create(
        scope="org:old",
        key="hook-before-the-fix",
        method="POST",
        path="/api/v1/webhooks/",
        request_hash="0" * 64,
        status_code=201,
        response_body={**hook, "secret": "whsec_kept-in-plaintext-since-2026"},
    )
    other = IdempotencyRecord.objects.create(
        scope="org:old",
        key="a-transition",
        method="POST",
        path="/api/v1/work-items/x/transitions/",
        request_hash="1" * 64,
        status_code=200,
        response_body={"status": "accepted"},
    )

    redact.redact_replayed_secrets(apps, None)

    kept.refresh_from_db()
    other.refresh_from_db()
    assert kept.response_body == {**hook, "secret": None, "secret_redacted": True}
    assert other.response_body == {"status": "accepted"}
    redact.redact_replayed_secrets(apps, None)  # twice changes nothing more
    kept.refresh_from_db()
    assert kept.response_body == {**hook, "secret": None, "secret_redacted": True}
