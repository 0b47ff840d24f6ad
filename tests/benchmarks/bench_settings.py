"""Settings of the API benchmark's server, and of nothing else (tests/benchmarks/bench_api.py
sets DJANGO_SETTINGS_MODULE to this module for the gunicorn it starts).

The local settings as they are (DJANGO_DEBUG=false from the environment, PostgreSQL and Redis
from DATABASE_URL / REDIS_URL), with two changes only:
- the bench URLconf, which adds the bare baseline view: production URLs never contain it, and
  no environment variable of a real deployment can switch it on;
- a per-token rate a load generator does not hit. Throttling stays on, so its cost (a cache
  read and write in Redis per request) is measured; per second, its history list stays about
  as long as a real client's at the production limit of 600 a minute.
"""

from portal.settings.local import *  # noqa: F403
from portal.settings.local import REST_FRAMEWORK

ROOT_URLCONF = "tests.benchmarks.bench_urls"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "api_client": "1000000/second",
    },
}
