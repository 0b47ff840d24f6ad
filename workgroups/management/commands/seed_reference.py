from django.core.management.base import BaseCommand

from workgroups.reference import load_reference_data


class Command(BaseCommand):
    help = "Load organisations, workgroups, operators, SLAs and escalation tiers (idempotent)."

    def handle(self, *args, **options) -> None:
        counts = load_reference_data()
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write(self.style.SUCCESS("Reference data loaded."))
