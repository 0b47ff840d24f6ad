"""The admin of the libraries the portal runs on, where it needs mending."""

from celery.schedules import ParseException
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import CrontabScheduleAdmin
from django_celery_beat.models import CrontabSchedule

admin.site.unregister(CrontabSchedule)


@admin.register(CrontabSchedule)
class CheckedCrontabScheduleAdmin(CrontabScheduleAdmin):
    """django-celery-beat shows a schedule in words beside its form; for a refused schedule
    (`-1` minutes) that description raised celery's ParseException, a server error instead of
    the form's own errors."""

    @admin.display(description=_("Schedule in words"))
    def human_readable(self, obj: CrontabSchedule) -> str:
        try:
            return obj.human_readable
        except ParseException:
            return _("Not a valid schedule: see the errors below.")
