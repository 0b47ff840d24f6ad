"""`manage.py seed_demo`: the demo cases and one login per role, printed as two tables."""

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import DEMO_USERS, build_demo, demo_password
from workgroups.constants import Role
from workgroups.models import Organization


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = (cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True))
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(header), rule, *(line(row) for row in rows)]


class Command(BaseCommand):
    help = (
        "Create demo users for every role and demo cases in different states, through the "
        "real services (idempotent). The shared password comes from DEMO_PASSWORD. Refused "
        "unless the settings allow demo data (DEMO_DATA_ALLOWED: local and test, never "
        "production)."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            # Before any query: a production database is not touched at all.
            raise CommandError(
                "seed_demo refused: these settings do not allow demo data "
                f"(DJANGO_SETTINGS_MODULE={settings.SETTINGS_MODULE}, DEMO_DATA_ALLOWED is "
                "False). It would create a superuser and accounts for every role with a "
                "published password. Nothing was created. Demo data is for portal.settings.local "
                "(make run) and the tests only."
            )
        result = build_demo(password=demo_password())

        self.stdout.write("Demo cases:")
        case_rows = [
            (
                case.case.code,
                case.reference,
                case.case.name,
                case.case.story,
                "created" if case.created else "exists",
            )
            for case in result.cases
        ]
        for text in _table(("project", "reference", "name", "demo state", ""), case_rows):
            self.stdout.write(f"  {text}")

        shared = result.shared_project
        self.stdout.write(
            f"  {shared.code}  {shared.name}: pushed by a department with "
            f"{shared.shared_documents.count()} documents for {shared.owner_credit_code}; "
            "the verified company's user `applicant` claims it by its code on the projects "
            "page (免证办)."
        )

        self.stdout.write("")
        self.stdout.write("Demo demands and suggestions (staff: Demands):")
        demand_rows = [
            (
                demand.reference or "",
                demand.get_utility_display(),
                spec.title,
                demand.get_status_display(),
                "created" if created else "exists",
            )
            for spec, demand, created in result.demands
        ]
        for text in _table(("reference", "utility", "subject", "state", ""), demand_rows):
            self.stdout.write(f"  {text}")

        if result.referral is not None:
            sa = result.referral.service_application
            self.stdout.write("")
            self.stdout.write(
                f"Referred up (staff: Referrals, user `leadership`): {sa.combined.reference} "
                f"{sa.get_utility_display()}, {result.referral.reason}"
            )
        if result.meetings:
            self.stdout.write("")
            self.stdout.write("Demo coordination meetings (staff: Meetings, sign in as lead-ndrc):")
            meeting_rows = [
                (
                    f"{m.starts_at:%Y-%m-%d %H:%M}",
                    m.title,
                    m.get_status_display(),
                    f"{m.agenda.count()} agenda items, {m.action_items.count()} action items",
                )
                for m in result.meetings
            ]
            for text in _table(("when", "title", "state", ""), meeting_rows):
                self.stdout.write(f"  {text}")

        if result.knowledge:
            articles, session = result.knowledge
            self.stdout.write("")
            self.stdout.write(
                f"Knowledge base (staff: Knowledge base): {len(articles)} articles; training "
                f"(staff: Training): {session.title}, {session.attendance.count()} attendees."
            )
        if result.joint_works is not None:
            plan = result.joint_works
            self.stdout.write("")
            self.stdout.write(
                f"Joint works (staff: Joint works, sign in as lead-ndrc): {plan.project.code} "
                f"{plan.road_name} {plan.road_segment}, {plan.participants.count()} utilities, "
                f"one permit set, {plan.get_status_display()}"
            )

        names = dict(Organization.objects.values_list("code", "name_zh"))
        login_rows = [
            (
                spec.username,
                (str(Role(spec.role).label) if spec.role else "Administrator (superuser)")
                + (" · manager (API tokens)" if spec.manager else ""),
                names.get(spec.organization, "-"),
                result.password,
            )
            for spec in DEMO_USERS
        ]
        self.stdout.write("")
        self.stdout.write("Demo logins (one shared password, set DEMO_PASSWORD to change it):")
        for text in _table(("username", "role", "organisation", "password"), login_rows):
            self.stdout.write(f"  {text}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
