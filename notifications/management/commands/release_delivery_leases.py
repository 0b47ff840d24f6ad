"""`manage.py release_delivery_leases`: after a Redis flush (or a lost queue), hand every
reserved delivery out again at the next dispatch instead of waiting for the leases to run out."""

from django.core.management.base import BaseCommand, CommandError

from notifications.models import WebhookEndpoint
from notifications.services import delivery_leases_release


class Command(BaseCommand):
    help = (
        "Release the leases of reserved pending deliveries so the next dispatch hands them out "
        "again (run after the broker lost its messages). Rows being attempted right now keep "
        "theirs; nothing is sent twice at the same time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--endpoint", metavar="UUID", help="Only the deliveries of this webhook endpoint."
        )

    def handle(self, *args, endpoint: str | None = None, **options) -> None:
        target = None
        if endpoint:
            target = WebhookEndpoint.objects.filter(uuid=endpoint).first()
            if target is None:
                raise CommandError(f"no webhook endpoint {endpoint}")
        released = delivery_leases_release(endpoint=target)
        self.stdout.write(f"{released} deliveries released; the next dispatch hands them out.")
