from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Turns facts (state changes, escalations, projects) into messages. It reads applications'
    fact rows; applications never imports it."""

    name = "notifications"
    verbose_name = _("Notifications")
