"""The Django project: settings, URLs, Celery app. Wires the apps together; no business rule."""

from .celery import app as celery_app

__all__ = ("celery_app",)
