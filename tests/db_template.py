"""Each pytest worker's database, cloned from one migrated template instead of migrated again.

`migrate` on an empty database takes one to two minutes of CPU on a small machine, and every
xdist worker used to pay it. The template is built once (under a file lock, by the first
worker that needs it) with `manage.py migrate --run-syncdb`, named after a digest of every
migration file of every installed app, and kept: a later run with the same migrations clones
it in about a second (`CREATE DATABASE ... TEMPLATE`). A changed migration gives a new name;
older templates are dropped when a new one is built.
"""

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import django
import psycopg
from django.apps import apps
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[1]
PREFIX = "portal_test_template_"
LOCK = Path("/tmp/portal-test-template.lock")  # noqa: S108 - one machine-wide lock, by design


def migrations_digest(*also: str) -> str:
    """Every migration file of every installed app, the module they import the state field
    from, Django's version, and the files `also` names (paths from the checkout's root)."""
    digest = hashlib.sha256(django.get_version().encode())
    # Named by app and file, never by the folder of the checkout: every clone shares one.
    files = [(name, BASE_DIR / name) for name in ("core/fsm.py", *also)]
    for config in apps.get_app_configs():
        folder = Path(config.path) / "migrations"
        if folder.is_dir():
            files += [(f"{config.label}/{path.name}", path) for path in sorted(folder.glob("*.py"))]
    for name, path in files:
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _admin(database: dict) -> psycopg.Connection:
    return psycopg.connect(
        dbname="postgres",
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        autocommit=True,
    )


def _exists(admin: psycopg.Connection, name: str) -> bool:
    return (
        admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
    )


def _url(database: dict, name: str) -> str:
    user = database.get("USER") or ""
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    at = f"{user}{password}@" if user else ""
    host = database.get("HOST") or "127.0.0.1"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{at}{host}{port}/{name}"


def _build(admin: psycopg.Connection, database: dict, template: str) -> None:
    building = f"{template}_building"
    admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{building}"')
    env = dict(
        os.environ,
        DATABASE_URL=_url(database, building),
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "portal.settings.test"),
    )
    subprocess.run(  # noqa: S603 - this project's own manage.py
        [sys.executable, "manage.py", "migrate", "--run-syncdb", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
    stale = admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
        [f"{PREFIX}%", template],
    ).fetchall()
    for (name,) in stale:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clone_test_database() -> bool:
    """Create this worker's test database from the template; False when the database is not
    PostgreSQL (Django then creates and migrates it as usual)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return False
    name = database["TEST"].get("NAME") or f"test_{database['NAME']}"
    template = f"{PREFIX}{migrations_digest()}"
    with LOCK.open("a") as lock, _admin(database) as admin:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder; clones wait for it and for each other
        if not _exists(admin, template):
            _build(admin, database, template)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return True
