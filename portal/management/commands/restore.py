"""`manage.py restore ARCHIVE`: verify an archive written by `manage.py backup`, then restore it
into an empty database and storage and prove the row counts (portal/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, archive_verify, backup_restore, open_archive


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


class Command(BaseCommand):
    help = (
        "Restore a portal-backup-*.tar into the configured database (or --dbname on the same "
        "server) and the default storage. The manifest's hash and every file's SHA-256 are "
        "checked before anything is written; a database with tables or documents already in "
        "the storage are refused unless --force; the row counts are compared after."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="path of the portal-backup-*.tar")
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="check the archive (manifest hash, every file's SHA-256) and restore nothing",
        )
        parser.add_argument(
            "--dbname",
            help="restore into this database on the configured server instead of DATABASE_URL's",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "restore over a database that has tables (pg_restore --clean: objects the "
                "archive lacks stay behind) and replace documents already in the storage"
            ),
        )
        parser.add_argument("--pg-bin", help="folder holding pg_restore (default: matched)")

    def handle(self, *args, **options) -> None:
        archive = Path(options["archive"])
        try:
            if options["verify_only"]:
                with open_archive(archive) as tar:
                    verified = archive_verify(tar)
                manifest = verified.manifest
                self.stdout.write(
                    f"{archive}: OK, made {manifest['created_at']} from "
                    f"{manifest['source']['database']}: {len(manifest['tables'])} tables, "
                    f"{verified.rows} rows, {verified.documents} documents "
                    f"({_mib(verified.document_bytes)}); every SHA-256 matches"
                )
                return
            result = backup_restore(
                archive=archive,
                dbname=options["dbname"],
                force=options["force"],
                pg_bin=options["pg_bin"],
            )
        except BackupError as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        for name in result.missing:
            self.stderr.write(f"WARNING: {name} was already missing when the backup was made")
        if result.migrations_behind:
            apps = ", ".join(sorted(result.migrations_behind))
            self.stderr.write(
                f"NOTE: the restored database is not at this code's migrations ({apps}): run "
                "`manage.py migrate` before starting the portal"
            )
        self.stdout.write(
            f"restored {archive}: {result.tables} tables, {result.rows} rows (counts match the "
            f"manifest), {result.documents} documents ({_mib(result.document_bytes)}, every "
            f"SHA-256 matches) in {result.seconds:.1f} s"
        )
