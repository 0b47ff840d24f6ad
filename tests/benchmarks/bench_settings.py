"""Settings of the API benchmark's server, and of nothing else (tests/benchmarks/bench_api.py
sets DJANGO_SETTINGS_MODULE to this module for the gunicorn it starts).

The local settings as they are (DJANGO_DEBUG=false from the environment, PostgreSQL and Redis
from DATABASE_URL / REDIS_URL), with two changes only:
- the bench URLconf, which adds the bare baseline view: production URLs never contain it, and
  no environment variable of a real deployment can switch it on;
- a per-token rate a load generator does not hit. Throttling stays on, so its cost (one
  pipelined INCR in Redis per request, whatever the rate) is measured.
The token cache is on, as in any deployment with Redis (API_TOKEN_CACHE_SECONDS).
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
