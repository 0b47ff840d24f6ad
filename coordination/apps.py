from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Workgroup coordination")

    def ready(self) -> None:
        # The transition tables register their machines, which the models' FSM permissions and
        # the workflow kernel look up.
        from . import workflow  # noqa: F401
