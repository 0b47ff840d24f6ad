"""`manage.py backup` / `restore` on the real PostgreSQL: an archive of committed data restores
into a brand-new database and media folder with the same rows and the same bytes; a damaged or
altered archive, or a target that is not empty, is refused before anything is written.

The data must be committed for pg_dump (another process) to see it: the source rows are made
once per module outside any test transaction, by tests marked transactional, so the database is
emptied after them as after any transactional test (`reference` reloads the policy's data). Backup
and restore talk to PostgreSQL through their own psycopg connections, which is also how the tests
read the restored database.
"""

import hashlib
import io
import json
import os
import re
import tarfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings

from applications.constants import DocumentType
from applications.services import combined_application_submit, document_store
from portal.backup import (
    MANIFEST,
    MANIFEST_HASH,
    BackupError,
    Database,
    archive_name,
    archives_to_prune,
    backup_create,
    backup_prune,
    row_counts,
    user_tables,
)
from tests.conftest import load_test_world
from tests.factories import ProjectFactory, company, member_of, submission


@dataclass
class Source:
    archive: Path
    counts: dict[str, int]  # counted in the source database right after the backup
    files: dict[str, str]  # storage name -> SHA-256 of the bytes uploaded
    missing: str  # a document row whose file was lost before the backup
    stdout: str
    stderr: str


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def source(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("source-media")
    out = tmp_path_factory.mktemp("archives")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        load_test_world()  # an earlier transactional test may have emptied the database
        org = company(code="backup-co", name="中山备份测试有限公司")
        user = member_of(org, username="backup-applicant")
        project = ProjectFactory(owner=org, created_by=user)
        combined_application_submit(
            actor=user,
            applicant=org,
            project=project,
            data=submission(user, org, ["electricity", "water", "gas", "network"]),
        )
        # A bigger file with bytes no other test writes.
        document_store(
            actor=user,
            owner=org,
            doc_type=DocumentType.SITE_PLAN,
            upload=SimpleUploadedFile("总平面图.png", b"\x89PNG\r\n\x1a\n" + os.urandom(300_000)),
        )
        # A row whose file has gone from the storage: the backup still runs, and says so.
        lost = document_store(
            actor=user,
            owner=org,
            doc_type=DocumentType.CONSTRUCTION_PERMIT,
            upload=SimpleUploadedFile("lost.pdf", b"%PDF-1.7\nlost\n%%EOF\n"),
        )
        default_storage.delete(lost.file.name)
        # Retention: an archive older than --keep-days goes, a file of another name stays.
        (out / archive_name(datetime.now(UTC) - timedelta(days=30))).write_bytes(b"old")
        (out / "notes.txt").write_text("kept")
        stdout, stderr = io.StringIO(), io.StringIO()
        call_command("backup", "--dir", str(out), "--keep-days", "14", stdout=stdout, stderr=stderr)
        with Database.from_settings().connect() as conn, conn.cursor() as cursor:
            counts = row_counts(cursor)
    files = {
        path.relative_to(media).as_posix(): _sha(path.read_bytes())
        for path in media.rglob("*")
        if path.is_file()
    }
    (archive,) = out.glob("portal-backup-*.tar")
    assert (out / "notes.txt").exists()
    return Source(
        archive=archive,
        counts=counts,
        files=files,
        missing=lost.file.name,
        stdout=stdout.getvalue(),
        stderr=stderr.getvalue(),
    )


@pytest.fixture
def fresh_database():
    """A brand-new database on the test server (CREATE DATABASE), dropped afterwards."""
    name = f"test_backup_restore_{uuid.uuid4().hex[:8]}"
    admin = Database.from_settings("postgres")
    with admin.connect(autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield Database.from_settings(name)
    with admin.connect(autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(db: Database) -> list[tuple[str, str]]:
    with db.connect() as conn, conn.cursor() as cursor:
        return user_tables(cursor)


def _stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy the archive member by member, letting change(name, data) alter one."""
    with tarfile.open(archive) as src, tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            data = change(member.name, data)
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


# Transactional: pytest-django runs these after the ordinary database tests and empties the
# database after each, which also removes the source rows once the first has run.
transactional = pytest.mark.django_db(transaction=True)


@transactional
def test_an_archive_restores_into_a_fresh_database_and_storage_with_the_same_rows_and_bytes(
    source, fresh_database, settings
):
    with tarfile.open(source.archive) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())
        members = set(tar.getnames())
    assert re.fullmatch(r"portal-backup-\d{8}T\d{6}Z\.tar", source.archive.name)
    assert {d["name"]: d["sha256"] for d in manifest["documents"]} == source.files
    assert len(source.files) >= 5
    assert members == {f"documents/{name}" for name in source.files} | {
        "database.dump",
        MANIFEST,
        MANIFEST_HASH,
    }
    assert manifest["tables"] == source.counts
    assert "applications" in manifest["migrations"]
    assert manifest["missing_documents"] == [source.missing]
    assert f"WARNING: a row points to {source.missing}" in source.stderr
    assert "pruned" in source.stdout

    out, err = io.StringIO(), io.StringIO()
    call_command(
        "restore", str(source.archive), "--dbname", fresh_database.name, stdout=out, stderr=err
    )

    with fresh_database.connect() as conn, conn.cursor() as cursor:
        restored = row_counts(cursor)
        cursor.execute("SELECT file, sha256 FROM applications_document")
        rows = cursor.fetchall()
    assert restored == source.counts
    media = Path(settings.MEDIA_ROOT)  # this test's own, empty before the restore
    written = {p.relative_to(media).as_posix(): _sha(p.read_bytes()) for p in _stored(media)}
    assert written == source.files
    # Every document row points at a restored file holding the bytes its own hash names (but
    # the one lost before the backup, which the restore names).
    kept = {name: sha for name, sha in rows if name != source.missing}
    assert {name: written[name] for name in kept} == kept
    assert len(kept) == len(source.files) == len(rows) - 1
    assert f"WARNING: {source.missing} was already missing" in err.getvalue()
    assert f"{len(source.files)} documents" in out.getvalue()
    assert "counts match the manifest" in out.getvalue()


def _flip_first_byte_of(victim: str):
    def change(name: str, data: bytes) -> bytes:
        return bytes([data[0] ^ 1]) + data[1:] if name == f"documents/{victim}" else data

    return change


def _add_a_row_to_the_manifest(name: str, data: bytes) -> bytes:
    if name != MANIFEST:
        return data
    manifest = json.loads(data)
    manifest["tables"]["public.applications_document"] += 1
    return json.dumps(manifest).encode()


@transactional
def test_a_tampered_archive_or_a_target_with_data_is_refused_before_anything_is_written(
    source, fresh_database, settings, tmp_path
):
    media = Path(settings.MEDIA_ROOT)
    victim = sorted(source.files)[0]
    cases = [
        (_flip_first_byte_of(victim), f"do not match: documents/{victim}: sha256"),
        (_add_a_row_to_the_manifest, "manifest.json does not match manifest.json.sha256"),
    ]
    for change, message in cases:
        tampered = tmp_path / source.archive.name
        _rewrite(source.archive, tampered, change)

        with pytest.raises(CommandError, match=message):
            call_command("restore", str(tampered), "--verify-only")
        with pytest.raises(CommandError, match=message):
            call_command("restore", str(tampered), "--dbname", fresh_database.name)
        assert _tables(fresh_database) == []
        assert _stored(media) == []
        tampered.unlink()

    # The archive itself is sound; the test database has its tables, so it is refused.
    out = io.StringIO()
    call_command("restore", str(source.archive), "--verify-only", stdout=out)
    assert "every SHA-256 matches" in out.getvalue()
    current = Database.from_settings()
    before = _tables(current)
    with pytest.raises(CommandError, match=r"refused: database \S+ has \d+ tables"):
        call_command("restore", str(source.archive))
    assert _tables(current) == before
    assert _stored(media) == []


def test_backup_never_overwrites_an_archive(tmp_path):
    moment = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    existing = tmp_path / archive_name(moment)
    existing.write_bytes(b"yesterday's archive")
    with pytest.raises(BackupError, match="already exists"):
        backup_create(out_dir=tmp_path, now=moment)
    assert existing.read_bytes() == b"yesterday's archive"
    assert list(tmp_path.iterdir()) == [existing]


def test_retention_keeps_recent_days_then_one_per_week_and_month(tmp_path):
    now = datetime.now(UTC)
    names = [archive_name(now - timedelta(days=n, hours=1)) for n in range(120)]
    kept_by_days = set(names[:14])
    doomed = archives_to_prune(names, now=now, keep_days=14, keep_weekly=8, keep_monthly=4)
    kept = set(names) - set(doomed)
    assert kept_by_days <= kept
    # 14 days, then the newest of each of the 8 newest weeks and 4 newest months (overlapping).
    assert len({n[18:20] for n in kept}) == 4
    assert len(kept) < 30

    for name in [*names[:20], "notes.txt", "portal-backup-garbage.tar"]:
        (tmp_path / name).write_bytes(b"x")
    removed = backup_prune(out_dir=tmp_path, keep_days=14)
    assert sorted(p.name for p in removed) == sorted(names[14:20])
    assert (tmp_path / "notes.txt").exists()
    assert (tmp_path / "portal-backup-garbage.tar").exists()
