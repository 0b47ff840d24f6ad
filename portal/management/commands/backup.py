"""`manage.py backup`: the database (pg_dump, custom format) and every stored document in one
timestamped archive with a SHA-256 manifest (portal/backup.py); optionally prunes old archives.
docs/operations.md, "Backup and restore", is the runbook."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_create, backup_prune


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


class Command(BaseCommand):
    help = (
        "Write portal-backup-<UTC time>.tar into --dir: database.dump (pg_dump -Fc), "
        "documents/ (every file the rows point to, read through the storage API) and "
        "manifest.json (row counts, migration heads, the SHA-256 of every file). Never "
        "overwrites; the archive appears complete or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            default=str(Path(settings.VAR_DIR) / "backups"),
            help="folder for the archives (default: var/backups)",
        )
        parser.add_argument(
            "--keep-days",
            type=int,
            help="after a successful backup, delete archives in --dir older than this many days",
        )
        parser.add_argument(
            "--keep-weekly",
            type=int,
            default=0,
            help="with --keep-days: also keep the newest archive of each of this many weeks",
        )
        parser.add_argument(
            "--keep-monthly",
            type=int,
            default=0,
            help="with --keep-days: also keep the newest archive of each of this many months",
        )
        parser.add_argument(
            "--pg-bin", help="folder holding pg_dump (default: matched to the server)"
        )

    def handle(self, *args, **options) -> None:
        out_dir = Path(options["dir"])
        keep_days = options["keep_days"]
        if keep_days is not None and keep_days < 1:
            raise CommandError("--keep-days must be at least 1: the new archive is always kept")
        try:
            result = backup_create(out_dir=out_dir, pg_bin=options["pg_bin"])
        except BackupError as exc:
            raise CommandError(f"backup failed, no archive written: {exc}") from exc
        for name in result.missing:
            self.stderr.write(f"WARNING: a row points to {name}, which the storage does not hold")
        self.stdout.write(
            f"{result.path}  {_mib(result.size)}: {result.tables} tables, {result.rows} rows, "
            f"{result.documents} documents ({_mib(result.document_bytes)}) in "
            f"{result.seconds:.1f} s"
        )
        if keep_days is not None:
            pruned = backup_prune(
                out_dir=out_dir,
                keep_days=keep_days,
                keep_weekly=options["keep_weekly"],
                keep_monthly=options["keep_monthly"],
            )
            for path in pruned:
                self.stdout.write(f"pruned {path}")
