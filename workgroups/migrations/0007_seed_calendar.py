"""Seed the working-day calendar with every year the chinese-calendar package knows."""

from django.db import migrations


def seed(apps, schema_editor):
    from workgroups.calendar import package_year, package_years

    CalendarDay = apps.get_model("workgroups", "CalendarDay")
    held = {d.year for d in CalendarDay.objects.dates("day", "year")}
    for year in package_years():
        if year not in held:
            CalendarDay.objects.bulk_create(
                CalendarDay(day=day, is_working_day=working, name=name, source="package")
                for day, working, name in package_year(year)
            )


class Migration(migrations.Migration):
    dependencies = [("workgroups", "0006_calendar_day")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
