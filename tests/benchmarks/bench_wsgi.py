"""WSGI entry of the API benchmark's server (bench_api.py starts gunicorn with it), never of a
deployment.

One Django process, two handlers of the same settings, URLconf and database connection:
- `/raw/...`: Django's WSGI handler with NO middleware at all (an empty chain: URL resolution,
  the view, the request_started/finished signals), the ceiling a page is measured against;
- everything else: the portal's handler with settings.MIDDLEWARE, exactly as portal.wsgi.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.benchmarks.bench_settings")

from django.core.handlers.exception import convert_exception_to_response  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

RAW_PREFIX = "/raw/"


class NoMiddlewareHandler(WSGIHandler):
    """Django's handler with an empty middleware chain, whatever settings.MIDDLEWARE says."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


portal = get_wsgi_application()
raw = NoMiddlewareHandler()


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith(RAW_PREFIX):
        return raw(environ, start_response)
    return portal(environ, start_response)
