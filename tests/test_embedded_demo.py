"""The embedded demo (`make run` without DATABASE_URL: SQLite in WAL mode) serves every page
without a server error. The indicators need PostgreSQL: there the pages say so, the beat task
logs once and does nothing, and the public page still shows the published standards.

The test suite itself runs on PostgreSQL, so this starts fresh processes on the local
settings with a temporary SQLite database: migrate, seed_demo, then a script that visits
the pages as the demo users.

Migrating an empty SQLite database takes a minute or two here (SQLite rebuilds a table for
most changes of a column), so the migrated file is built once per set of migrations, like the
PostgreSQL template (tests/db_template.py), and kept in the temporary folder; each run starts
from a copy of it and runs `migrate` again, which must find nothing to do.
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.db_template import migrations_digest

BASE_DIR = Path(__file__).resolve().parent.parent

# Runs inside the demo's settings; prints one line per page and fails on the first surprise.
SCRIPT = r"""
import logging

import django

django.setup()

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from applications.models import ServiceApplication
from coordination.models import Demand
from indicators import tasks
from indicators.models import KpiRollup

assert connection.vendor == "sqlite", connection.vendor
NOTICE = "Indicators are computed by PostgreSQL"

# The beat task: nothing computed, said once however often beat asks.
records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger("indicators.tasks").addHandler(handler)
assert tasks.kpi_refresh_task() == 0.0
assert tasks.kpi_refresh_task() == 0.0
assert len(records) == 1, records
assert not KpiRollup.objects.exists()

case = (
    ServiceApplication.objects.filter(utility="electricity", operator__code="csg-zhongshan")
    .order_by("pk")
    .first()
    .combined
)
STAFF_PAGES = [
    "/staff/queue/",
    "/staff/kpi/",
    "/en/staff/kpi/",
    "/staff/kpi/?xlsx=connections",
    "/staff/kpi/?csv=stages",
    "/staff/scorecards/",
    "/staff/scorecards/?csv=scorecards",
    "/staff/escalations/",
    f"/staff/cases/{case.uuid}/",
]
PUBLIC_PAGES = [
    "/transparency/",
    "/en/transparency/",
    "/api/v1/stats/",
    "/",
    "/demands/new/",
    "/en/demands/new/",
]
# The workgroups' demand pages: lead agencies and the leadership office; not operators.
DEMAND_PAGES = [
    "/staff/demands/",
    "/staff/demands/?state=all",
    "/staff/demands/analysis/",
    "/staff/demands/analysis/?xlsx=trend",
    "/staff/demands/escalations/",
    "/en/staff/demands/analysis/",
    f"/staff/demands/{Demand.objects.get(utility='electricity').uuid}/",
]
INDICATOR_PAGES = {p for p in STAFF_PAGES if "/kpi/" in p or "/scorecards/" in p}

User = get_user_model()
for who in ["leadership", "op-power", "lead-ndrc", "applicant", None]:
    client = Client(raise_request_exception=False)
    if who:
        client.force_login(User.objects.get(username=who))
    staff = who not in ("applicant", None)
    expected = {page: 200 for page in PUBLIC_PAGES}
    for page in STAFF_PAGES:
        expected[page] = 200 if staff else (403 if who else 302)
    expected["/api/v1/work-items/"] = 200 if who == "op-power" else (403 if who else 401)
    expected["/requests/"] = 200 if who == "applicant" else (403 if who else 302)
    expected["/inbox/"] = 200 if who else 302
    for page in DEMAND_PAGES:
        handles = who in ("leadership", "lead-ndrc")
        expected[page] = 200 if handles else (403 if who else 302)
    expected["/demands/"] = 200 if who else 302
    for page, status in expected.items():
        response = client.get(page, HTTP_HOST="127.0.0.1")
        print(who, page, response.status_code, flush=True)
        assert response.status_code == status, (who, page, response.status_code)
        if status == 302:
            login = "/en/accounts/login/" if page.startswith("/en/") else "/accounts/login/"
            assert response["Location"].startswith(login), response["Location"]
        if status != 200 or page.startswith("/api/") or "xlsx=" in page:
            continue
        html = response.content.decode()
        if page in INDICATOR_PAGES:
            # Downloads too: the page with the notice, not a broken file.
            assert response["Content-Type"].startswith("text/html"), page
            assert "Content-Disposition" not in response, page
            assert "data-indicators-unavailable" in html, page
            assert "<table" not in html, page
        if page.endswith("transparency/"):
            assert "data-indicators-unavailable" in html
            assert 'data-table="public-indicators"' not in html
            # The published standards are plain queries: still there, for every utility.
            for utility in ("electricity", "water", "gas", "network", "cable_tv"):
                assert f'data-standards="{utility}"' in html, utility
            assert html.count('class="table compact"') >= 5
        if page.startswith("/en/") and page in INDICATOR_PAGES:
            assert NOTICE in html, page
        if "transparency" in page:
            # The public reads no developer note (it is in docs/operations.md).
            assert "SQLite" not in html and "PostgreSQL" not in html, page
            assert "DATABASE_URL" not in html, page
# The access log on SQLite (no jsonb): the staff's reads of the case above are in it, and the
# search by case finds them.
office = Client(raise_request_exception=False)
office.force_login(User.objects.get(username="leadership"))
found = office.get("/staff/access-log/", {"subject": str(case.uuid)}, HTTP_HOST="127.0.0.1")
assert found.status_code == 200, found.status_code
assert found.content.decode().count(f"/staff/cases/{case.uuid}/<") == 3, "three staff read it"
print("ok")
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang; migrate alone takes 1-2 minutes on 2 cores
        check=False,
    )


def _migrated(env: dict[str, str], into: Path) -> None:
    """`into`/portal.sqlite3 as `migrate` leaves it, from the kept copy when there is one."""
    kept = Path(tempfile.gettempdir()) / (
        f"portal-embedded-demo-{migrations_digest('portal/embedded_sqlite/base.py')}.sqlite3"
    )
    with open(f"{kept}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder per machine
        if not kept.exists():
            build = Path(tempfile.mkdtemp(prefix="portal-embedded-demo-"))
            done = _run(["manage.py", "migrate", "-v0"], env | {"DJANGO_VAR_DIR": str(build)})
            assert done.returncode == 0, f"migrate\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
            assert not (build / "portal.sqlite3-wal").exists()  # all of it in the one file
            shutil.copyfile(build / "portal.sqlite3", f"{kept}.part")
            os.replace(f"{kept}.part", kept)
            shutil.rmtree(build)
            for stale in kept.parent.glob("portal-embedded-demo-*.sqlite3"):
                if stale != kept:  # of migrations since changed
                    stale.unlink(missing_ok=True)
    into.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept, into / "portal.sqlite3")


def test_embedded_sqlite_demo_serves_every_page_without_server_error(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "TEST_DATABASE_NAME")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DJANGO_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(BASE_DIR),
    }
    _migrated(env, tmp_path / "var")
    migrate = ["manage.py", "migrate", "--check"]  # nothing left to apply: exits 0
    for args in (migrate, ["manage.py", "seed_demo"], ["-c", SCRIPT]):
        done = _run(args, env)
        assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    assert (tmp_path / "var" / "portal.sqlite3").exists()
    assert done.stdout.rstrip().endswith("ok")
