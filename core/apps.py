from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kit every app builds on; it knows no domain and imports no other project app."""

    name = "core"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from . import request_id

        request_finished.connect(request_id.clear, dispatch_uid="core.request_id.clear")
