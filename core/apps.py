from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kit every app builds on; it knows no domain and imports no other project app."""

    name = "core"
