"""Odd input to the API never answers 500 (issue 10, item 6): every operation of the live
OpenAPI schema gets NUL characters and extreme values in each query parameter and each
field of its body, on PostgreSQL.

A NUL character is refused with a 400 in the one JSON error shape, naming the field; an
extreme value may be accepted or refused (in that shape), but never with a server error.
Operations are read from the schema, so an endpoint added later is swept too.
"""

import dataclasses
import itertools
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator

from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
SHAPE = {"type", "title", "status", "detail", "errors", "request_id"}
# Who calls which operations (the first role whose token the operation lets in is used).
ROLES = ("operator", "agency", "provider", "anonymous")
LONG = "x" * 100_000
STRINGS = ("9999999999999999999999", LONG, "-1", "9999-12", "0000-01", "10000-01-01")


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "100000/minute", "anon": "100000/minute"},
    }


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    for key in ("allOf", "oneOf", "anyOf"):
        if key in node:
            return _resolve(schema, node[key][0])
    return node


def _sample(schema: dict, node: dict):
    """A plausible value for a schema node (the first choice, an example from the text)."""
    node = _resolve(schema, node)
    if "enum" in node:
        return next((value for value in node["enum"] if value), node["enum"][0])
    kind, fmt = node.get("type"), node.get("format")
    if kind == "integer":
        return node.get("minimum", 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        return [_sample(schema, node.get("items", {}))]
    if kind == "object":
        return {name: _sample(schema, prop) for name, prop in node.get("properties", {}).items()}
    example = re.search(r"e\.g\. `([^`\"]+)`", node.get("description", ""))
    value = {
        "date": "2026-12-15",
        "date-time": "2026-12-15T10:00:00+08:00",
        "uri": "https://dispatch.example.cn/hooks/odd",
        "decimal": "1.00",
        "uuid": str(uuid.uuid4()),
    }.get(fmt) or (example.group(1) if example else "odd input")
    return value.ljust(node.get("minLength", 0), "x")


def _extreme(schema: dict, node: dict, turn: int):
    node = _resolve(schema, node)
    kind, fmt = node.get("type"), node.get("format")
    if kind == "integer":
        return (10**30, -1, 9999999999999999999999)[turn % 3]
    if kind == "number":
        return 1e308
    if fmt in ("date", "date-time"):
        return ("10000-01-01", "0000-01-01T00:00:00Z")[turn % 2]
    if fmt == "decimal":
        return "9" * 30
    return STRINGS[turn % len(STRINGS)]


def _call(client, method: str, path: str, data, fmt: str | None):
    """One request whose writes are undone (a rolled-back savepoint)."""
    with transaction.atomic():
        if method == "get":
            response = client.get(path, data)
        else:
            response = getattr(client, method)(path, data, format=fmt)
        transaction.set_rollback(True)
    return response


@dataclasses.dataclass
class Operation:
    """One operation of the schema, ready to call: its path on a real object, its query
    parameters and body fields, and a plausible body to vary one field of."""

    method: str
    template: str
    path: str
    query: dict[str, dict]
    fields: dict[str, dict]
    sample: dict
    files: list[str]
    fmt: str

    def body(self, **changes) -> dict:
        # A fresh upload each time: a file read by one request is empty for the next.
        fresh = {
            name: SimpleUploadedFile("odd.pdf", PDF_BYTES, "application/pdf") for name in self.files
        }
        return {**self.sample, **fresh, **changes}

    def send(self, client, where: str | None = None, name: str = "", value=None):
        if where == "query":
            return _call(client, "get", self.path, {name: value}, None)
        changes = {name: value} if where == "body" else {}
        data = self.body(**changes) if self.fields else None
        return _call(client, self.method, self.path, data, self.fmt)


def _operations(schema: dict, world) -> list[Operation]:
    """The operations that take query parameters or a body."""
    found = []
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            query = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
            content = operation.get("requestBody", {}).get("content", {})
            media = next(iter(content), None)
            fields = (
                _resolve(schema, content[media]["schema"]).get("properties", {}) if media else {}
            )
            if not query and not fields:
                continue
            found.append(
                Operation(
                    method=method,
                    template=template,
                    path=_path_for(template, world),
                    query=query,
                    fields=fields,
                    sample={name: _sample(schema, prop) for name, prop in fields.items()},
                    files=[name for name, prop in fields.items() if prop.get("format") == "binary"],
                    fmt="multipart" if media == "multipart/form-data" else "json",
                )
            )
    return found


def _path_for(path: str, world) -> str:
    """The path with `{uuid}` of a real object of the world where its prefix names one."""
    objects = {
        "work-items": world.sa,
        "permits": world.permit,
        "projects": world.project,
        "documents": world.document,
        "demand-notices": world.notice,
        "demand-signals": world.signal,
        "webhooks": world.webhook,
    }
    prefix = path.removeprefix("/api/v1/").split("/", 1)[0]
    target = objects.get(prefix)
    return path.replace("{uuid}", str(target.uuid if target else uuid.uuid4()))


def _wrong(response, name: str, value) -> list[str]:
    """What is wrong with the answer to `value` in `name`: a server error, an error not in
    the one shape, a NUL not refused with a 400 naming the field."""
    status, wrong = response.status_code, []
    if status >= 500:
        wrong.append("server error")
    if status >= 400:
        if not response["Content-Type"].startswith("application/json"):
            return [*wrong, f"not JSON: {response['Content-Type']}"]
        if set(response.json()) != SHAPE:
            return [*wrong, f"not the error shape: {sorted(response.json())}"]
    if value is NUL:
        if status != 400:
            wrong.append("NUL not refused with 400")
        elif not any(key.split(".")[0] == name for key in response.json()["errors"]):
            wrong.append(f"NUL refused without naming it: {response.json()['errors']}")
    return wrong


def test_no_odd_input_to_the_api_answers_a_server_error(schema, clients, world):
    findings: list[str] = []
    turn = itertools.count()
    probes = 0
    for operation in _operations(schema, world):
        # The first role the operation lets in (its token has the scope).
        client = next(
            (c for c in map(clients.get, ROLES) if operation.send(c).status_code not in (401, 403)),
            clients["anonymous"],
        )
        targets = [("query", name, node) for name, node in operation.query.items()]
        # A file's name is Django's to clean (it drops unprintable characters).
        targets += [
            ("body", name, node)
            for name, node in operation.fields.items()
            if name not in operation.files
        ]
        for where, name, node in targets:
            for value in (NUL, _extreme(schema, node, next(turn))):
                response = operation.send(client, where, name, value)
                probes += 1
                if wrong := _wrong(response, name, value):
                    findings.append(
                        f"{operation.method.upper()} {operation.template} {where} "
                        f"{name}={repr(value)[:30]} -> {response.status_code}: " + "; ".join(wrong)
                    )
    assert not findings, f"{len(findings)} probe(s) answered wrongly:\n" + "\n".join(findings)
    assert probes > 60  # every operation's parameters and fields were reached


def test_a_nul_in_a_field_the_serializer_ignores_is_refused_too(operator_api, world):
    """A NUL is refused wherever it is in the body, by its path, even in a field no
    serializer reads (before, it went unnoticed)."""
    response = operator_api.post(
        f"/api/v1/work-items/{world.sa.uuid}/transitions/",
        {"transition": "accept", "comment": "ok", "extra": {"notes": ["fine", NUL]}},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == SHAPE and body["type"] == "validation_error"
    assert list(body["errors"]) == ["extra.notes.1"]
    assert body["detail"].startswith("extra.notes.1: ")
