from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Workgroup coordination")

    def ready(self) -> None:
        # The transition tables register their machines, which the models' FSM permissions and
        # the workflow kernel look up.
        # The applicant's tracking page shows a rated utility's follow-up (回访).
        from applications.extensions import register_tracking_panel

        from . import workflow  # noqa: F401
        from .views.follow_ups import tracking_panels

        register_tracking_panel(tracking_panels)
