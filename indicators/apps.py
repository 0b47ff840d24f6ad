from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    """Measures the city from the records of every app below it; no app below reads it."""

    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        # The evaluation's data file is checked at start-up: a malformed entry stops the site
        # here, with the entry named, rather than showing a wrong table later.
        from .evaluation import evaluation

        evaluation()
