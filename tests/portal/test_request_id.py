"""X-Request-ID: taken from the caller or made up, returned on every response, in the API's
problem JSON and on every log line of the request, and carried into the tasks it starts."""

import io
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings

from core import request_id
from portal.observability import celery_signals

BASE_DIR = Path(__file__).resolve().parents[2]
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """The JSON lines the settings' console handler would write, captured."""
    config = django_settings.LOGGING
    formatter_config = dict(config["formatters"]["json"])
    factory = formatter_config.pop("()")
    module, _, name = factory.rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(**formatter_config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(request_id.RequestIdLogFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_given_request_id_comes_back_on_the_response(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a-0001")

    assert response["X-Request-ID"] == "lb-7f3a-0001"


@pytest.mark.parametrize("given", [None, "", "has spaces", "x" * 129, "控制"])
def test_a_request_id_is_made_when_none_or_an_unusable_one_is_given(client, given):
    headers = {} if given is None else {"HTTP_X_REQUEST_ID": given}

    response = client.get("/healthz", **headers)

    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_every_page_answers_with_a_request_id(client, db):
    for path in ["/", "/en/", "/no-such-page/"]:
        assert GENERATED.fullmatch(client.get(path)["X-Request-ID"]), path


def test_the_problem_json_carries_the_request_id(client, db):
    given = client.get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="req-given-42")
    generated = client.get("/api/v1/work-items/")  # no credentials: 401/403 problem

    assert given.status_code == 404
    assert given.json()["request_id"] == "req-given-42"
    assert generated.status_code in (401, 403)
    assert generated.json()["request_id"] == generated["X-Request-ID"]


def test_each_log_line_of_a_request_carries_its_id(client, db, json_log):
    client.get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="req-log-1")

    lines = json_log()
    access = [line for line in lines if line["logger"] == "portal.request"]
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert access and not_found
    assert {line["request_id"] for line in access + not_found} == {"req-log-1"}
    assert access[0]["route"] == "core.api.error_views.endpoint_not_found"  # not the path
    assert access[0]["status"] == 404 and access[0]["method"] == "GET"
    assert {"time", "level", "message"} <= access[0].keys()


def test_no_request_id_is_left_behind_after_a_request(client):
    client.get("/healthz", HTTP_X_REQUEST_ID="req-gone")

    assert request_id.current() is None


def test_a_task_sent_during_a_request_carries_the_id_in_its_headers():
    headers: dict = {}
    with request_id.bound("req-publish-1"):
        celery_signals.add_request_id(sender="notifications.dispatch", headers=headers)

    assert headers["request_id"] == "req-publish-1"


def test_a_task_nobody_asked_for_runs_under_its_own_id():
    class FakeTask:
        name = "notifications.deliver"
        request = type("Request", (), {})()

    celery_signals.restore_request_id(task_id="task-1", task=FakeTask())
    try:
        assert request_id.current() == "task-1"
    finally:
        celery_signals.clear_request_id(task_id="task-1", task=FakeTask())
    assert request_id.current() is None


@pytest.mark.worker
def test_a_task_started_by_a_request_runs_and_logs_under_the_same_id(settings, client, tmp_path):
    """A real worker process, consuming a queue of its own on the test Redis."""
    settings.ROOT_URLCONF = "tests.portal.urls"
    queue, key = f"obs-test-{uuid.uuid4().hex}", f"obs-test:{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings.test",
        REDIS_URL=django_settings.REDIS_URL,
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
    )
    argv = [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo",
        "--queues", queue, "--include", "tests.portal.echo_task",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    with log.open("wb") as output:
        worker = subprocess.Popen(  # noqa: S603 - fixed argv
            argv, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    # A worker starting on a loaded machine may take a while: the wait outlasts it.
    store = redis.Redis.from_url(django_settings.REDIS_URL, socket_timeout=90)
    try:
        response = client.get(
            "/test-start-task", {"queue": queue, "key": key}, HTTP_X_REQUEST_ID="req-task-77"
        )
        assert response.status_code == 200
        seen = store.blpop([key], timeout=60)
    finally:
        worker.terminate()
        worker.wait(20)
        store.delete(key, queue, *store.keys(f"_kombu.binding*.{queue}"))
        store.close()

    assert seen is not None, log.read_text()
    assert seen[1] == b"req-task-77"
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    echoed = [line for line in lines if line.get("message") == "echo task ran"]
    assert echoed and echoed[0]["request_id"] == "req-task-77", log.read_text()[-2000:]
