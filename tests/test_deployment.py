"""What an operator relies on before deploying: the compose file is valid and refuses to start
without secrets, production settings pass Django's deploy checks, `.env.example` documents every
variable the settings read, and the `make run` launcher leaves no process behind."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_DIR = BASE_DIR / "portal" / "settings"
IN_CI = os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}

# The same dummy production environment as the Makefile's PROD_ENV / COMPOSE_ENV.
DUMMY_SECRET_KEY = "ci-only-9f4c2a7e1b6d8350c4e2f7a9b1d3c5e7f0a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0"
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "DJANGO_SECRET_KEY": DUMMY_SECRET_KEY,
    "DJANGO_ALLOWED_HOSTS": "portal.example.gov.cn",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
}
COMPOSE_SECRETS = {
    "DJANGO_SECRET_KEY": DUMMY_SECRET_KEY,
    "DJANGO_ALLOWED_HOSTS": "portal.example.gov.cn",
    "POSTGRES_PASSWORD": "ci-only-postgres-password",
}


def run(argv: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv
        argv, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def environ_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


# --- docker-compose.yml ------------------------------------------------------------------------


@pytest.fixture
def docker_compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        if IN_CI:
            pytest.fail("docker-compose is not installed; .ci/run must install it")
        pytest.skip("docker-compose is not installed (CI installs it and requires this test)")
    return binary


def compose(binary: str, *args: str, env: dict, env_file: Path) -> subprocess.CompletedProcess:
    """--env-file pins what compose reads, instead of a developer's own .env."""
    return run([binary, "--env-file", str(env_file), "-f", "docker-compose.yml", *args], env=env)


def test_compose_file_is_valid_and_defines_the_whole_stack(docker_compose, tmp_path):
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    env = {**environ_without(*COMPOSE_SECRETS), **COMPOSE_SECRETS}

    checked = compose(docker_compose, "config", "-q", env=env, env_file=env_file)
    assert checked.returncode == 0, checked.stderr

    services = compose(docker_compose, "config", "--services", env=env, env_file=env_file)
    assert services.returncode == 0, services.stderr
    assert set(services.stdout.split()) == {
        "postgres",
        "redis",
        "init",
        "web",
        "proxy",
        "worker",
        "worker-webhooks",
        "beat",
    }


def test_web_scales_behind_the_proxy_which_alone_publishes_the_port(docker_compose, tmp_path):
    """`docker-compose up -d --scale web=3`: no replica claims a host port; the proxy does, and
    sends to every replica by the service name."""
    import yaml

    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    env = {**environ_without(*COMPOSE_SECRETS), **COMPOSE_SECRETS}
    shown = compose(docker_compose, "config", env=env, env_file=env_file)
    assert shown.returncode == 0, shown.stderr
    services = yaml.safe_load(shown.stdout)["services"]

    assert "ports" not in services["web"]
    assert [str(p) for p in services["web"]["expose"]] == ["8000"]
    published = [p for s in services.values() for p in s.get("ports", [])]
    assert len(published) == 1 and services["proxy"]["ports"] == published
    mounted = services["proxy"]["volumes"][0]
    source = mounted["source"] if isinstance(mounted, dict) else mounted.split(":")[0]
    assert "set $web http://web:8000;" in Path(source).read_text()
    assert "ports" not in services["beat"] and "ports" not in services["worker"]
    # The scaling commands are documented where operators look.
    assert "--scale web=3 --scale worker=2" in (BASE_DIR / "docker-compose.yml").read_text()
    assert "--scale web=3" in (BASE_DIR / "docs" / "operations.md").read_text()


@pytest.mark.parametrize("missing", sorted(COMPOSE_SECRETS))
def test_compose_refuses_to_start_without_each_required_secret(docker_compose, tmp_path, missing):
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    env = {**environ_without(*COMPOSE_SECRETS), **COMPOSE_SECRETS}
    del env[missing]

    result = compose(docker_compose, "config", "-q", env=env, env_file=env_file)

    assert result.returncode != 0
    assert missing in result.stderr


# --- production settings -----------------------------------------------------------------------


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**os.environ, **PROD_ENV},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.skipif(
    (BASE_DIR / ".env").exists(), reason="a local .env may supply DJANGO_SECRET_KEY"
)
def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**environ_without("DJANGO_SECRET_KEY"), **PROD_ENV}
    del env["DJANGO_SECRET_KEY"]

    result = run([sys.executable, "manage.py", "check"], env=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


# --- .env.example ------------------------------------------------------------------------------

ENV_METHODS = {"str", "bool", "int", "float", "list", "dict", "json", "url", "db_url", "path",
               "cache_url", "email_url", "search_url"}  # fmt: skip


def variables_read_by(source: str) -> set[str]:
    """Names passed to env(...), env.<type>(...), os.environ[...] / .get(...) and os.getenv(...)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            is_env = (
                (isinstance(func, ast.Name) and func.id == "env")
                or (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "env"
                    and func.attr in ENV_METHODS
                )
                or (isinstance(func, ast.Attribute) and ast.unparse(func) in {
                    "os.getenv", "os.environ.get", "os.environ.setdefault"})
            )  # fmt: skip
            if is_env:
                names.add(node.args[0].value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def test_env_example_documents_every_variable_the_settings_read():
    read = set()
    for path in SETTINGS_DIR.glob("*.py"):
        read |= variables_read_by(path.read_text())
    # Guard against a parser that silently finds nothing.
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_EMAIL_HOST"} <= read

    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    documented = {}
    for number, line in enumerate(lines):
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            documented[match.group(1)] = number

    assert sorted(read - documented.keys()) == []
    undescribed = [
        name
        for name, number in documented.items()
        if number == 0
        or not lines[number - 1].startswith("#")
        or re.match(r"^#?\s*[A-Z][A-Z0-9_]*=", lines[number - 1])
    ]
    assert undescribed == [], "each variable needs a one-line comment directly above it"


# --- the `make run` launcher -------------------------------------------------------------------

SUPERVISE = (
    "import json, sys\n"
    "from portal.devserver import Supervisor\n"
    "supervisor = Supervisor(json.loads(sys.argv[1]))\n"
    "supervisor.start()\n"
    "sys.exit(supervisor.wait())\n"
)


def sleeper(pidfile: Path) -> list[str]:
    """A child that records its pid and a grandchild's pid (like gunicorn's workers), then waits."""
    script = 'sleep 120 & echo $! > "$1.child"; echo $$ > "$1"; wait'
    return ["sh", "-c", script, "sh", str(pidfile)]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def pids_from(*pidfiles: Path, timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    wanted = [p for f in pidfiles for p in (f, f.with_name(f.name + ".child"))]
    while not all(p.exists() and p.read_text().strip() for p in wanted):
        assert time.monotonic() < deadline, "children did not start"
        time.sleep(0.05)
    return [int(p.read_text()) for p in wanted]


def supervise(commands: dict[str, list[str]]) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", SUPERVISE, json.dumps(commands)],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


pytestmark_linux = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@pytestmark_linux
def test_launcher_stops_every_process_on_ctrl_c(tmp_path):
    pidfiles = [tmp_path / name for name in ("web", "worker", "beat")]
    proc = supervise({f.name: sleeper(f) for f in pidfiles})
    pids = pids_from(*pidfiles)

    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=30)

    assert proc.returncode == 0, output
    assert [pid for pid in pids if alive(pid)] == []


@pytestmark_linux
def test_launcher_stops_the_others_and_fails_when_one_child_dies(tmp_path):
    web, beat = tmp_path / "web", tmp_path / "beat"
    crash = [sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"]
    proc = supervise({"web": sleeper(web), "worker": crash, "beat": sleeper(beat)})
    pids = pids_from(web, beat)

    output, _ = proc.communicate(timeout=30)

    assert proc.returncode == 3, output
    assert "worker exited with code 3" in output
    assert [pid for pid in pids if alive(pid)] == []
