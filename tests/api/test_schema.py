"""The committed OpenAPI document matches the code; Swagger UI is served without a CDN."""

import difflib
from pathlib import Path

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
    # work-item transitions, lease, permit transitions, project push, project reassign,
    # project document share, demand-notice ack, demand-signal push, webhook registration,
    # company registry push
    assert len(handlers) == 10
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
