"""pytest settings: always the real PostgreSQL and Redis (a missing service fails, never skips)."""

import os

# Before base reads it: the cache, the token cache and the broker are derived from it there, so
# a run without REDIS_URL in its environment (CI) is configured exactly like one with it.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

from .base import *  # noqa: E402, F403

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/portal")
}
DATABASES["default"]["OPTIONS"] = postgres_options()  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_portal")}
# Fast hashing for tests only: the default hasher costs ~230 ms per login.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "notifications.sms.LocMemBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "test-media"))
# The suite's own webhook receivers listen on 127.0.0.1; tests of the production check turn
# this off (and a hostname resolving to loopback is refused then, at registration and delivery).
WEBHOOKS_ALLOW_LOOPBACK = True
DEMO_DATA_ALLOWED = True  # tests/portal/test_seed_demo.py; the refusal is tested with override
# A test-only app with its own small state machine (tests/test_workflow_kernel.py).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.workflow_app.apps.WorkflowAppConfig"]
