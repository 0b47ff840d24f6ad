import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """The published figures (transparency page, stats API) and the throttle counters start
    empty in every test, in a memory cache of these tests' own (never a shared Redis)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "indicators-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()
