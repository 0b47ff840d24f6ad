"""Celery application: configured from Django settings (CELERY_* names), tasks autodiscovered."""

import os
from pathlib import Path

from celery import Celery

from portal.observability import celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

FILESYSTEM_BROKER_FOLDERS = (
    "data_folder_in",
    "data_folder_out",
    "processed_folder",
    "control_folder",
)


def create_broker_folders(sender: Celery, source, **kwargs) -> None:
    """The embedded filesystem broker reads and writes message files in folders that must exist
    before the first message; a fresh clone has none."""
    if not str(source.broker_url or "").startswith("filesystem://"):
        return
    options = source.broker_transport_options or {}
    for key in FILESYSTEM_BROKER_FOLDERS:
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.on_after_configure.connect(create_broker_folders, weak=False)
app.autodiscover_tasks()
# Request ids into tasks, Django's (JSON) logging in the worker and beat, periodic runs recorded.
celery_signals.connect()
