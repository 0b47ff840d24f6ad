"""The admin of the libraries the portal runs on answers a refused form with its errors."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_refused_crontab_schedule_shows_its_errors(client, django_user_model):
    """django-celery-beat described the schedule beside the form: for `-1` minutes that
    raised celery's ParseException (a server error) instead of showing the form's errors."""
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.cn"))
    response = client.post(
        "/en" + reverse("admin:django_celery_beat_crontabschedule_add"),
        {
            "minute": "-1",
            "hour": "*",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
            "timezone": "UTC",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["minute"]
    assert "Not a valid schedule: see the errors below." in response.content.decode()
