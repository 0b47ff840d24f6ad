"""Schemathesis fuzzes the live schema of a running server with real tokens: no 5xx, and every
response (errors included) matches the documented status codes, media types and schemas."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from notifications.services import demand_signal_record
from notifications.services.webhooks import webhook_endpoint_create
from tests.api.conftest import permitting_item
from tests.factories import make_service, staff_of
from workgroups.models import Organization, Town

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.fuzz]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "ignored_auth",
    ]
)
# (token organisation, operations it may use): each role fuzzes its own endpoints.
RUNS = [
    ("csg-zhongshan", r"^/api/v1/(work-items|documents|stats|demand-notices|webhooks)"),
    ("natural-resources", r"^/api/v1/permits"),
    ("investment", r"^/api/v1/(projects|demand-signals)"),
]


def _schemathesis() -> str:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert found, "schemathesis is a dev dependency: pip install '.[dev]'"
    return found


@pytest.fixture
def data_to_find(reference, applicant_org, applicant, project):
    """Some real objects, so not every request is a 404."""
    for _ in range(3):
        make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    permitting_item(applicant_org, applicant, project)
    for title in ("小榄工业用地出让", "石岐道路开挖计划"):
        demand_signal_record(
            source_organization=Organization.objects.get(code="investment"),
            kind="land_sale",
            title=title,
            town=Town.objects.get(code="xiaolan"),
            expected_utilities=["electricity"],
        )
    webhook_endpoint_create(
        actor=staff_of("csg-zhongshan"),
        organization=Organization.objects.get(code="csg-zhongshan"),
        url="https://dispatch.csg.example.cn/hooks/portal",
    )


@pytest.mark.parametrize(("code", "paths"), RUNS, ids=[code for code, _ in RUNS])
def test_fuzzing_finds_no_server_error_and_no_schema_violation(
    live_server, settings, make_token, data_to_find, tmp_path, code, paths
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "100000/minute", "anon": "100000/minute"},
    }
    token = make_token(code)
    command = [
        _schemathesis(),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Bearer {token}",
        "--include-path-regex",
        paths,
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "25",
        "--seed",
        os.environ.get("API_FUZZ_SEED", "1"),  # fixed, so a failure reproduces
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--report-dir",
        str(tmp_path),
    ]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""}
    result = subprocess.run(  # noqa: S603 - fixed argv
        command, capture_output=True, text=True, timeout=300, env=env, check=False
    )
    print(result.stdout[-20000:], result.stderr[-5000:])
    assert result.returncode == 0, "schemathesis found problems: see the output above"
