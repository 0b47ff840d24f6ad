from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Turns facts (state changes, escalations, projects) into messages. It reads applications'
    fact rows; applications never imports it."""

    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from core.page_cache import register_layout_reads

        # The transition tables register their machines for the models' FSM permissions.
        from . import workflow  # noqa: F401
        from .selectors import unread_rows

        register_layout_reads(unread_rows)  # the header's unread count versions cached pages
