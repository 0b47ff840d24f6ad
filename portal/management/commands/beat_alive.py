"""`manage.py beat_alive`: beat's container health check. Exits 1 unless beat sent a periodic
task within the last --max-age seconds (its most frequent task runs every few seconds)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.observability.periodic import last_beat_send


class Command(BaseCommand):
    help = "Exit 0 if Celery beat sent a periodic task recently, 1 otherwise."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=float, default=60.0, help="seconds (default 60)")

    def handle(self, *args, max_age: float, **options):
        last = last_beat_send()
        if last is None:
            raise CommandError("beat has not sent any periodic task yet")
        age = (timezone.now() - last).total_seconds()
        if age > max_age:
            raise CommandError(
                f"beat last sent a periodic task {age:.0f}s ago (limit {max_age:.0f}s)"
            )
        self.stdout.write(f"beat sent a periodic task {age:.0f}s ago")
