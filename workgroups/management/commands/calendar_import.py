"""Keep the working-day calendar: enter a year's official arrangement, or show coverage.

    manage.py calendar_import status
    manage.py calendar_import notice --year 2027 notice-2027.csv
    manage.py calendar_import package          # years the chinese-calendar package knows
    manage.py calendar_import provisional --year 2027   # Monday-Friday only (demos, drills)

A notice file lists the holidays and make-up working days, one per line: date,working,name
(working: 1 or 0), e.g. `2027-02-06,1,春节调休`. Every other day follows Monday-Friday.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max, Min
from django.db.models.functions import ExtractYear

from workgroups.models import CalendarDay, CalendarSource
from workgroups.services import calendar_notice_parse, calendar_package_seed, calendar_year_enter


class Command(BaseCommand):
    help = "Enter a year of the working-day calendar, or list the years it holds."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="The years the calendar holds, with their source.")
        notice = sub.add_parser("notice", help="Enter a year from the State Council's notice.")
        notice.add_argument("--year", type=int, required=True)
        notice.add_argument("file", type=Path, help="CSV: date,working,name")
        sub.add_parser("package", help="Enter the package's years the table lacks.")
        provisional = sub.add_parser("provisional", help="Enter a year as Monday-Friday only.")
        provisional.add_argument("--year", type=int, required=True)

    def handle(self, *args, action: str, **options) -> None:
        if action == "status":
            self._status()
        elif action == "notice":
            self._notice(options["year"], options["file"])
        elif action == "package":
            for year in calendar_package_seed():
                self.stdout.write(f"{year}: entered from the package")
        else:
            year = options["year"]
            calendar_year_enter(
                actor=None, year=year, exceptions=[], source=CalendarSource.PROVISIONAL
            )
            self.stdout.write(f"{year}: entered as Monday-Friday only (provisional)")

    def _notice(self, year: int, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            exceptions = calendar_notice_parse(text, year=year)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        days = calendar_year_enter(actor=None, year=year, exceptions=exceptions)
        self.stdout.write(f"{year}: {days} days entered, {len(exceptions)} from the notice")

    def _status(self) -> None:
        rows = (
            CalendarDay.objects.annotate(y=ExtractYear("day"))
            .values("y", "source")
            .annotate(days=Count("day"), first=Min("day"), last=Max("day"))
            .order_by("y")
        )
        for row in rows:
            self.stdout.write(f"{row['y']}  {row['source']:<16} {row['days']} days")
