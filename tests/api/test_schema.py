"""The committed OpenAPI document matches the code; Swagger UI is served without a CDN."""

import difflib
import json
import re
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

from portal import api_router

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
REGENERATE = "python manage.py spectacular --lang en --file docs/openapi.yaml --validate"


def generate() -> str:
    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        validate_schema(schema)
        return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


def test_the_committed_schema_matches_the_code():
    current = generate()
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if current != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                current.splitlines(keepends=True),
                "docs/openapi.yaml (committed)",
                "generated from the code",
            )
        )
        print(diff)
        raise AssertionError(
            f"docs/openapi.yaml is out of date; review the diff above and run: {REGENERATE}"
        )


def test_every_operation_has_a_summary_auth_and_error_responses():
    schema = yaml.safe_load(generate())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            codes = set(operation["responses"])
            assert codes & {"200", "201"}, where
            assert {"406", "429"} <= codes, where
            if path != "/api/v1/stats/":
                assert {"401", "403"} <= codes, where
                assert operation["security"] == [{"bearerAuth": []}, {"cookieAuth": []}], where
            if method == "post":
                assert {"400", "413", "415", "422"} <= codes, where
                names = [p["name"] for p in operation.get("parameters", [])]
                assert "Idempotency-Key" in names, where
            if "{uuid}" in path:
                assert "404" in codes, where


def test_every_post_handler_is_idempotent():
    handlers = []
    for pattern in api_router.urlpatterns:
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        if actions is not None and "post" in actions:
            handlers.append(getattr(callback.cls, actions["post"]))
        elif actions is None and hasattr(callback.view_class, "post"):
            handlers.append(callback.view_class.post)
    # work-item transitions, lease and payments, permit transitions, project push, project
    # reassign, project document share, demand-notice ack, demand-signal push, webhook
    # registration, company registry push, joint-works transitions and join, road-works push
    assert len(handlers) == 14
    assert all(getattr(handler, "idempotent", False) for handler in handlers), handlers


def test_the_live_schema_and_the_docs_page_need_no_cdn(client, db):
    assert client.get("/api/schema/").status_code == 200
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in html
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs"):
        assert cdn not in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


CJK = re.compile(r"[\u4e00-\u9fff]")


def _live_schema(client, params=None, **headers) -> dict:
    response = client.get("/api/schema/", {"format": "json", **(params or {})}, **headers)
    assert response.status_code == 200
    return json.loads(response.content)


def _texts(schema: dict) -> list[tuple[str, str]]:
    """Every summary and description of the document, by where it is."""
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("summary", "description", "title") and isinstance(value, str):
                    found.append((f"{where}.{key}", value))
                else:
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(schema, "")
    return found


@pytest.mark.parametrize("header", [{"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}, {}])
def test_the_live_schema_speaks_chinese_by_default_and_for_zh_hans(client, db, header):
    schema = _live_schema(client, **header)
    operation = schema["paths"]["/api/v1/work-items/"]["get"]
    assert operation["summary"] == "列出本企业的工单"
    assert operation["description"].endswith("令牌权限范围：`work_items:read`。")
    assert schema["info"]["title"] == "中山市市政公用服务接入联动平台接口"
    # Every sentence of it, not only a few: each paragraph of each text has Chinese in it
    # (the generated enum lists of codes excepted).
    english = [
        (where, text)
        for where, text in _texts(schema)
        for paragraph in text.split("\n\n")
        if paragraph and not paragraph.startswith("* `") and not CJK.search(paragraph)
    ]
    assert not english, english


def test_the_live_schema_speaks_english_when_asked(client, db):
    schema = _live_schema(client, HTTP_ACCEPT_LANGUAGE="en")
    operation = schema["paths"]["/api/v1/work-items/"]["get"]
    assert operation["summary"] == "List the operator's work items"
    assert operation["description"].endswith("Token scope: `work_items:read`.")
    summaries = [text for where, text in _texts(schema) if where.endswith(".summary")]
    assert summaries and not [text for text in summaries if CJK.search(text)]
    committed = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    assert (
        schema["paths"]["/api/v1/projects/"]["post"]["description"]
        == (committed["paths"]["/api/v1/projects/"]["post"]["description"])
    )
    # drf-spectacular's own `?lang=` still wins over the header.
    chinese = _live_schema(client, {"lang": "zh-hans"}, HTTP_ACCEPT_LANGUAGE="en")
    assert chinese["paths"]["/api/v1/work-items/"]["get"]["summary"] == "列出本企业的工单"
