"""Backup and restore of the whole portal: the PostgreSQL database and every stored document in
one archive, with a manifest that proves what it holds (`manage.py backup` / `restore`).

The archive is an uncompressed tar, `portal-backup-<UTC timestamp>.tar`:

    manifest.json          format version, when, migration heads, row counts per table, and the
                           size + SHA-256 of database.dump and of every document
    manifest.json.sha256   the manifest's own SHA-256 (`sha256sum -c` format)
    database.dump          pg_dump --format=custom (already zlib-compressed by pg_dump)
    documents/<name>       each stored file, under its storage name

Not gzipped: the dump is compressed already and documents are PDFs and images, so gzip would win
little, cost CPU, and take away the random access a plain tar gives the verifier (it reads the
manifest first, then each member by name).

Which files: the names held by the FileFields of every installed model, read in the same
database snapshot that pg_dump dumps. So the archive holds exactly the files the dumped rows point
to, whatever the storage backend (the filesystem or S3, read through Django's storage API only);
a file uploaded after the snapshot, or a stray file no row points to, is not needed to restore the
dump and is left out. Walking the storage instead would list more and prove less (and cost one
listing call per folder on S3).

The database snapshot: a REPEATABLE READ transaction exports its snapshot, pg_dump dumps it
(`--snapshot`), and the row counts and the file names are read in the same transaction, so the
manifest describes the dump exactly, while the site keeps running.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import django
import psycopg
from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

FORMAT_VERSION = 1
ARCHIVE_PREFIX = "portal-backup-"
ARCHIVE_SUFFIX = ".tar"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.json.sha256"
DUMP = "database.dump"
DOCUMENTS = "documents/"
CHUNK = 1024 * 1024
# Options Django passes to psycopg that are not libpq connection parameters.
_NOT_LIBPQ = {
    "pool",
    "server_side_binding",
    "isolation_level",
    "assume_role",
    "cursor_factory",
    "prepare_threshold",
}
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class BackupError(Exception):
    """Anything that makes a backup or a restore unsafe; the message says what and what to do."""


# --- PostgreSQL connection and tools --------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """The connection parameters of settings.DATABASES["default"], optionally another dbname."""

    params: dict[str, Any]

    @classmethod
    def from_settings(cls, dbname: str | None = None) -> Database:
        conf = settings.DATABASES["default"]
        if "postgresql" not in conf["ENGINE"]:
            raise BackupError(
                "backup and restore need PostgreSQL (DATABASE_URL=postgres://...); this is "
                f"{conf['ENGINE']}. The embedded SQLite demo is backed up by copying var/ while "
                "it is stopped."
            )
        params: dict[str, Any] = {
            "dbname": dbname or conf["NAME"],
            "user": conf.get("USER") or None,
            "password": conf.get("PASSWORD") or None,
            "host": conf.get("HOST") or None,
            "port": str(conf["PORT"]) if conf.get("PORT") else None,
        }
        for key, value in (conf.get("OPTIONS") or {}).items():
            if key not in _NOT_LIBPQ and isinstance(value, str | int):
                params[key] = value
        return cls({k: v for k, v in params.items() if v is not None})

    @property
    def name(self) -> str:
        return str(self.params["dbname"])

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection:
        try:
            return psycopg.connect(**self.params, autocommit=autocommit)
        except psycopg.OperationalError as exc:
            raise BackupError(f"cannot connect to database {self.name}: {exc}") from exc

    def env(self) -> dict[str, str]:
        """libpq environment for pg_dump/pg_restore: nothing, the password least of all, on
        their command line (where `ps` shows it to every user of the machine)."""
        names = {
            "host": "PGHOST",
            "port": "PGPORT",
            "user": "PGUSER",
            "password": "PGPASSWORD",
            "dbname": "PGDATABASE",
            "sslmode": "PGSSLMODE",
            "sslrootcert": "PGSSLROOTCERT",
            "sslcert": "PGSSLCERT",
            "sslkey": "PGSSLKEY",
            "connect_timeout": "PGCONNECT_TIMEOUT",
            "options": "PGOPTIONS",
        }
        # The rest of the environment stays: libpq reads PG* variables (PGSSLMODE...) for
        # Django's own connection too, so pg_dump connects the same way.
        env = dict(os.environ)
        for key, var in names.items():
            if key in self.params:
                env[var] = str(self.params[key])
        return env


def _tool_major(path: str) -> int:
    out = subprocess.run(  # noqa: S603 - an absolute path to a PostgreSQL client tool
        [path, "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    if not match:
        raise BackupError(f"{path} --version said {out.strip()!r}: not a PostgreSQL tool")
    return int(match.group(1))


def pg_tool(name: str, *, server_major: int, bin_dir: str | None = None) -> tuple[str, str]:
    """(path, version line) of pg_dump/pg_restore for this server: --pg-bin, then Debian's
    versioned /usr/lib/postgresql/<major>/bin, then PATH. An older tool than the server is
    refused (pg_dump would refuse anyway; pg_restore may misread a newer dump)."""
    candidates = []
    if bin_dir:
        candidates.append(Path(bin_dir) / name)
    candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin") / name)
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            major = _tool_major(str(path))
            if major >= server_major:
                version = subprocess.run(  # noqa: S603 - as above
                    [str(path), "--version"], capture_output=True, text=True, check=True
                ).stdout.strip()
                return str(path), version
    raise BackupError(
        f"no {name} of PostgreSQL {server_major} or newer found (looked at "
        f"{', '.join(str(c) for c in candidates) or 'PATH'}). Install the client tools of the "
        f"server's version (Debian: postgresql-client-{server_major}) or pass --pg-bin DIR."
    )


def _run(argv: list[str], *, env: dict[str, str], what: str) -> None:
    done = subprocess.run(  # noqa: S603 - absolute tool path, arguments built here
        argv, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}")


# --- What the database holds ----------------------------------------------------------------


def user_tables(cursor: psycopg.Cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname <> ALL(%s) "
        "ORDER BY schemaname, tablename",
        (list(_SYSTEM_SCHEMAS),),
    )
    return [(row[0], row[1]) for row in cursor.fetchall()]


def row_counts(cursor: psycopg.Cursor) -> dict[str, int]:
    counts = {}
    for schema, table in user_tables(cursor):
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        )
        row = cursor.fetchone()
        counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


def file_fields() -> list[tuple[str, str]]:
    """(table, column) of every FileField (ImageField included) of the installed models."""
    found: set[tuple[str, str]] = set()
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or not opts.managed:
            continue
        for f in opts.concrete_fields:
            if isinstance(f, models.FileField):
                found.add((opts.db_table, str(f.column)))
    return sorted(found)


def stored_names(cursor: psycopg.Cursor) -> list[str]:
    """Every storage name a row points to (each once)."""
    names: set[str] = set()
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    existing = {row[0] for row in cursor.fetchall()}
    for table, column in file_fields():
        if table not in existing:  # a model whose migration is not applied yet
            continue
        cursor.execute(
            sql.SQL("SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL AND {c} <> ''").format(
                c=sql.Identifier(column), t=sql.Identifier(table)
            )
        )
        names.update(row[0] for row in cursor.fetchall())
    return sorted(names)


def migration_heads(cursor: psycopg.Cursor) -> dict[str, list[str]]:
    """Per app, the applied migrations no other applied migration of that app builds on."""
    cursor.execute("SELECT app, name FROM django_migrations")
    applied = {(app, name) for app, name in cursor.fetchall()}
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    heads: dict[str, list[str]] = {}
    for app, name in sorted(applied):
        node = graph.node_map.get((app, name))
        children = {c.key for c in node.children} if node else set()
        if not any(child in applied and child[0] == app for child in children):
            heads.setdefault(app, []).append(name)
    return heads


def code_heads() -> dict[str, list[str]]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    heads: dict[str, list[str]] = {}
    for app, name in graph.leaf_nodes():
        heads.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(heads.items())}


# --- Hashing and archive members ------------------------------------------------------------


def sha256_of(handle: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def archive_name(moment: datetime) -> str:
    return f"{ARCHIVE_PREFIX}{moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)}{ARCHIVE_SUFFIX}"


def archive_time(name: str) -> datetime | None:
    if not (name.startswith(ARCHIVE_PREFIX) and name.endswith(ARCHIVE_SUFFIX)):
        return None
    stamp = name[len(ARCHIVE_PREFIX) : -len(ARCHIVE_SUFFIX)]
    try:
        return datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o600
    tar.addfile(info, io.BytesIO(data))


# --- Backup ---------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    tables: int
    rows: int
    documents: int
    document_bytes: int
    missing: list[str]
    seconds: float
    pruned: list[Path] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def backup_create(
    *,
    out_dir: Path,
    storage: Storage | None = None,
    pg_bin: str | None = None,
    now: datetime | None = None,
) -> BackupResult:
    """Write one archive of the database and the documents into out_dir; never overwrites."""
    started = time.monotonic()
    storage = storage or default_storage
    moment = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / archive_name(moment)
    if final.exists():
        raise BackupError(f"{final} already exists; not overwritten")
    db = Database.from_settings()
    work = Path(tempfile.mkdtemp(prefix=".portal-backup-", dir=out_dir))
    try:
        dump = work / DUMP
        with db.connect(autocommit=True) as conn, conn.cursor() as cursor:
            server_major = conn.info.server_version // 10000
            pg_dump, pg_dump_version = pg_tool("pg_dump", server_major=server_major, bin_dir=pg_bin)
            # Autocommit, so this BEGIN is the transaction's own and its isolation holds.
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]  # type: ignore[index]
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}"],
                env=db.env(),
                what="pg_dump",
            )
            counts = row_counts(cursor)
            names = stored_names(cursor)
            heads = migration_heads(cursor)
            server_version = conn.info.parameter_status("server_version")
            cursor.execute("ROLLBACK")
        with dump.open("rb") as handle:
            dump_sha, dump_size = sha256_of(handle)

        tmp_tar = work / final.name
        documents: list[dict[str, Any]] = []
        missing: list[str] = []
        with tarfile.open(tmp_tar, "w", format=tarfile.PAX_FORMAT) as tar:
            info = tar.gettarinfo(dump, arcname=DUMP)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o600
            with dump.open("rb") as handle:
                tar.addfile(info, handle)
            for name in names:
                # Spooled copy: the size must be known before the tar header, and the bytes
                # hashed are then exactly the bytes archived. S3 opens lazily, so a missing
                # object may only show on the first read: both are inside the try.
                with tempfile.SpooledTemporaryFile(CHUNK * 8, dir=str(work)) as spool:
                    digest, size = hashlib.sha256(), 0
                    try:
                        with storage.open(name, "rb") as source:
                            while chunk := source.read(CHUNK):
                                digest.update(chunk)
                                spool.write(chunk)
                                size += len(chunk)
                    except FileNotFoundError:
                        missing.append(name)
                        continue
                    spool.seek(0)
                    info = tarfile.TarInfo(DOCUMENTS + name)
                    info.size, info.mtime, info.mode = size, int(moment.timestamp()), 0o600
                    tar.addfile(info, spool)
                documents.append({"name": name, "size": size, "sha256": digest.hexdigest()})
            manifest = {
                "format_version": FORMAT_VERSION,
                "created_at": moment.isoformat(),
                "source": {
                    "database": db.name,
                    "server_version": server_version,
                    "pg_dump": pg_dump_version,
                    "django": django.get_version(),
                },
                "migrations": heads,
                "tables": counts,
                "database_dump": {"name": DUMP, "size": dump_size, "sha256": dump_sha},
                "documents": documents,
                "missing_documents": missing,
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            _add_bytes(tar, MANIFEST, body, moment.timestamp())
            line = f"{hashlib.sha256(body).hexdigest()}  {MANIFEST}\n".encode()
            _add_bytes(tar, MANIFEST_HASH, line, moment.timestamp())
        with tmp_tar.open("rb") as handle:
            os.fsync(handle.fileno())
        # link() fails if the name exists, so even a backup started in the same second
        # elsewhere is never overwritten; the archive appears complete or not at all.
        try:
            os.link(tmp_tar, final)
        except FileExistsError:
            raise BackupError(f"{final} already exists; not overwritten") from None
        with contextlib.suppress(OSError):
            dir_fd = os.open(out_dir, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BackupResult(
        path=final,
        tables=len(counts),
        rows=sum(counts.values()),
        documents=len(documents),
        document_bytes=sum(int(d["size"]) for d in documents),
        missing=missing,
        seconds=time.monotonic() - started,
    )


# --- Retention ------------------------------------------------------------------------------


def archives_to_prune(
    names: list[str], *, now: datetime, keep_days: int, keep_weekly: int = 0, keep_monthly: int = 0
) -> list[str]:
    """Archive names to delete: kept are every archive of the last keep_days days, the newest
    of each of the keep_weekly most recent ISO weeks and of the keep_monthly most recent months.
    Names that are not this program's archives are never touched."""
    dated = sorted(
        ((moment, name) for name in names if (moment := archive_time(name))), reverse=True
    )
    keep = {name for moment, name in dated if moment >= now - timedelta(days=keep_days)}
    for count, bucket in ((keep_weekly, "week"), (keep_monthly, "month")):
        seen: set[tuple[int, int]] = set()
        for moment, name in dated:  # newest first: the first of a bucket is its newest
            key = moment.isocalendar()[:2] if bucket == "week" else (moment.year, moment.month)
            if key not in seen and len(seen) < count:
                seen.add(key)
                keep.add(name)
    return [name for _, name in dated if name not in keep]


def backup_prune(
    *, out_dir: Path, keep_days: int, keep_weekly: int = 0, keep_monthly: int = 0
) -> list[Path]:
    names = [p.name for p in out_dir.iterdir() if p.is_file()]
    doomed = archives_to_prune(
        names,
        now=datetime.now(UTC),
        keep_days=keep_days,
        keep_weekly=keep_weekly,
        keep_monthly=keep_monthly,
    )
    for name in doomed:
        (out_dir / name).unlink()
    return [out_dir / name for name in doomed]


# --- Verify ---------------------------------------------------------------------------------


@dataclass
class Verified:
    manifest: dict[str, Any]
    documents: int
    document_bytes: int
    rows: int


@contextlib.contextmanager
def open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    if not path.is_file():
        raise BackupError(f"{path}: no such archive")
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError as exc:
        raise BackupError(f"{path} is not a readable tar archive: {exc}") from exc
    with tar:
        yield tar


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        info = tar.getmember(name)
    except KeyError:
        raise BackupError(f"the archive has no {name}") from None
    handle = tar.extractfile(info) if info.isfile() else None
    if handle is None:
        raise BackupError(f"{name} in the archive is not a regular file")
    return handle


def archive_verify(tar: tarfile.TarFile) -> Verified:
    """Check the manifest against its hash, then the dump and every document against the
    manifest: size and SHA-256, and nothing in the archive that the manifest does not name."""
    body = _member(tar, MANIFEST).read()
    recorded = _member(tar, MANIFEST_HASH).read().decode("ascii", "replace").split()
    actual = hashlib.sha256(body).hexdigest()
    if not recorded or recorded[0] != actual:
        raise BackupError(
            f"{MANIFEST} does not match {MANIFEST_HASH} (sha256 {actual}): the archive is "
            "damaged or was altered"
        )
    manifest = json.loads(body)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"archive format {manifest.get('format_version')!r}; this program reads "
            f"{FORMAT_VERSION}"
        )
    expected = {DUMP: manifest["database_dump"]}
    for doc in manifest["documents"]:
        name = doc["name"]
        if name.startswith("/") or ".." in name.split("/"):
            raise BackupError(f"unsafe document name in the manifest: {name!r}")
        expected[DOCUMENTS + name] = doc
    present = {m.name for m in tar.getmembers()} - {MANIFEST, MANIFEST_HASH}
    if extra := sorted(present - set(expected)):
        raise BackupError(f"the archive holds files the manifest does not list: {extra[:5]}")
    problems = []
    for member, entry in expected.items():
        try:
            digest, size = sha256_of(_member(tar, member))
        except BackupError as exc:
            problems.append(str(exc))
            continue
        if (digest, size) != (entry["sha256"], entry["size"]):
            problems.append(
                f"{member}: sha256 {digest} ({size} bytes), manifest says {entry['sha256']} "
                f"({entry['size']} bytes)"
            )
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if problems[5:] else ""
        )
        raise BackupError(f"{len(problems)} file(s) in the archive do not match: {shown}")
    return Verified(
        manifest=manifest,
        documents=len(manifest["documents"]),
        document_bytes=sum(int(d["size"]) for d in manifest["documents"]),
        rows=sum(manifest["tables"].values()),
    )


# --- Restore --------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    tables: int
    rows: int
    documents: int
    document_bytes: int
    seconds: float
    missing: list[str]
    migrations_behind: dict[str, list[str]]


def backup_restore(
    *,
    archive: Path,
    dbname: str | None = None,
    storage: Storage | None = None,
    force: bool = False,
    pg_bin: str | None = None,
) -> RestoreResult:
    """Restore an archive into an empty database and storage. Everything in the archive is
    verified before the target is touched; the row counts are checked after."""
    started = time.monotonic()
    storage = storage or default_storage
    db = Database.from_settings(dbname)
    with open_archive(archive) as tar:
        verified = archive_verify(tar)
        manifest = verified.manifest
        names = [d["name"] for d in manifest["documents"]]

        with db.connect(autocommit=True) as conn, conn.cursor() as cursor:
            server_major = conn.info.server_version // 10000
            tables = user_tables(cursor)
        pg_restore, _ = pg_tool("pg_restore", server_major=server_major, bin_dir=pg_bin)
        present = [n for n in names if storage.exists(n)]
        if not force and (tables or present):
            what = []
            if tables:
                what.append(f"database {db.name} has {len(tables)} tables")
            if present:
                what.append(f"the storage already holds {len(present)} of the documents")
            raise BackupError(
                f"refused: {' and '.join(what)}. Restore into a new, empty database and an "
                "empty storage (createdb; a new media folder or bucket), then point the "
                "portal at them. --force restores over them instead: pg_restore --clean drops "
                "and recreates only the objects in the archive, so tables the target has and "
                "the archive lacks (a newer migration) stay behind with their rows. Nothing "
                "was changed."
            )

        with tempfile.TemporaryDirectory(prefix="portal-restore-") as work:
            dump = Path(work) / DUMP
            with dump.open("wb") as out:
                shutil.copyfileobj(_member(tar, DUMP), out, CHUNK)
            argv = [pg_restore, "--no-owner", "--exit-on-error", "--single-transaction"]
            if force:
                argv += ["--clean", "--if-exists"]
            _run([*argv, f"--dbname={db.name}", str(dump)], env=db.env(), what="pg_restore")

        written = 0
        for doc in manifest["documents"]:
            name = doc["name"]
            if force and storage.exists(name):
                storage.delete(name)
            saved = storage.save(name, File(_member(tar, DOCUMENTS + name), name=name))
            if saved != name:
                raise BackupError(f"storage saved {name} as {saved}; the rows point to {name}")
            with storage.open(name, "rb") as handle:
                digest, size = sha256_of(handle)
            if digest != doc["sha256"]:
                raise BackupError(f"{name} reads back from storage with sha256 {digest}")
            written += size

    with db.connect(autocommit=True) as conn, conn.cursor() as cursor:
        restored = row_counts(cursor)
        applied = migration_heads(cursor)
    wrong = {
        table: (count, restored.get(table))
        for table, count in manifest["tables"].items()
        if restored.get(table) != count
    }
    if wrong:
        shown = ", ".join(f"{t}: {got} rows, manifest {want}" for t, (want, got) in wrong.items())
        raise BackupError(f"row counts differ after the restore: {shown}")
    code = code_heads()
    behind = {app: names for app, names in code.items() if applied.get(app) != names}
    return RestoreResult(
        tables=len(manifest["tables"]),
        rows=sum(restored.values()),
        documents=len(manifest["documents"]),
        document_bytes=written,
        seconds=time.monotonic() - started,
        missing=list(manifest.get("missing_documents", [])),
        migrations_behind=behind,
    )
