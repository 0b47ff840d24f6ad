"""docs/api.md is exact: its shell blocks run in order, verbatim, with bash against a live
server on the demo data, and each answer has the shape of the example the guide shows under it.

- The server is pytest-django's live server (in this process, on the test database, so the
  test is transactional: the database is flushed afterwards and the tests' world loaded again,
  see `_world_again`). The demo data is `seed_demo`'s, with the facts the worker would have
  turned into demand notices processed once, as `make run` does.
- The blocks run in one bash (`set -euo pipefail`), so the variables one block sets (`$ID`,
  `$NOTICE`) reach the next, exactly as for a reader. The environment gives them `PORTAL` (this
  server), the venv's `python`, and the test database for the blocks' `python manage.py
  api_token ...` (DATABASE_URL). They run in a scratch folder holding links to manage.py and
  docs/, so a download lands there and `-F file=@docs/samples/...` finds the shipped sample.
- An example right under a shell block is compared with that block's output: a ```json block
  value by value (the same keys all the way down, the same JSON types, the same values for the
  keys that name a state or a kind); a ```text block line by line, token prefixes, times and
  uuids masked. A shell block whose first line says "not run in the walk-through" is skipped.
- The guide's scope table is compared with the scopes every endpoint of the code requires.

After a change of the API, `API_GUIDE_WRITE_EXAMPLES=1 pytest tests/api/test_api_guide.py`
rewrites the examples from a real run: review the diff of docs/api.md.
"""

import http.client
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from drf_spectacular.generators import EndpointEnumerator

from notifications.services import facts_process
from tests.conftest import load_test_world
from workgroups.api_tokens import _SCOPES_BY_ROLE, ApiScope, api_token_create, scopes_allowed
from workgroups.constants import Role
from workgroups.models import Organization, User

BASE_DIR = Path(__file__).resolve().parents[2]
GUIDE = BASE_DIR / "docs" / "api.md"
RUN_LANGUAGES = {"sh", "bash", "console"}
NOT_RUN = "not run in the walk-through"
WRITE_EXAMPLES = os.environ.get("API_GUIDE_WRITE_EXAMPLES") == "1"

pytestmark = pytest.mark.guide

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass
class Block:
    language: str
    text: str
    start: int  # offsets of the whole fenced block in the guide
    end: int
    body_start: int
    body_end: int
    line: int

    @property
    def runs(self) -> bool:
        first = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return self.language in RUN_LANGUAGES and NOT_RUN not in first


def blocks(guide: str) -> list[Block]:
    found = []
    for match in _FENCE.finditer(guide):
        found.append(
            Block(
                language=match.group(1),
                text=match.group(2),
                start=match.start(),
                end=match.end(),
                body_start=match.start(2),
                body_end=match.end(2),
                line=guide.count("\n", 0, match.start()) + 1,
            )
        )
    return found


def example_under(guide: str, all_blocks: list[Block], index: int) -> Block | None:
    """The ```json or ```text block right under block `index` (only blank lines between)."""
    if index + 1 >= len(all_blocks):
        return None
    following = all_blocks[index + 1]
    between = guide[all_blocks[index].end : following.start]
    if following.language in ("json", "text") and not between.strip():
        return following
    return None


# --- Comparing an answer with its example ------------------------------------------------------

# Keys whose value is a state, a kind or a fixed name: the example shows the real one.
EXACT_KEYS = {
    "status",
    "type",
    "transition",
    "from_state",
    "to_state",
    "utility",
    "doc_type",
    "kind",
    "permit_type",
    "is_active",
    "claimed",
    "paused",
    "content_type",
    "original_name",
    "code",
    "town",
    "by",
    "operator",
    "application",
}
_VARIABLE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # uuid
    r"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"  # time
    r"|\d{4}-\d{2}-\d{2}"  # date
    r"|https?://\S+"  # a link to this server
    r"|zsp_[A-Za-z0-9_-]+|whsec_[A-Za-z0-9_-]+"  # token prefixes, secrets
    r"|\b[0-9a-f]{32,64}\b"  # request ids, digests
    r"|\bZS\d{11}\b"  # references
)


def json_values(text: str) -> list:
    """Every JSON value of a stream such as jq prints."""
    decoder, values, position = json.JSONDecoder(), [], 0
    text = text.strip()
    while position < len(text):
        value, position = decoder.raw_decode(text, position)
        values.append(value)
        while position < len(text) and text[position].isspace():
            position += 1
    return values


def _kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def mismatches(example, actual, where: str = "", exact: bool = False) -> list[str]:
    if _kind(example) != _kind(actual):
        return [f"{where or '.'}: {_kind(actual)} {actual!r:.80}, the guide shows {example!r:.80}"]
    if isinstance(example, dict):
        problems = []
        if set(example) != set(actual):
            problems.append(f"{where or '.'}: keys {sorted(actual)}, the guide {sorted(example)}")
        for key in set(example) & set(actual):
            problems += mismatches(example[key], actual[key], f"{where}.{key}", key in EXACT_KEYS)
        return problems
    if isinstance(example, list):
        if example and not actual:
            return [f"{where}: empty, the guide shows {len(example)} item(s)"]
        problems = []
        for index, item in enumerate(actual):
            problems += mismatches(example[min(index, len(example) - 1)], item, f"{where}[{index}]")
        return problems
    if exact and example != actual and not _VARIABLE.search(str(example)):
        return [f"{where}: {actual!r}, the guide shows {example!r}"]
    return []


def compare_json(example: str, output: str) -> list[str]:
    expected, actual = json_values(example), json_values(output)
    if len(expected) != len(actual):
        return [f"{len(actual)} JSON value(s) printed, the guide shows {len(expected)}"]
    problems = []
    for number, (want, got) in enumerate(zip(expected, actual, strict=True), start=1):
        # A bare value (jq .status) is a state: shown as it is.
        exact = not isinstance(want, dict | list)
        problems += [f"value {number}: {p}" for p in mismatches(want, got, "", exact)]
    return problems


DEMO_PORTAL = "http://127.0.0.1:8000"  # `make run`'s address, as section 1.4 says


def as_the_reader_sees_it(output: str, server_url: str) -> str:
    """An output as an example: on the demo's address, a generated secret cut short (a
    secret-looking string in the docs would only alarm secret scanners)."""
    output = output.replace("\r", "").replace(server_url, DEMO_PORTAL)
    return re.sub(r"(whsec_[A-Za-z0-9_-]{6})[A-Za-z0-9_-]{10,}", r"\1…", output)


def _masked(line: str) -> str:
    return " ".join(_VARIABLE.sub("…", line.replace("\r", "")).split())


def compare_text(example: str, output: str) -> list[str]:
    want = [_masked(line) for line in example.strip("\n").splitlines()]
    got = [_masked(line) for line in output.strip("\n").splitlines()]
    if want != got:
        return [f"printed:\n{output}\nthe guide shows:\n{example}"]
    return []


# --- Running the guide --------------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _script(runnable: list[tuple[int, Block]], outputs: Path) -> str:
    lines = ["set -euo pipefail"]
    for index, block in runnable:
        lines.append(f"echo {index} > {shlex.quote(str(outputs / 'started'))}")
        lines.append("{")
        lines.append(block.text.rstrip("\n"))
        lines.append(f"}} > {shlex.quote(str(outputs / f'{index}.out'))}")
    lines.append(f"echo done > {shlex.quote(str(outputs / 'started'))}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def _world_again(django_db_blocker):
    """The walk-through's transactional test flushes the database: load the tests' world again
    for the tests that run after this module in the same worker."""
    yield
    with django_db_blocker.unblock():
        load_test_world()


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=StringIO())
    while facts_process():  # what `make run`'s worker does with the demo projects
        pass


@pytest.mark.django_db(transaction=True)
def test_the_guide_runs_verbatim_and_answers_as_it_shows(_world_again, demo, live_server, tmp_path):
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    assert not missing, f"the walk-through needs {missing}: apt-get install -y curl jq"
    guide = GUIDE.read_text(encoding="utf-8")
    all_blocks = blocks(guide)
    runnable = [(i, b) for i, b in enumerate(all_blocks) if b.runs]
    assert len(runnable) >= 15, "the guide's walk-through lost its shell blocks"

    work, outputs = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    outputs.mkdir()
    (work / "manage.py").symlink_to(BASE_DIR / "manage.py")
    (work / "docs").symlink_to(BASE_DIR / "docs")
    (tmp_path / "curl").mkdir()  # an empty CURL_HOME: no reader's ~/.curlrc changes anything
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "CURL_HOME": str(tmp_path / "curl"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PORTAL": live_server.url,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(  # noqa: S603 - the guide's own blocks, in a scratch folder
        [shutil.which("bash") or "bash", "-c", _script(runnable, outputs)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard only: the walk takes about a minute, more on a busy box
        check=False,
    )
    last = (outputs / "started").read_text().strip() if (outputs / "started").exists() else "?"
    if result.returncode != 0:
        failed = all_blocks[int(last)] if last.isdigit() else None
        where = f"docs/api.md line {failed.line}:\n{failed.text}" if failed else "before a block"
        pytest.fail(
            f"the block at {where}\nexited {result.returncode}; stderr:\n{result.stderr[-3000:]}"
        )
    assert last == "done"

    problems, rewritten = [], guide
    for index, block in reversed(runnable):
        output = (outputs / f"{index}.out").read_text(encoding="utf-8")
        example = example_under(guide, all_blocks, index)
        if example is None:
            if output.strip():
                problems.append(f"line {block.line}: prints something and shows no example")
            continue
        if WRITE_EXAMPLES:
            body = as_the_reader_sees_it(output, live_server.url)
            rewritten = rewritten[: example.body_start] + body + rewritten[example.body_end :]
            continue
        compare = compare_json if example.language == "json" else compare_text
        try:
            found = compare(example.text, output)
        except json.JSONDecodeError as exc:
            found = [f"not the JSON the guide shows ({exc}):\n{output[:2000]}"]
        problems += [f"docs/api.md line {block.line}: {p}" for p in found]
    if WRITE_EXAMPLES:
        GUIDE.write_text(rewritten, encoding="utf-8")
    assert not problems, "\n".join(reversed(problems))
    _a_chunked_body_is_411_on_the_wire(live_server.url)


def _a_chunked_body_is_411_on_the_wire(server_url: str) -> None:
    """Section 2: a body without Content-Length is refused, through a real HTTP server (whose
    WSGI environ, unlike the test client's, really lacks CONTENT_LENGTH), not read as empty."""
    power = Organization.objects.get(code="csg-zhongshan")
    _token, plaintext = api_token_create(
        actor=User.objects.get(username="admin"),
        organization=power,
        name="chunked",
        scopes=sorted(scopes_allowed(power)),
    )
    parts = urlsplit(server_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    body = json.dumps({"limit": 1, "holder": "chunked"}).encode()
    conn.putrequest("POST", "/api/v1/work-items/lease/")
    for name, value in (
        ("Authorization", f"Bearer {plaintext}"),
        ("Content-Type", "application/json"),
        ("Transfer-Encoding", "chunked"),
    ):
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    assert (response.status, answer["type"]) == (411, "length_required"), answer


# --- The scope table -----------------------------------------------------------------------------

ROLE_WORDS = {
    Role.OPERATOR: "operators",
    Role.PERMIT_AGENCY: "permit agencies",
    Role.DATA_PROVIDER: "data providers",
    Role.COMPANY_REGISTRY: "the company registry",
}


def code_scopes() -> dict[str, set[str]]:
    """Scope -> every endpoint ("GET /work-items/{uuid}/", under /api/v1) that a token with it
    may call, from the views' own declarations."""
    opened: dict[str, set[str]] = {}
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        if not path.startswith("/api/v1/"):
            continue
        view = callback.cls
        actions = getattr(callback, "actions", None)
        action = actions[method.lower()] if actions else method.lower()
        declared = getattr(view, "token_scopes", None) or getattr(view, "required_scopes", {})
        needed = declared.get(action)
        for scope in (needed,) if isinstance(needed, str) else needed or ():
            opened.setdefault(scope, set()).add(f"{method} {path.removeprefix('/api/v1')}")
    return opened


def guide_scopes() -> dict[str, tuple[set[str], str]]:
    """Scope -> (endpoints, who may have it) from the guide's scope table."""
    table = {}
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`[a-z_]+:[a-z]+`", cells[0]):
            endpoints = set(re.findall(r"`((?:GET|POST|DELETE|PUT|PATCH) /[^`]*)`", cells[2]))
            table[cells[0].strip("`")] = (endpoints, cells[1])
    return table


def test_the_scope_table_says_what_each_scope_opens_in_the_code():
    table = guide_scopes()
    assert set(table) == set(ApiScope.values), "one row per scope of workgroups.api_tokens"
    opened = code_scopes()
    for scope, (endpoints, _who) in table.items():
        assert endpoints == opened.get(scope, set()), (
            f"{scope}: the guide lists {sorted(endpoints)}, the code opens "
            f"{sorted(opened.get(scope, set()))}"
        )


def test_the_scope_table_names_the_roles_that_may_have_each_scope():
    for scope, (_endpoints, who) in guide_scopes().items():
        roles = {role for role, scopes in _SCOPES_BY_ROLE.items() if scope in scopes}
        named = {role for role, word in ROLE_WORDS.items() if word in who}
        assert named == roles, f"{scope}: the guide names {named}, the code allows {roles}"
