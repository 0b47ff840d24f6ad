"""The cache backend keeps one Redis client per connection pool (Django builds one per call,
which costs more than the round trip) and still behaves as Django's Redis cache."""

from django.core.cache import cache


def test_the_cache_reuses_one_client_and_round_trips_values(settings):
    assert settings.CACHES["default"]["BACKEND"] == "core.redis_cache.PooledClientRedisCache"
    cache.set("redis-cache-test", {"token": "值"}, 30)
    assert cache.get("redis-cache-test") == {"token": "值"}
    assert cache.add("redis-cache-test", 1, 30) is False
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client  # built once
    assert cache._cache.get_client(write=False) is client  # one server: the same pool
    cache.delete("redis-cache-test")
    assert cache.get("redis-cache-test") is None
