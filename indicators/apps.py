from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    """Measures the city from the records of every app below it; no app below reads it."""

    name = "indicators"
    verbose_name = _("Indicators")
