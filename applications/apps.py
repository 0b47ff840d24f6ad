from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Connection applications")

    def ready(self) -> None:
        # The transition tables register their machines, which the models' FSM permissions and
        # the workflow kernel look up.
        from . import workflow  # noqa: F401
        from .extensions import register_tracking_panel
        from .views.joint_works import tracking_panels

        register_tracking_panel(tracking_panels)
