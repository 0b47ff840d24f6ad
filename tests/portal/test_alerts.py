"""The alert rules are valid and behave as their unit tests say (promtool, from Debian's
prometheus package: required in CI, skipped on a machine without it)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RULES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
IN_CI = os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture
def promtool() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        if IN_CI:
            pytest.fail("promtool is not installed; .ci/run must install Debian's prometheus")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return binary


@pytest.mark.parametrize(
    "args",
    [
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
        ["check", "config", "--syntax-only", "prometheus.yml"],
    ],
    ids=["check-rules", "test-rules", "check-config"],
)
def test_promtool_accepts_the_alerting_files(promtool, args):
    result = subprocess.run(  # noqa: S603 - fixed argv
        [promtool, *args], cwd=RULES_DIR, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_runbook_section():
    rules = (RULES_DIR / "alerts.yml").read_text()
    operations = (RULES_DIR.parents[1] / "docs" / "operations.md").read_text()
    alerts = [line.split(":", 1)[1].strip() for line in rules.splitlines() if "- alert:" in line]

    assert len(alerts) >= 7
    missing = [name for name in alerts if f"### {name}" not in operations]
    assert missing == []
