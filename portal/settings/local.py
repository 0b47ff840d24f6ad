"""Developer machine / embedded default: `make run`."""

from .base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# `make run` loads the demo cases and accounts (seed_demo).
DEMO_DATA_ALLOWED = True
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# Compressing every static file (the API docs bundle included) makes collectstatic take a minute
# and a half on each `make run`; hashed names without compression are enough locally.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

# Log lines for reading by eye on a developer machine; LOG_FORMAT=json for the production shape.
LOGGING["handlers"]["console"]["formatter"] = (
    "json" if env("LOG_FORMAT", default="plain") == "json" else "plain"
)
