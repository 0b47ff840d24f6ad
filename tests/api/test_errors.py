"""One JSON error shape under /api/ for every kind of error, never HTML, never a bare 500."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import Client

from applications.api import work_items
from core.api.handler import exception_handler
from core.errors import IllegalTransition
from core.errors import NotFound as DomainNotFound

SHAPE = {"type", "title", "status", "detail", "errors", "request_id"}


def _problem(response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == SHAPE
    assert (body["status"], body["type"]) == (status, type_)
    assert body["title"] and body["detail"]
    return body


def test_drf_validation_error(operator_api, reference):
    body = _problem(
        operator_api.post("/api/v1/work-items/lease/", {"limit": "many"}, format="json"),
        400,
        "validation_error",
    )
    assert list(body["errors"]) == ["limit"]


def test_django_validation_error_from_a_service(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    body = _problem(
        operator_api.post(
            f"/api/v1/work-items/{sa.uuid}/transitions/",
            {"transition": "return_for_correction"},
            format="json",
        ),
        400,
        "validation_error",
    )
    assert body["errors"]["reason"]
    assert body["detail"].startswith("reason: ")


def test_malformed_json(operator_api, reference):
    response = operator_api.generic(
        "POST", "/api/v1/work-items/lease/", "{not json", content_type="application/json"
    )
    _problem(response, 400, "parse_error")


def test_not_authenticated(client, reference):
    _problem(client.get("/api/v1/work-items/"), 401, "not_authenticated")


def test_an_applicant_transition_is_not_an_operator_command(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    response = operator_api.post(
        f"/api/v1/work-items/{sa.uuid}/transitions/", {"transition": "withdraw"}, format="json"
    )
    assert "transition" in _problem(response, 400, "validation_error")["errors"]


@pytest.mark.parametrize(
    ("exc", "status", "type_"),
    [
        (DjangoPermissionDenied("Not yours."), 403, "permission_denied"),
        (DomainNotFound("No such application."), 404, "not_found"),
        (Http404("gone"), 404, "not_found"),
        (IllegalTransition("Cannot accept."), 409, "illegal_transition"),
        (DjangoValidationError({"plan": ["Too short."]}), 400, "validation_error"),
        (DjangoValidationError("Whole form is wrong."), 400, "validation_error"),
        (RequestDataTooBig("big"), 413, "payload_too_large"),
        (KeyError("boom"), 500, "server_error"),
    ],
)
def test_the_handler_maps_each_domain_error_once(exc, status, type_):
    response = exception_handler(exc, {})
    assert (response.status_code, response.data["type"]) == (status, type_)
    assert set(response.data) == SHAPE
    if status == 400:
        assert response.data["errors"] in (
            {"plan": ["Too short."]},
            {"non_field_errors": ["Whole form is wrong."]},
        )


def test_permission_denied_for_a_missing_scope(clients, reference, world):
    _problem(clients["provider"].get("/api/v1/work-items/"), 403, "permission_denied")


def test_not_found_for_an_object_and_for_an_unknown_path(operator_api, reference):
    _problem(
        operator_api.get("/api/v1/work-items/6f1d0c8e-0000-4000-8000-000000000000/"),
        404,
        "not_found",
    )
    _problem(operator_api.get("/api/v1/no-such-thing/"), 404, "not_found")
    _problem(operator_api.get("/api/v1/work-items/not-a-uuid/"), 404, "not_found")


def test_pages_outside_the_api_keep_their_html_404(client, reference):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "application/json" not in response["Content-Type"]


def test_illegal_transition(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    _problem(
        operator_api.post(
            f"/api/v1/work-items/{sa.uuid}/transitions/", {"transition": "close"}, format="json"
        ),
        409,
        "illegal_transition",
    )


def test_method_not_allowed_and_options(operator_api, reference):
    _problem(operator_api.delete("/api/v1/work-items/"), 405, "method_not_allowed")
    _problem(operator_api.options("/api/v1/work-items/"), 405, "method_not_allowed")


def test_not_acceptable(operator_api, reference):
    _problem(
        operator_api.get("/api/v1/work-items/", HTTP_ACCEPT="text/html"), 406, "not_acceptable"
    )


def test_unsupported_media_type(operator_api, reference):
    response = operator_api.generic(
        "POST",
        "/api/v1/work-items/lease/",
        "limit=1",
        content_type="application/x-www-form-urlencoded",
    )
    _problem(response, 415, "unsupported_media_type")


def test_payload_too_large(operator_api, reference):
    big = json.dumps({"holder": "x" * 300_000})
    response = operator_api.generic(
        "POST", "/api/v1/work-items/lease/", big, content_type="application/json"
    )
    _problem(response, 413, "payload_too_large")


def test_a_file_just_over_the_document_limit_is_413(make_token, bearer, reference, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import PDF_BYTES

    provider = bearer(make_token("investment"))
    project = provider.post(
        "/api/v1/projects/",
        {
            "code": "2026-442000-70-03-000413",
            "name": "古镇灯饰产业园",
            "kind": "new",
            "works_type": "building",
            "address": "中山市古镇镇东岸北路1号",
            "town": "guzhen",
            "owner_credit_code": "91442000MA7QX31P2X",
        },
        format="json",
    ).json()
    settings.DOCUMENT_MAX_BYTES = 4096
    response = provider.post(
        f"/api/v1/projects/{project['uuid']}/documents/",
        {
            "file": SimpleUploadedFile("site-plan.pdf", PDF_BYTES + b"0" * 4096),
            "doc_type": "site_plan",
        },
        format="multipart",
    )
    _problem(response, 413, "payload_too_large")


def test_a_body_without_content_length_is_411_not_read_as_empty(operator_api, reference):
    """Django reads a chunked body (no Content-Length) as empty: without this refusal a lease
    of `{"limit": 1}` or a 3 MB body would run as `{}`."""
    response = operator_api.generic(
        "POST",
        "/api/v1/work-items/lease/",
        json.dumps({"limit": 1, "holder": "x" * 300_000}),
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )
    body = _problem(response, 411, "length_required")
    assert "Content-Length" in body["detail"]


FORGED_CURSORS = [
    "forged",
    "cD0yMDI2",  # base64 of DRF's own format, "p=2026": a position the portal never wrote
    "bz05OTk5OTk5OTk5OTk5OTk5OTk5OSZwPTIwMjY=",  # "o=99999999999999999999&p=2026"
    "eyJwIjoiMjAyNi0xMS0zMCAxMjowMDowMCswMDowMCJ9:forgedsignature",
    "%00",
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
@pytest.mark.parametrize("path", ["/api/v1/work-items/", "/api/v1/demand-notices/"])
def test_a_forged_or_damaged_cursor_is_400_naming_cursor(operator_api, reference, path, cursor):
    response = operator_api.get(f"{path}?cursor={cursor}")
    body = _problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["cursor"]


def test_a_cursor_the_portal_wrote_still_pages_and_a_changed_one_does_not(
    operator_api, submit, reference
):
    for _ in range(3):
        submit(["electricity"])
    first = operator_api.get("/api/v1/work-items/?page_size=2").json()
    assert first["next"]
    assert operator_api.get(first["next"]).status_code == 200
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    tampered = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    response = operator_api.get("/api/v1/work-items/", {"page_size": 2, "cursor": tampered})
    assert list(_problem(response, 400, "validation_error")["errors"]) == ["cursor"]


def test_unexpected_errors_are_logged_and_answered_as_a_problem(
    operator_api, reference, monkeypatch, caplog
):
    def explode(**kwargs):
        raise RuntimeError("database on fire")

    # The list's selectors: the general path's, and the sync walk's (a plain GET is a walk).
    monkeypatch.setattr(work_items, "work_item_rows_for_operator", explode)
    monkeypatch.setattr(work_items, "work_item_walk_rows", explode)
    body = _problem(operator_api.get("/api/v1/work-items/"), 500, "server_error")
    assert "fire" not in body["detail"]  # no internals leak
    assert any("database on fire" in str(r.exc_info) for r in caplog.records if r.exc_info)


@pytest.mark.parametrize(
    ("header", "expected"),
    [({"HTTP_ACCEPT_LANGUAGE": "en"}, "Select a valid choice"), ({}, "选择一个有效的选项")],
)
def test_messages_follow_accept_language(operator_api, reference, header, expected):
    response = operator_api.get("/api/v1/work-items/", {"status": "lost"}, **header)
    body = _problem(response, 400, "validation_error")
    assert body["errors"]["status"][0].startswith(expected)
    assert response["Content-Language"] == ("en" if header else "zh-hans")


def test_an_html_view_under_api_still_fails_in_json(client, reference, monkeypatch):
    from portal.views import ApiDocsView

    def broken(self, request, *args, **kwargs):
        raise ValueError("Missing staticfiles manifest entry")

    monkeypatch.setattr(ApiDocsView, "get", broken)
    _problem(client.get("/api/docs/"), 500, "server_error")


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_api_path_is_json_for_every_method(settings, debug):
    """The embedded demo runs with DEBUG on: a mistyped /api/ URL still answers the problem
    JSON a script can parse, not Django's HTML debug page; a POST or DELETE to it is not
    stopped by the browser's CSRF check either (an API client sends no CSRF token)."""
    settings.DEBUG = debug
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "stale"
    for method in ("get", "post", "delete"):
        for path in ("/api/v1/projects//documents/", "/api/v2/", "/api/v1/webhooks/%C2%84/"):
            response = getattr(client, method)(path)
            assert response.status_code == 404, (method, path)
            assert response["Content-Type"].startswith("application/"), (method, path)
            assert response.json()["type"].endswith("not_found")
